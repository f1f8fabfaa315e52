// A test's child process that reports on stdout as JSON lines ({"event": …}): spawned with tsx,
// its events kept, `next` resolving with the first event of a name (and predicate), or failing
// when the child exits first. Used by the multi-process and queue tests.
import { spawn, type ChildProcess } from 'node:child_process';

export type JsonEvent = Record<string, unknown>;

export interface JsonLinesChild {
  proc: ChildProcess;
  pid: number;
  /** resolves with the first JSON line of this event (that `pred` accepts) */
  next(event: string, pred?: (m: JsonEvent) => boolean): Promise<JsonEvent>;
  events: JsonEvent[];
  exited: Promise<number | null>;
  /** stdout and stderr so far */
  output(): string;
}

/** Runs `script` with tsx and its spec as one JSON argument; `what` names it in errors; `env` adds to this process's environment. */
export function spawnJsonLines(script: string, spec: object, what: string, env: Record<string, string> = {}): JsonLinesChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(spec)], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const events: JsonEvent[] = [];
  const waiting: { event: string; pred?: (m: JsonEvent) => boolean; resolve: (m: JsonEvent) => void }[] = [];
  let text = '';
  let buffer = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    buffer += chunk.toString();
    let at: number;
    while ((at = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      let m: JsonEvent;
      try {
        m = JSON.parse(line) as JsonEvent;
      } catch {
        continue;
      }
      events.push(m);
      for (const w of waiting.filter((x) => x.event === m.event && (!x.pred || x.pred(m)))) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  proc.stderr!.on('data', (chunk: Buffer) => void (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    pid: proc.pid!,
    events,
    exited,
    output: () => text,
    next: (event, pred) =>
      new Promise((resolve, reject) => {
        const seen = events.find((m) => m.event === event && (!pred || pred(m)));
        if (seen) return resolve(seen);
        waiting.push({ event, pred, resolve });
        // a moment after the exit, so a last line still on its way is read first
        void exited.then((code) => setTimeout(() => reject(new Error(`${what} exited (${code}) before "${event}":\n${text}`)), 100));
      }),
  };
}
