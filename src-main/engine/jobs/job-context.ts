import type { ApiEvents, EventName, ModelInfo, ProjectSummary } from '../../../src-shared/api';
import type { Compute } from '../compute/pool';
import type { Environment } from '../environments';
import type { ModelStore } from '../models/store';
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
  /**
   * worker threads for batches of rollouts, started on first use; with a Redis URL set (idw queue
   * set), ground-truth rollouts go to the queue's workers instead (compute/queue.ts)
   */
  compute(): Compute;
  /** a workbench event (e.g. datasets.changed), relayed to every window */
  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void;
}

export type JobRunner<P = never> = (params: P, ctx: JobContext) => Promise<unknown>;

/** What a job kind's request check reads: the project the job works on and its stores. */
export interface JobCheckContext {
  db: Db;
  project: ProjectSummary;
  env: Environment;
  models: ModelStore;
  /**
   * Refuses to resume a model that a live job trains. Before a job is queued it names that job
   * and the process running it (and reclaims a model left by a process that is gone); in a job,
   * the model's status alone.
   */
  checkNotTraining(model: ModelInfo): void;
}

/**
 * What the schema cannot see, checked against the project: throws ApiError naming the parameter
 * (path params.…). Runs before a job row is written and again when the job starts, so a job
 * started another way is refused with the same message. Must stay cheap to import (no TF.js).
 */
export type JobCheck<P = never> = (ctx: JobCheckContext, params: P) => void;

/** A job kind: its code, and the check of its requests. */
export interface JobKindDefinition<P = never> {
  run: JobRunner<P>;
  check?: JobCheck<P>;
}

export class JobCancelled extends Error {
  constructor() {
    super('Cancelled by the user.');
    this.name = 'JobCancelled';
  }
}
