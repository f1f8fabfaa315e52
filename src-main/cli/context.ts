import { Command, InvalidArgumentError } from 'commander';
import type { DatasetInfo, JobInfo, MethodInput, MethodName, MethodResult, ProjectSummary } from '../../src-shared/api';
import { ApiError } from '../../src-shared/errors';
import { PARTICLE_TYPE } from '../../src-shared/fluidtool2d';
import { createHandlers } from '../api/handlers';
import { dispatch } from '../api/dispatch';
import { Workbench } from '../engine/workbench';
import { formatTime } from './format';

// What every `idw` command shares: the program, global options, the workbench, calls through
// the API dispatcher (same validation and errors as the app), output and option parsers.

export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
}

export const program = new Command();
program
  .name('idw')
  .description('Inverse Design Workbench: diffusion generative inverse design, offline.')
  .option('--data-dir <dir>', 'workbench data directory (default: IDW_DATA_DIR, else the desktop app\'s folder)')
  .option('--json', 'print machine-readable JSON')
  .showHelpAfterError('(run with --help for usage)')
  // parse errors (a bad number, a missing option, an unknown command) come back to idw.ts, which
  // exits 2 as for any other bad input; commander itself would exit 1
  .exitOverride();

export function globals(): GlobalOptions {
  return program.opts<GlobalOptions>();
}

export function openWorkbench(mode: 'cli' | 'browser' = 'cli', seedBuiltin = false): Workbench {
  return new Workbench({ dataDir: globals().dataDir, mode, seedBuiltin });
}

/** Calls the API exactly as the app does, so the CLI gets the same validation and errors. */
export async function call<M extends MethodName>(wb: Workbench, method: M, args: MethodInput<M>): Promise<MethodResult<M>> {
  const envelope = await dispatch(createHandlers(wb, { filePaths: true }), method, args);
  if (!envelope.ok) throw ApiError.fromPayload(envelope.error);
  return envelope.result as MethodResult<M>;
}

export async function withWorkbench<T>(fn: (wb: Workbench) => Promise<T>): Promise<T> {
  const wb = openWorkbench();
  try {
    return await fn(wb);
  } finally {
    await wb.close();
  }
}

export function print(human: string, json: unknown): void {
  console.log(globals().json ? JSON.stringify(json, null, 2) : human);
}

export function intOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got "${v}".`);
    return n;
  };
}
export function numberOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${v}".`);
    return n;
  };
}

export async function findProject(wb: Workbench, ref: string): Promise<ProjectSummary> {
  if (/^\d+$/.test(ref)) return call(wb, 'projects.get', { id: Number(ref) });
  const p = wb.projects.findByName(ref);
  if (!p) throw new ApiError('not_found', `There is no project named "${ref}". See "idw project list".`);
  return p;
}

export function numberList(name: string) {
  return (v: string): number[] => {
    const parts = v.split(',').map((x) => x.trim());
    const values = parts.map(Number);
    const bad = parts.findIndex((x, i) => x === '' || !Number.isFinite(values[i]));
    if (bad >= 0) throw new InvalidArgumentError(`${name}: entry ${bad + 1} ("${parts[bad]}") is not a number.`);
    return values;
  };
}

/** Starts a job, shows its progress on stderr, cancels it on Ctrl+C, and returns it finished. */
export async function runJob(wb: Workbench, job: JobInfo): Promise<JobInfo> {
  let last = '';
  const off = wb.events.on((event, payload) => {
    const j = payload as JobInfo;
    if (event !== 'job.updated' || j.id !== job.id || globals().json || !process.stderr.isTTY) return;
    const line = `${Math.floor(j.progress * 100)}% ${j.message ?? ''}`;
    if (line !== last) process.stderr.write(`\r${line.padEnd(60)}`);
    last = line;
  });
  const stop = (): void => void call(wb, 'jobs.cancel', { id: job.id });
  process.once('SIGINT', stop);
  try {
    const done = await wb.jobs.whenFinished(job.id);
    if (process.stderr.isTTY && !globals().json) process.stderr.write('\n');
    if (done.status !== 'succeeded') throw new ApiError('internal', `Job ${done.id} (${done.kind}) ${done.status}: ${done.error ?? done.message ?? ''}`);
    return done;
  } finally {
    off();
    process.off('SIGINT', stop);
  }
}

export function describeDataset(d: DatasetInfo): (string | number)[] {
  const cost = typeof d.stats.meanCost === 'number' ? d.stats.meanCost.toPrecision(4) : '—';
  // physics: trajectories of frames × particles; optimization: records of runs
  const size = d.kind === 'optimization' ? `${d.stats.rows ?? 0} rows` : (d.stats.trajectories ?? 0);
  const frames = d.kind === 'optimization' ? `${d.stats.runs ?? 0} runs` : (d.stats.frames ?? '—');
  // all particles of a trajectory: the water and the tool's (kinematic) particles, said apart
  const s = d.kind === 'physics' ? d.stats : null;
  const particles = s?.particles == null ? '—' : s.waterParticles != null && s.toolParticles != null ? `${s.particles} (${s.waterParticles} water + ${s.toolParticles} tool)` : s.particles;
  return [d.id, d.name, d.kind, d.status, size as string | number, frames as string | number, particles, cost, d.source, formatTime(d.createdAt)];
}

/**
 * "585 particles (512 water + 73 tool)": a rollout holds the project's water and the particles
 * that draw the tool, so its particle count is more than the project's setting.
 */
export function describeParticles(total: number, types: readonly number[]): string {
  const water = types.filter((t) => t === PARTICLE_TYPE.water).length;
  return water === total ? `${total} particles (water)` : `${total} particles (${water} water + ${total - water} tool)`;
}

/**
 * A kept design's two ids, labelled: the simulator query that scored it (exports' query_id, what
 * `idw export --ids` takes) and its row in the designs table (exports' design_id).
 */
export function describeIds(best: { queryId?: number | null; designId: number } | null): string {
  if (!best) return 'query —';
  return `query ${best.queryId ?? '—'} (kept as design ${best.designId})`;
}
