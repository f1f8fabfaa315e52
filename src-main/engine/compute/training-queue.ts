// Trainings on queue workers (the second step of the ground-truth queue): a diffusion.train job
// with `queue` sends its training, data included, to the Redis queue; an `idw worker` trains it
// with the same loop as a local training (diffusion/train-run.ts) and sends back its progress, a
// checkpoint at every evaluation, and the best weights. The owning job publishes the curves and
// writes the checkpoints and the model, so a worker never opens a project database, and a stopped
// training resumes from its last checkpoint here or on the queue. The worker also keeps its last
// checkpoint in Redis: a worker that takes a training over after a crash resumes there.
import { Queue, QueueEvents, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TrainingState } from '../jobs/training-loop';
import type { JobContext } from '../jobs/job-context';
import { AppSettings } from '../storage/app-settings';
import { loadTf } from '../tf';
import { trainDenoiser, type DenoiserTrainingHooks, type DenoiserTrainingSpec } from '../diffusion/train-run';
import type { DiffusionExamples } from '../diffusion/training-data';
import { decodeFloats, encodeFloats, redactRedisUrl, redisConnection } from './queue-protocol';

export const TRAINING_QUEUE = 'idw-training';
/** a worker trains only what its own code would train the same way */
export const TRAINING_VERSION = 'diffusion.train/1';
const cancelKey = (jobId: string): string => `idw:training:cancel:${jobId}`;
/** a training's last checkpoint, kept in Redis while it runs: a worker that takes it over after a crash resumes there */
const checkpointKey = (jobId: string): string => `idw:training:checkpoint:${jobId}`;
const CHECKPOINT_TTL_S = 7 * 24 * 3600;

type Encoded<T> = { [K in keyof T]: T[K] extends Float32Array ? string : T[K] };

export interface TrainingJobData {
  version: string;
  kind: 'diffusion';
  denoiser: DenoiserTrainingSpec['denoiser'];
  schedule: DenoiserTrainingSpec['schedule'];
  params: DenoiserTrainingSpec['params'];
  train: Encoded<DiffusionExamples>;
  val: Encoded<DiffusionExamples>;
  checkpoint: { state: TrainingState; weights: string; best: string; m: string; v: string } | null;
}

export type TrainingProgress =
  | { kind: 'started'; worker: string; resumedAt?: number }
  | { kind: 'progress'; step: number; loss: number }
  | { kind: 'evaluated'; state: TrainingState; weights: string; best: string; m: string; v: string; weightsSize: number };

export interface TrainingJobResult {
  worker: string;
  best: string;
  state: TrainingState;
  stoppedEarly: boolean;
}

const encodeExamples = (e: DiffusionExamples): Encoded<DiffusionExamples> => ({ n: e.n, dim: e.dim, designs: encodeFloats(e.designs), conditions: encodeFloats(e.conditions) });
const decodeExamples = (e: Encoded<DiffusionExamples>): DiffusionExamples => ({ n: e.n, dim: e.dim, designs: decodeFloats(e.designs), conditions: decodeFloats(e.conditions) });

/**
 * The owning side: sends the training to the queue and follows it. Null (after `local` says why)
 * when no queue is set or Redis cannot be reached: the caller trains here.
 */
export async function trainOnQueue(
  ctx: JobContext,
  spec: DenoiserTrainingSpec,
  hooks: DenoiserTrainingHooks,
  events: { started(worker: string): void; local(reason: string): void },
  opts: { connectTimeoutMs?: number } = {},
): Promise<{ best: Float32Array; state: TrainingState; stoppedEarly: boolean } | null> {
  const url = new AppSettings(ctx.database()).redisUrl();
  if (!url) {
    events.local('No Redis queue is set (idw queue set URL, or the About page)');
    return null;
  }
  const connection = redisConnection(url, { connectTimeout: opts.connectTimeoutMs ?? 3000, retryStrategy: () => null });
  let reason = '';
  connection.on('error', (err: Error) => (reason = err.message));
  try {
    await connection.connect();
    await connection.ping();
  } catch (err) {
    connection.disconnect();
    events.local(`Redis at ${redactRedisUrl(url)} could not be reached (${reason || (err instanceof Error ? err.message : String(err))})`);
    return null;
  }
  const eventsConnection = redisConnection(url);
  const queue = new Queue<TrainingJobData, TrainingJobResult>(TRAINING_QUEUE, { connection });
  const queueEvents = new QueueEvents(TRAINING_QUEUE, { connection: eventsConnection });
  let failure: unknown = null;
  try {
    await queueEvents.waitUntilReady();
    const c = spec.checkpoint;
    const data: TrainingJobData = {
      version: TRAINING_VERSION,
      kind: 'diffusion',
      denoiser: spec.denoiser,
      schedule: spec.schedule,
      params: spec.params,
      train: encodeExamples(spec.train),
      val: encodeExamples(spec.val),
      checkpoint: c && { state: c.state, weights: encodeFloats(c.weights), best: encodeFloats(c.best), m: encodeFloats(c.optimizer.m), v: encodeFloats(c.optimizer.v) },
    };
    // a worker killed mid-training: BullMQ hands the job to another, which starts it again
    const job = await queue.add('diffusion', data, { attempts: 1, removeOnComplete: true, removeOnFail: 100 });
    const id = job.id!;
    queueEvents.on('progress', ({ jobId, data: p }) => {
      if (jobId !== id || failure) return;
      const m = p as TrainingProgress;
      try {
        if (m.kind === 'started') events.started(m.resumedAt === undefined ? m.worker : `${m.worker}, resumed at step ${m.resumedAt}`);
        else if (m.kind === 'progress') hooks.progress(m.step, m.loss);
        else if (m.kind === 'evaluated') {
          const optimizer = { version: 1 as const, step: m.state.step, m: decodeFloats(m.m), v: decodeFloats(m.v) };
          hooks.evaluated(m.state, { weights: decodeFloats(m.weights), best: decodeFloats(m.best), optimizer, layout: { weightsSize: m.weightsSize } });
        }
      } catch (err) {
        // the model was taken by another job: the worker is told to stop
        failure = err;
      }
    });
    const finished = job.waitUntilFinished(queueEvents);
    // a cancel, or a failure in the hooks, is noticed within a quarter second; the worker stops at its next step
    for (;;) {
      const done = await Promise.race([finished.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 250))]);
      if (done) break;
      try {
        if (failure) throw failure;
        ctx.throwIfCancelled();
      } catch (err) {
        await connection.set(cancelKey(id), '1', 'EX', 3600);
        await job.remove().catch(() => undefined);
        finished.catch(() => undefined);
        throw err;
      }
    }
    const result = (await finished) as TrainingJobResult;
    if (failure) throw failure;
    return { best: decodeFloats(result.best), state: result.state, stoppedEarly: result.stoppedEarly };
  } finally {
    await queueEvents.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    eventsConnection.disconnect();
    connection.disconnect();
  }
}

/** The worker's side: one training from the queue, with the local training's loop. */
export async function runTrainingJob(job: Job<TrainingJobData, TrainingJobResult>, worker: string, redis: Redis): Promise<TrainingJobResult> {
  const d = job.data;
  if (d.version !== TRAINING_VERSION || d.kind !== 'diffusion') {
    throw new UnrecoverableError(`Worker ${worker} trains ${TRAINING_VERSION}, not ${d.kind} ${d.version}: run the same workbench version on the worker as on the machine that owns the project.`);
  }
  const { tf } = await loadTf();
  let cancelled = false;
  const watch = setInterval(() => {
    void redis
      .get(cancelKey(job.id!))
      .then((v) => (cancelled ||= v !== null))
      .catch(() => undefined);
  }, 500);
  try {
    // taken over from a worker that stopped: its last checkpoint, else the one the job was sent with
    const kept = await redis.get(checkpointKey(job.id!));
    const last = kept ? (JSON.parse(kept) as Extract<TrainingProgress, { kind: 'evaluated' }>) : null;
    const c = last ? { state: last.state, weights: last.weights, best: last.best, m: last.m, v: last.v } : d.checkpoint;
    await job.updateProgress({ kind: 'started', worker, ...(last ? { resumedAt: last.state.step } : {}) } satisfies TrainingProgress);
    const spec: DenoiserTrainingSpec = {
      denoiser: d.denoiser,
      schedule: d.schedule,
      params: d.params,
      train: decodeExamples(d.train),
      val: decodeExamples(d.val),
      checkpoint: c && { state: c.state, weights: decodeFloats(c.weights), best: decodeFloats(c.best), optimizer: { version: 1, step: c.state.step, m: decodeFloats(c.m), v: decodeFloats(c.v) } },
    };
    const send = (p: TrainingProgress): void => void job.updateProgress(p).catch(() => undefined);
    const out = await trainDenoiser(tf, spec, {
      throwIfCancelled: () => {
        if (cancelled) throw new UnrecoverableError('The training was stopped by the job that owns it.');
      },
      progress: (step, loss) => send({ kind: 'progress', step, loss }),
      // the state goes as it is now (the loop goes on changing it)
      evaluated: (state, cp) => {
        const p: TrainingProgress = { kind: 'evaluated', state: JSON.parse(JSON.stringify(state)) as TrainingState, weights: encodeFloats(cp.weights), best: encodeFloats(cp.best), m: encodeFloats(cp.optimizer.m), v: encodeFloats(cp.optimizer.v), weightsSize: cp.weights.length };
        void redis.set(checkpointKey(job.id!), JSON.stringify(p), 'EX', CHECKPOINT_TTL_S).catch(() => undefined);
        send(p);
      },
    });
    await redis.del(checkpointKey(job.id!)).catch(() => undefined);
    return { worker, best: encodeFloats(out.best), state: out.state, stoppedEarly: out.stoppedEarly };
  } finally {
    clearInterval(watch);
  }
}
