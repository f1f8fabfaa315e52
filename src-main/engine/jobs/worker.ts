import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { ComputePool } from '../compute/pool';
import { openDatabase, type Db } from '../storage/database';
import { JobCancelled, type JobContext, type JobRunner } from './job-context';
import { JOB_RUNNERS } from './kinds';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol';

// A job worker: runs one job at a time, posts progress, stops at the next check after a cancel.
const config = workerData as WorkerConfig;
const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);
let db: Db | null = null;
let pool: ComputePool | null = null;
let runners: Record<string, JobRunner<never>> = { ...JOB_RUNNERS };
const controllers = new Map<number, AbortController>();

async function run(msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const controller = new AbortController();
  controllers.set(msg.jobId, controller);
  const ctx: JobContext = {
    jobId: msg.jobId,
    projectId: msg.projectId,
    dataDir: config.dataDir,
    signal: controller.signal,
    progress: (progress, message) => post({ type: 'progress', jobId: msg.jobId, progress, message: message ?? null }),
    throwIfCancelled: () => {
      if (controller.signal.aborted) throw new JobCancelled();
    },
    database: () => (db ??= openDatabase(config.databasePath, { nativeBinding: config.nativeBinding, migrate: false })),
    compute: () => (pool ??= new ComputePool({ entry: config.computeEntry })),
    emit: (event, payload) => post({ type: 'event', jobId: msg.jobId, event, payload }),
  };
  try {
    const runner = runners[msg.kind];
    if (!runner) throw new Error(`This worker has no job kind "${msg.kind}".`);
    // a job that finished its work succeeded, even if a cancel arrived in its last moments
    const result = await runner(msg.params as never, ctx);
    post({ type: 'succeeded', jobId: msg.jobId, result: result ?? null });
  } catch (err) {
    if (err instanceof JobCancelled || controller.signal.aborted) post({ type: 'cancelled', jobId: msg.jobId });
    else {
      // the user sees the message; the log keeps the stack for a bug report
      console.error(`[job ${msg.jobId} ${msg.kind}] failed:`, err);
      post({ type: 'failed', jobId: msg.jobId, error: err instanceof Error ? err.message : String(err) });
    }
  } finally {
    controllers.delete(msg.jobId);
  }
}

async function start(): Promise<void> {
  if (config.extraKindsModule) {
    const extra = (await import(/* @vite-ignore */ pathToFileURL(config.extraKindsModule).href)) as {
      JOB_RUNNERS: Record<string, JobRunner<never>>;
    };
    runners = { ...runners, ...extra.JOB_RUNNERS };
  }
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'run') void run(msg);
    else if (msg.type === 'cancel') controllers.get(msg.jobId)?.abort();
  });
  post({ type: 'ready' });
}

void start();
