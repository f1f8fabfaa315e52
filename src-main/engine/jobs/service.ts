import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JobInfo, JobKind } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';
import type { JobStore } from '../storage/jobs';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol';

export interface WorkerEntry {
  file: string;
  execArgv?: string[];
}

/** The built worker (out/main/worker.js) next to the bundle; tests pass their own bundle. */
export function defaultWorkerEntry(): WorkerEntry {
  const here = dirname(typeof __filename !== 'undefined' ? __filename : fileURLToPath(import.meta.url));
  for (const dir of [here, join(here, '..')]) {
    const built = join(dir, 'worker.js');
    if (existsSync(built)) return { file: built };
  }
  throw new Error(`Job worker not found next to ${here}; run "npm run build".`);
}

export interface JobServiceOptions {
  store: JobStore;
  worker: WorkerConfig;
  entry?: WorkerEntry;
  /** most jobs at once; default: the number of cores */
  size?: number;
  /** how long a cancelled job may take to stop before its worker is terminated */
  cancelGraceMs?: number;
  /** least time between two progress writes of one job */
  progressIntervalMs?: number;
  onUpdate?: (job: JobInfo) => void;
  /** events a job raised (ctx.emit), relayed as they are */
  onEvent?: (event: string, payload: unknown) => void;
}

interface Slot {
  worker: Worker;
  jobId: number | null;
}

/** A bounded pool of worker threads running jobs; the jobs table is kept current. */
/** Events a job may send many times a second; coalesced per progress interval (see JobService). */
const COALESCED_EVENTS: ReadonlySet<string> = new Set(['run.progress', 'queries.added', 'models.changed', 'datasets.changed']);

export class JobService {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: number[] = [];
  private readonly cancelling = new Map<number, NodeJS.Timeout>();
  private readonly lastProgress = new Map<number, number>();
  /**
   * A job's frequent events, coalesced to one per progress interval: its latest run.progress
   * (a curve point), the latest models.changed of each model and datasets.changed of each
   * project, and the queries.added counts summed per project. A fast simulator or a small
   * training makes thousands a second, which the windows would spend their time redrawing.
   */
  private readonly coalesced = new Map<number, { at: number; timer: NodeJS.Timeout | null; latest: Map<string, { event: string; payload: unknown }>; queries: Map<number, number> }>();
  private readonly entry: WorkerEntry;
  private readonly waiters = new Map<number, Array<(job: JobInfo) => void>>();
  private closed = false;

  constructor(private readonly opts: JobServiceOptions) {
    this.size = Math.max(1, opts.size ?? availableParallelism());
    this.entry = opts.entry ?? defaultWorkerEntry();
  }

  start(kind: JobKind, params: unknown, projectId: number | null): JobInfo {
    if (this.closed) throw new ApiError('unavailable', 'The job service is shutting down.');
    const job = this.opts.store.create(kind, params, projectId);
    this.queue.push(job.id);
    this.emit(job.id);
    this.pump();
    return this.opts.store.get(job.id);
  }

  cancel(id: number): JobInfo {
    const job = this.opts.store.get(id);
    if (job.status === 'queued') {
      const at = this.queue.indexOf(id);
      if (at >= 0) this.queue.splice(at, 1);
      this.finish(id, 'cancelled', { message: 'Cancelled before it started.' });
    } else if (job.status === 'running' && !this.cancelling.has(id)) {
      const slot = this.slots.find((s) => s.jobId === id);
      if (slot) {
        this.post(slot, { type: 'cancel', jobId: id });
        // a job that does not check for cancellation in time is stopped by force
        const timer = setTimeout(() => void slot.worker.terminate(), this.opts.cancelGraceMs ?? 5000);
        timer.unref();
        this.cancelling.set(id, timer);
      }
    }
    return this.opts.store.get(id);
  }

  /** Cancels every queued or running job of a project and waits until they have stopped. */
  async cancelProject(projectId: number): Promise<void> {
    const active = this.opts.store.list({ projectId, statuses: ['queued', 'running'], limit: 10_000 });
    await Promise.all(active.map((j) => {
      const done = this.whenFinished(j.id);
      this.cancel(j.id);
      return done;
    }));
  }

  /** Resolves with the job once it is no longer queued or running. */
  whenFinished(id: number): Promise<JobInfo> {
    const job = this.opts.store.get(id);
    if (job.status !== 'queued' && job.status !== 'running') return Promise.resolve(job);
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  get running(): number {
    return this.slots.filter((s) => s.jobId !== null).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    for (const t of this.cancelling.values()) clearTimeout(t);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }

  private pump(): void {
    while (!this.closed && this.queue.length) {
      let slot = this.slots.find((s) => s.jobId === null);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const id = this.queue.shift()!;
      const job = this.opts.store.find(id);
      if (!job || job.status !== 'queued') continue;
      slot.jobId = id;
      this.opts.store.markRunning(id);
      this.emit(id);
      this.post(slot, { type: 'run', jobId: id, kind: job.kind, params: job.params, projectId: job.projectId });
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.entry.file, {
      workerData: this.opts.worker,
      execArgv: this.entry.execArgv ?? [],
    });
    const slot: Slot = { worker, jobId: null };
    this.slots.push(slot);
    worker.on('message', (m: FromWorker) => {
      try {
        this.onMessage(slot, m);
      } catch (err) {
        // a write to the jobs table failed (a full disk, a locked or closed database): the row
        // may be stale (the next start marks a row left running as interrupted), but the main
        // process goes on, and a finished job frees its slot for the queue
        console.error(`[jobs] could not record a "${m.type}" message of job ${'jobId' in m ? m.jobId : '?'}:`, err);
        if ((m.type === 'succeeded' || m.type === 'failed' || m.type === 'cancelled') && slot.jobId === m.jobId) {
          slot.jobId = null;
          this.pump();
        }
      }
    });
    worker.on('error', (err) => {
      // an exception nothing caught inside the worker: its job fails with that error, and the
      // dying worker leaves the pool at once so no queued job is handed to it
      this.retire(slot);
      if (slot.jobId !== null) {
        const id = slot.jobId;
        slot.jobId = null;
        this.finish(id, 'failed', { error: `The job crashed: ${err.message}` });
      }
    });
    worker.on('exit', (code) => {
      this.retire(slot);
      if (slot.jobId !== null) {
        const id = slot.jobId;
        slot.jobId = null;
        if (this.cancelling.has(id)) this.finish(id, 'cancelled', { message: 'Stopped by force after cancel.' });
        else if (!this.closed) this.finish(id, 'failed', { error: `The job's worker stopped unexpectedly (exit code ${code}).` });
      }
      this.pump();
    });
    return slot;
  }

  private retire(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'ready' || m.jobId !== slot.jobId) return;
    switch (m.type) {
      case 'event':
        if (COALESCED_EVENTS.has(m.event)) this.coalesce(m.jobId, m.event, m.payload);
        else this.opts.onEvent?.(m.event, m.payload);
        return;
      case 'progress': {
        const now = Date.now();
        if (now - (this.lastProgress.get(m.jobId) ?? 0) < (this.opts.progressIntervalMs ?? 100)) return;
        this.lastProgress.set(m.jobId, now);
        this.opts.store.progress(m.jobId, m.progress, m.message);
        this.emit(m.jobId);
        return;
      }
      case 'succeeded':
        this.finish(m.jobId, 'succeeded', { result: m.result, message: 'Done.' });
        break;
      case 'failed':
        this.finish(m.jobId, 'failed', { error: m.error });
        break;
      case 'cancelled':
        this.finish(m.jobId, 'cancelled', { message: 'Cancelled.' });
        break;
    }
    slot.jobId = null;
    this.pump();
  }

  private coalesce(jobId: number, event: string, payload: unknown): void {
    let c = this.coalesced.get(jobId);
    if (!c) this.coalesced.set(jobId, (c = { at: 0, timer: null, latest: new Map(), queries: new Map() }));
    if (event === 'queries.added') {
      const { projectId, count } = payload as { projectId: number; count: number };
      c.queries.set(projectId, (c.queries.get(projectId) ?? 0) + count);
    } else {
      // one per subject: a model's latest change, a project's datasets, the run's curve point
      const p = payload as { projectId?: number; modelId?: number };
      c.latest.set(`${event}:${p.modelId ?? ''}:${p.projectId ?? ''}`, { event, payload });
    }
    const interval = this.opts.progressIntervalMs ?? 100;
    const wait = c.at + interval - Date.now();
    if (wait <= 0) this.flushEvents(jobId);
    else if (!c.timer) {
      c.timer = setTimeout(() => this.flushEvents(jobId), wait);
      c.timer.unref();
    }
  }

  /** Sends what a job's coalesced events hold now (its last curve point, the queries it added). */
  private flushEvents(jobId: number): void {
    const c = this.coalesced.get(jobId);
    if (!c) return;
    if (c.timer) clearTimeout(c.timer);
    c.timer = null;
    c.at = Date.now();
    for (const [projectId, count] of c.queries) this.opts.onEvent?.('queries.added', { projectId, count });
    c.queries.clear();
    for (const { event, payload } of c.latest.values()) this.opts.onEvent?.(event, payload);
    c.latest.clear();
  }

  private finish(id: number, status: 'succeeded' | 'failed' | 'cancelled', fields: { error?: string; result?: unknown; message?: string }): void {
    // what the job said last arrives before its end
    this.flushEvents(id);
    this.coalesced.delete(id);
    const timer = this.cancelling.get(id);
    if (timer) clearTimeout(timer);
    this.cancelling.delete(id);
    this.lastProgress.delete(id);
    if (!this.opts.store.find(id)) return; // its project was deleted meanwhile
    this.opts.store.finish(id, status, fields);
    const job = this.emit(id);
    const waiting = this.waiters.get(id);
    this.waiters.delete(id);
    if (job) waiting?.forEach((w) => w(job));
  }

  private emit(id: number): JobInfo | null {
    const job = this.opts.store.find(id);
    if (job) this.opts.onUpdate?.(job);
    return job;
  }

  private post(slot: Slot, m: ToWorker): void {
    slot.worker.postMessage(m);
  }
}
