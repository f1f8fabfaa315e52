import type { ApiEvents, EventName } from '../../../src-shared/api';
import type { ComputePool } from '../compute/pool';
import type { Db } from '../storage/database';

/** What a job's code sees, the same in a worker thread, the CLI and tests. */
export interface JobContext {
  jobId: number;
  projectId: number | null;
  dataDir: string;
  signal: AbortSignal;
  /** fraction in 0..1 and a short message for the Jobs panel */
  progress(fraction: number, message?: string): void;
  /** throws JobCancelled once cancellation was requested; call it between units of work */
  throwIfCancelled(): void;
  /** this thread's own connection to the workbench database */
  database(): Db;
  /** worker threads for batches of rollouts, started on first use */
  compute(): ComputePool;
  /** a workbench event (e.g. datasets.changed), relayed to every window */
  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void;
}

export type JobRunner<P = never> = (params: P, ctx: JobContext) => Promise<unknown>;

export class JobCancelled extends Error {
  constructor() {
    super('Cancelled by the user.');
    this.name = 'JobCancelled';
  }
}
