import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { ComputePool } from '../compute/pool';
import { QueueCompute } from '../compute/queue';
import { AppSettings } from '../storage/app-settings';
import { openDatabase, type Db } from '../storage/database';
import { JobCancelled, type JobContext, type JobKindDefinition, type JobRunner } from './job-context';
import { JOB_KINDS } from './kinds';
import { jobCheckContext } from './project-context';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol';

// A job worker: runs one job at a time, posts progress, stops at the next check after a cancel.
const config = workerData as WorkerConfig;
const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);
let db: Db | null = null;
let pool: ComputePool | null = null;
const kinds: Record<string, JobKindDefinition> = { ...JOB_KINDS };
const controllers = new Map<number, AbortController>();

async function run(msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const controller = new AbortController();
  controllers.set(msg.jobId, controller);
  // this job's ground-truth queue (undefined: not asked for yet; null: none set)
  let queue: QueueCompute | null | undefined;
  let lastProgress = 0;
  const ctx: JobContext = {
    jobId: msg.jobId,
    projectId: msg.projectId,
    dataDir: config.dataDir,
    signal: controller.signal,
    progress: (progress, message) => {
      lastProgress = progress;
      // after a fallback every message says where the rollouts run
      const where = queue?.mode === 'local' && message ? ' (local pool: the Redis queue was unreachable)' : '';
      post({ type: 'progress', jobId: msg.jobId, progress, message: message ? message + where : null });
    },
    throwIfCancelled: () => {
      if (controller.signal.aborted) throw new JobCancelled();
    },
    database: () => (db ??= openDatabase(config.databasePath, { nativeBinding: config.nativeBinding, migrate: false })),
    compute: () => {
      pool ??= new ComputePool({ entry: config.computeEntry, size: config.computeSize });
      if (queue === undefined) {
        // the queue's URL as it is when the job first asks: a job started later sees a change
        const url = new AppSettings(ctx.database()).redisUrl();
        queue = url ? new QueueCompute({ url, local: pool, ...config.queue, signal: controller.signal, notice: (m) => post({ type: 'progress', jobId: msg.jobId, progress: lastProgress, message: m }) }) : null;
      }
      return queue ?? pool;
    },
    emit: (event, payload) => post({ type: 'event', jobId: msg.jobId, event, payload }),
  };
  try {
    const kind = kinds[msg.kind];
    if (!kind) throw new Error(`This worker has no job kind "${msg.kind}".`);
    // the request is checked again as the job starts, as jobs.start did before queuing it: the
    // project may have changed meanwhile, or the job came another way (a job without a project
    // is left to the kind, which says what it needs)
    if (kind.check && ctx.projectId !== null) kind.check(jobCheckContext(ctx), msg.params as never);
    // a job that finished its work succeeded, even if a cancel arrived in its last moments
    const result = await kind.run(msg.params as never, ctx);
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
    await queue?.close().catch(() => undefined);
  }
}

async function start(): Promise<void> {
  if (config.extraKindsModule) {
    const extra = (await import(/* @vite-ignore */ pathToFileURL(config.extraKindsModule).href)) as {
      JOB_RUNNERS: Record<string, JobRunner<never>>;
    };
    for (const [name, run] of Object.entries(extra.JOB_RUNNERS)) kinds[name] = { run };
  }
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'run') void run(msg);
    else if (msg.type === 'cancel') controllers.get(msg.jobId)?.abort();
  });
  post({ type: 'ready' });
}

void start();
