import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EnvironmentId } from '../../../src-shared/environments';
import { ComputePool, defaultComputeEntry } from './pool';
import {
  decodeFloats,
  encodeOutcome,
  ENVIRONMENT_VERSIONS,
  GROUND_TRUTH_QUEUE,
  redactRedisUrl,
  WORKER_DESIGNS_KEY,
  redisConnection,
  settingsHash,
  type BatchJobData,
  type BatchJobResult,
} from './queue-protocol';
import './rollout';
import '../gns/train'; // registers the GNS's half-batch gradient: a GNS training's data parallelism
import { runTrainingJob, TRAINING_QUEUE, type TrainingJobData, type TrainingJobResult } from './training-queue';

// `idw worker`: takes ground-truth batches from the Redis queue and runs them on this machine's
// cores (a compute pool of `concurrency` threads, so the BullMQ worker's own thread stays free to
// renew its locks). It never opens a project database: results go back through the queue.

export interface QueueWorkerOptions {
  url: string;
  /** batches at once, one compute thread each (default 1) */
  concurrency?: number;
  /** the compute worker's file (tests, benches); default: next to the bundle */
  computeEntry?: string;
  /** this worker's environment versions (default ENVIRONMENT_VERSIONS); tests give another to see a refusal */
  environmentVersions?: Partial<Record<EnvironmentId, string>>;
  /** how long a batch's lock lasts without renewal, and how often stalled batches are looked for (BullMQ's defaults: 30 s) */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** one line per event (ready, batch done, refusal, error) */
  log?: (line: string) => void;
}

export interface QueueWorkerHandle {
  name: string;
  worker: Worker<BatchJobData, BatchJobResult>;
  /** takes trainings (diffusion.train with queue), one at a time */
  trainer: Worker<TrainingJobData, TrainingJobResult>;
  /** designs and batches done by this worker */
  stats: { batches: number; designs: number; refused: number };
  close(): Promise<void>;
}


export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const name = `${hostname()}:${process.pid}`;
  const log = opts.log ?? ((line: string) => console.log(line));
  const versions = { ...ENVIRONMENT_VERSIONS, ...opts.environmentVersions };
  // the compute worker's file is looked for now, so a missing build is said at the start
  const pool = new ComputePool({ size: concurrency, entry: opts.computeEntry ?? defaultComputeEntry() });
  const stats = { batches: 0, designs: 0, refused: 0 };
  const connection: Redis = redisConnection(opts.url);
  const counter: Redis = redisConnection(opts.url);
  let lastError = '';
  let ready = false;
  connection.on('error', (err: Error) => {
    if (ready && err.message !== lastError) log(`[worker ${name}] Redis: ${err.message}`);
    lastError = err.message;
  });
  counter.on('error', () => undefined);
  try {
    await connection.connect();
    await connection.ping();
    await counter.connect();
  } catch (err) {
    connection.disconnect();
    counter.disconnect();
    await pool.close();
    // the server's reason (refused connection, wrong password), not ioredis's "Connection is closed."
    throw new Error(`Redis at ${redactRedisUrl(opts.url)}: ${lastError || (err instanceof Error ? err.message : String(err))}`);
  }
  ready = true;

  const processor = async (job: Job<BatchJobData, BatchJobResult>): Promise<BatchJobResult> => {
    const d = job.data;
    const version = versions[d.environment];
    if (!version) {
      stats.refused++;
      throw new UnrecoverableError(`Worker ${name} does not know the environment "${d.environment}": update the workbench on this machine.`);
    }
    const own = settingsHash(d.environment, d.settings, version);
    if (own !== d.settingsHash) {
      stats.refused++;
      const message = `Worker ${name} refused batch ${d.batchId}: its ${d.environment} environment is version ${version} (settings hash ${own.slice(0, 12)}), the batch's is version ${d.environmentVersion} (settings hash ${d.settingsHash.slice(0, 12)}). Run the same workbench version on the worker as on the machine that owns the project.`;
      log(`[worker ${name}] ${message}`);
      throw new UnrecoverableError(message);
    }
    if (!Array.isArray(d.designs) || !Array.isArray(d.tasks) || d.designs.length !== d.tasks.length || !d.designs.length) {
      throw new UnrecoverableError(`Batch ${d.batchId} is malformed: ${d.designs?.length} designs for ${d.tasks?.length} tasks.`);
    }
    const outcomes = await pool.map(
      'rollout',
      d.designs.map((design, i) => ({
        environment: d.environment,
        settings: d.settings,
        design: decodeFloats(design),
        task: decodeFloats(d.tasks[i]!),
        keepRollout: d.keepRollout,
        stepsPerFrame: d.stepsPerFrame,
      })),
    );
    stats.batches++;
    stats.designs += outcomes.length;
    await counter.hincrby(WORKER_DESIGNS_KEY, name, outcomes.length).catch(() => undefined);
    return { worker: name, outcomes: outcomes.map(encodeOutcome) };
  };

  const worker = new Worker<BatchJobData, BatchJobResult>(GROUND_TRUTH_QUEUE, processor, {
    connection,
    concurrency,
    name,
    // only when given: an undefined option would replace BullMQ's default
    ...(opts.lockDurationMs !== undefined && { lockDuration: opts.lockDurationMs }),
    ...(opts.stalledIntervalMs !== undefined && { stalledInterval: opts.stalledIntervalMs }),
    // completed batches per minute, kept a day: idw doctor's throughput
    metrics: { maxDataPoints: 24 * 60 },
  });
  worker.on('failed', (job, err) => {
    if (job && !(err instanceof UnrecoverableError)) log(`[worker ${name}] batch ${job.id} failed (try ${job.attemptsMade}): ${err.message}`);
  });
  worker.on('error', (err) => log(`[worker ${name}] ${err.message}`));
  // trainings, one at a time, in this thread (TF.js): a step yields between steps, so the locks renew
  const trainer = new Worker<TrainingJobData, TrainingJobResult>(TRAINING_QUEUE, (job) => runTrainingJob(job, name, counter, (args) => pool.run('gnsPartGradient', args)), {
    connection,
    concurrency: 1,
    name,
    ...(opts.lockDurationMs !== undefined && { lockDuration: opts.lockDurationMs }),
    ...(opts.stalledIntervalMs !== undefined && { stalledInterval: opts.stalledIntervalMs }),
  });
  trainer.on('active', (job) => log(`[worker ${name}] training ${job.id}: ${job.data.params.steps} steps at most`));
  trainer.on('progress', (job, p) => {
    const m = p as { kind?: string; resumedAt?: number };
    if (m.kind === 'started' && m.resumedAt !== undefined) log(`[worker ${name}] training ${job.id} resumed at step ${m.resumedAt}`);
  });
  trainer.on('completed', (job, r) => log(`[worker ${name}] training ${job.id} done at step ${r.state.step}`));
  trainer.on('failed', (job, err) => log(`[worker ${name}] training ${job?.id ?? '?'} ended: ${err.message}`));
  trainer.on('error', (err) => log(`[worker ${name}] ${err.message}`));
  await worker.waitUntilReady();
  await trainer.waitUntilReady();
  log(`[worker ${name}] ready: ${concurrency} at once from ${redactRedisUrl(opts.url)} (queue ${GROUND_TRUTH_QUEUE}), trainings one at a time (queue ${TRAINING_QUEUE})`);
  return {
    name,
    worker,
    trainer,
    stats,
    async close() {
      await trainer.close();
      await worker.close();
      await pool.close();
      counter.disconnect();
      connection.disconnect();
    },
  };
}
