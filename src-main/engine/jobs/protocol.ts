/** Messages between the job service (main thread) and a job worker. */
export type ToWorker =
  | { type: 'run'; jobId: number; kind: string; params: unknown; projectId: number | null }
  | { type: 'cancel'; jobId: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; jobId: number; progress: number; message: string | null }
  | { type: 'succeeded'; jobId: number; result: unknown }
  | { type: 'failed'; jobId: number; error: string }
  | { type: 'cancelled'; jobId: number }
  | { type: 'event'; jobId: number; event: string; payload: unknown };

export interface WorkerConfig {
  dataDir: string;
  databasePath: string;
  /** better_sqlite3.node for this runtime, where it is not the default one (Electron) */
  nativeBinding?: string;
  /** the compute worker's file, where it is not next to the job worker (tests) */
  computeEntry?: string;
  /** compute threads per job worker (default: the number of cores) */
  computeSize?: number;
  /** how the ground-truth queue batches and waits (tests shorten them; see QueueComputeOptions) */
  queue?: { batchSize?: number; connectTimeoutMs?: number; disconnectGraceMs?: number; attempts?: number };
  /** extra job kinds (a module exporting JOB_RUNNERS), used by tests */
  extraKindsModule?: string;
}
