import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { computeEntry, type ComputeArgs as Args, type ComputeFunction, type ComputeResult as Result } from './registry';

/** The built compute worker (out/main/compute-worker.js) next to the bundle. */
export function defaultComputeEntry(): string {
  const here = dirname(typeof __filename !== 'undefined' ? __filename : fileURLToPath(import.meta.url));
  for (const dir of [here, join(here, '..')]) {
    const built = join(dir, 'compute-worker.js');
    if (existsSync(built)) return built;
  }
  throw new Error(`Compute worker not found next to ${here}; run "npm run build".`);
}

/** A finished part of a map call: the results of argsList[start, start + results.length). */
export interface ComputeBatch<R> {
  /** the queue batch it came in (compute/queue.ts); null when computed here */
  id: string | null;
  start: number;
  results: R[];
}

export interface MapOptions<R> {
  /**
   * Called as each part of the call is done, before map resolves: the local pool calls it once
   * with every result; the queue once per batch, as batches come back, so a caller can store
   * each batch in its own transaction and keep what came back if the rest never does.
   */
  onBatch?(batch: ComputeBatch<R>): void;
}

/** What runs pure calls: the local ComputePool, or the Redis queue (QueueCompute) over it. */
export interface Compute {
  /** how many calls run at once here: callers size their batches by it */
  readonly size: number;
  run<F extends ComputeFunction>(fn: F, args: Args<F>): Promise<Result<F>>;
  map<F extends ComputeFunction>(fn: F, argsList: readonly Args<F>[], opts?: MapOptions<Result<F>>): Promise<Result<F>[]>;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}
interface Task {
  id: number;
  fn: ComputeFunction;
  args: unknown;
  pending: Pending;
}
interface Slot {
  worker: Worker;
  task: Task | null;
}

/**
 * Worker threads for batches of pure calls (rollouts of many designs). size 0 runs calls in
 * this thread, one after another: the single-threaded baseline.
 */
export class ComputePool implements Compute {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: { size?: number; entry?: string } = {}) {
    this.size = Math.max(0, opts.size ?? availableParallelism());
  }

  /** Whether calls run on worker threads: workers asked for, and their file found (a CLI run from source has none built). */
  get hasWorkers(): boolean {
    if (this.size === 0) return false;
    if (this.opts.entry) return true;
    try {
      defaultComputeEntry();
      return true;
    } catch {
      return false;
    }
  }

  run<F extends ComputeFunction>(fn: F, args: Args<F>): Promise<Result<F>> {
    if (this.closed) return Promise.reject(new Error('The compute pool is closed.'));
    if (this.size === 0) {
      try {
        return Promise.resolve(computeEntry(fn).fn(args) as Result<F> | Promise<Result<F>>);
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    return new Promise<Result<F>>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, fn, args, pending: { resolve: resolve as (v: unknown) => void, reject } });
      this.pump();
    });
  }

  /** Runs fn over every argument, spread over the workers; results in the order given. */
  async map<F extends ComputeFunction>(fn: F, argsList: readonly Args<F>[], opts: MapOptions<Result<F>> = {}): Promise<Result<F>[]> {
    const results = await Promise.all(argsList.map((a) => this.run(fn, a)));
    opts.onBatch?.({ id: null, start: 0, results });
    return results;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.pending.reject(new Error('The compute pool was closed.'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => s.task === null);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const task = this.queue.shift()!;
      slot.task = task;
      slot.worker.ref(); // a busy worker keeps the process alive; an idle one does not
      slot.worker.postMessage({ id: task.id, fn: task.fn, args: task.args });
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.opts.entry ?? defaultComputeEntry());
    worker.unref();
    const slot: Slot = { worker, task: null };
    this.slots.push(slot);
    worker.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const task = slot.task;
      slot.task = null;
      worker.unref();
      if (task && task.id === m.id) {
        if (m.ok) task.pending.resolve(m.result);
        else task.pending.reject(new Error(m.error));
      }
      this.pump();
    });
    const fail = (err: Error): void => {
      const at = this.slots.indexOf(slot);
      if (at >= 0) this.slots.splice(at, 1);
      slot.task?.pending.reject(err);
      slot.task = null;
      if (!this.closed) this.pump();
    };
    worker.on('error', (err) => fail(new Error(`A compute worker crashed: ${err.message}`)));
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) fail(new Error(`A compute worker stopped (exit code ${code}).`));
    });
    return slot;
  }
}
