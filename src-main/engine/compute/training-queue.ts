// Trainings on queue workers (the second step of the ground-truth queue): a diffusion.train or
// outcome.train job with `queue` sends its training, data included, to the Redis queue; an `idw
// worker` trains it with the same loop as a local training (diffusion/train-run.ts,
// outcome/train-run.ts) and sends back its progress, a
// checkpoint at every evaluation, and the best weights. The owning job publishes the curves and
// writes the checkpoints and the model, so a worker never opens a project database, and a stopped
// training resumes from its last checkpoint here or on the queue. The worker also keeps its last
// checkpoint in Redis: a worker that takes a training over after a crash resumes there.
import { Queue, QueueEvents, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TrainingHooks, TrainingState } from '../jobs/training-loop';
import type { JobContext } from '../jobs/job-context';
import { AppSettings } from '../storage/app-settings';
import { loadTf } from '../tf';
import { trainDenoiser, type DenoiserTrainingSpec } from '../diffusion/train-run';
import type { DiffusionExamples } from '../diffusion/training-data';
import { trainOutcome, type OutcomeTrainingSpec } from '../outcome/train-run';
import { trainGns, type GnsTrainingSpec } from '../gns/train-run';
import { deserializeWeights, serializeWeights, type WeightsLayout } from '../gns/serialize';
import type { TrajectoryPositions } from '../gns/normalization';
import type { PartGradientFn } from '../gns/train';
import type { OutcomeExamples } from '../outcome/train';
import { decodeFloats, encodeFloats, redactRedisUrl, redisConnection } from './queue-protocol';

export const TRAINING_QUEUE = 'idw-training';
/** a worker trains only what its own code would train the same way */
export const TRAINING_VERSIONS = { diffusion: 'diffusion.train/1', outcome: 'outcome.train/1', gns: 'gns.train/1' } as const;
const cancelKey = (jobId: string): string => `idw:training:cancel:${jobId}`;
/** a training's last checkpoint, kept in Redis while it runs: a worker that takes it over after a crash resumes there */
const checkpointKey = (jobId: string): string => `idw:training:checkpoint:${jobId}`;
const CHECKPOINT_TTL_S = 7 * 24 * 3600;

type Encoded<T> = { [K in keyof T]: T[K] extends Float32Array ? string : T[K] };
/** a checkpoint as it travels: flat weights, and the kind's layout fields to read them back (CheckpointData.layout) */
type EncodedCheckpoint = { state: TrainingState; weights: string; best: string; m: string; v: string; layout?: Record<string, unknown> };
type EncodedTrajectory = { positions: string; frames: number; particles: number; particleTypes: number[] };

/** What a training on the queue is: the kind's loop, its settings and data. */
export type TrainingRequest = { kind: 'diffusion'; spec: DenoiserTrainingSpec } | { kind: 'outcome'; spec: OutcomeTrainingSpec } | { kind: 'gns'; spec: GnsTrainingSpec };

export type TrainingJobData = { version: string; checkpoint: EncodedCheckpoint | null } & (
  | { kind: 'diffusion'; denoiser: DenoiserTrainingSpec['denoiser']; schedule: DenoiserTrainingSpec['schedule']; params: DenoiserTrainingSpec['params']; train: Encoded<DiffusionExamples>; val: Encoded<DiffusionExamples> }
  | { kind: 'outcome'; config: OutcomeTrainingSpec['config']; params: OutcomeTrainingSpec['params']; train: Encoded<OutcomeExamples>; val: Encoded<OutcomeExamples>; focus: number[]; initial: string }
  | { kind: 'gns'; gns: GnsTrainingSpec['gns']; params: GnsTrainingSpec['params']; norm: GnsTrainingSpec['norm']; train: EncodedTrajectory[]; val: EncodedTrajectory[]; start: { layout: WeightsLayout; data: string } | null }
);

export interface TrainingOutcome {
  /** the best weights, flat (a GNS's as serializeWeights lays them out: bestLayout) */
  best: Float32Array;
  bestLayout?: WeightsLayout;
  state: TrainingState;
  stoppedEarly: boolean;
  /** an outcome model's last validation loss of its cost entries */
  costLoss: number | null;
}

export type TrainingProgress =
  | { kind: 'started'; worker: string; resumedAt?: number }
  | { kind: 'progress'; step: number; loss: number }
  | { kind: 'evaluated'; state: TrainingState; weights: string; best: string; m: string; v: string; layout: Record<string, unknown>; costLoss: number | null };

export interface TrainingJobResult {
  worker: string;
  best: string;
  bestLayout?: WeightsLayout;
  state: TrainingState;
  stoppedEarly: boolean;
  costLoss: number | null;
}

const encodeDiffusion = (e: DiffusionExamples): Encoded<DiffusionExamples> => ({ n: e.n, dim: e.dim, designs: encodeFloats(e.designs), conditions: encodeFloats(e.conditions) });
const decodeDiffusion = (e: Encoded<DiffusionExamples>): DiffusionExamples => ({ n: e.n, dim: e.dim, designs: decodeFloats(e.designs), conditions: decodeFloats(e.conditions) });
const encodeOutcomes = (e: OutcomeExamples): Encoded<OutcomeExamples> => ({ n: e.n, designs: encodeFloats(e.designs), targets: encodeFloats(e.targets) });
const decodeOutcomes = (e: Encoded<OutcomeExamples>): OutcomeExamples => ({ n: e.n, designs: decodeFloats(e.designs), targets: decodeFloats(e.targets) });
const encodeCheckpoint = (c: DenoiserTrainingSpec['checkpoint']): EncodedCheckpoint | null =>
  c && { state: c.state, weights: encodeFloats(c.weights), best: encodeFloats(c.best), m: encodeFloats(c.optimizer.m), v: encodeFloats(c.optimizer.v) };
const encodeTrajectory = (t: TrajectoryPositions): EncodedTrajectory => ({ positions: encodeFloats(t.positions), frames: t.frames, particles: t.particles, particleTypes: Array.from(t.particleTypes) });
const decodeTrajectory = (t: EncodedTrajectory): TrajectoryPositions => ({ positions: decodeFloats(t.positions), frames: t.frames, particles: t.particles, particleTypes: t.particleTypes });
function encodeGnsCheckpoint(c: GnsTrainingSpec['checkpoint']): EncodedCheckpoint | null {
  if (!c) return null;
  const weights = serializeWeights(c.weights);
  return { state: c.state, weights: encodeFloats(weights.data), best: encodeFloats(serializeWeights(c.best).data), m: encodeFloats(c.optimizer.m), v: encodeFloats(c.optimizer.v), layout: { layout: weights.layout } };
}
function decodeGnsCheckpoint(c: EncodedCheckpoint | null): GnsTrainingSpec['checkpoint'] {
  if (!c) return null;
  const layout = (c.layout as { layout?: WeightsLayout } | undefined)?.layout;
  if (!layout) throw new UnrecoverableError('A GNS checkpoint came without its weights layout.');
  return { state: c.state, weights: deserializeWeights(layout, decodeFloats(c.weights)), best: deserializeWeights(layout, decodeFloats(c.best)), optimizer: { version: 1, step: c.state.step, m: decodeFloats(c.m), v: decodeFloats(c.v) } };
}
const decodeCheckpoint = (c: EncodedCheckpoint | null): DenoiserTrainingSpec['checkpoint'] =>
  c && { state: c.state, weights: decodeFloats(c.weights), best: decodeFloats(c.best), optimizer: { version: 1, step: c.state.step, m: decodeFloats(c.m), v: decodeFloats(c.v) } };

function encodeRequest(r: TrainingRequest): TrainingJobData {
  if (r.kind === 'gns') {
    const { gns, params, norm, train, val, start } = r.spec;
    const s = start && serializeWeights(start);
    return { version: TRAINING_VERSIONS.gns, kind: 'gns', checkpoint: encodeGnsCheckpoint(r.spec.checkpoint), gns, params, norm, train: train.map(encodeTrajectory), val: val.map(encodeTrajectory), start: s && { layout: s.layout, data: encodeFloats(s.data) } };
  }
  const checkpoint = encodeCheckpoint(r.spec.checkpoint);
  if (r.kind === 'diffusion') {
    const { denoiser, schedule, params, train, val } = r.spec;
    return { version: TRAINING_VERSIONS.diffusion, kind: 'diffusion', checkpoint, denoiser, schedule, params, train: encodeDiffusion(train), val: encodeDiffusion(val) };
  }
  const { config, params, train, val, focus, initial } = r.spec;
  return { version: TRAINING_VERSIONS.outcome, kind: 'outcome', checkpoint, config, params, train: encodeOutcomes(train), val: encodeOutcomes(val), focus, initial: encodeFloats(initial) };
}

/**
 * The owning side: sends the training to the queue and follows it. Null (after `local` says why)
 * when no queue is set or Redis cannot be reached: the caller trains here.
 */
export async function trainOnQueue(
  ctx: JobContext,
  request: TrainingRequest,
  hooks: TrainingHooks,
  events: { started(worker: string): void; local(reason: string): void },
  opts: { connectTimeoutMs?: number } = {},
): Promise<TrainingOutcome | null> {
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
    const data = encodeRequest(request);
    // a worker killed mid-training: BullMQ hands the job to another, which resumes from the last checkpoint kept in Redis
    const job = await queue.add(request.kind, data, { attempts: 1, removeOnComplete: true, removeOnFail: 100 });
    const id = job.id!;
    queueEvents.on('progress', ({ jobId, data: p }) => {
      if (jobId !== id || failure) return;
      const m = p as TrainingProgress;
      try {
        if (m.kind === 'started') events.started(m.resumedAt === undefined ? m.worker : `${m.worker}, resumed at step ${m.resumedAt}`);
        else if (m.kind === 'progress') hooks.progress(m.step, m.loss);
        else if (m.kind === 'evaluated') {
          const c = decodeCheckpoint(m)!;
          hooks.evaluated(m.state, { weights: c.weights, best: c.best, optimizer: c.optimizer, layout: m.layout }, m.costLoss);
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
    return { best: decodeFloats(result.best), bestLayout: result.bestLayout, state: result.state, stoppedEarly: result.stoppedEarly, costLoss: result.costLoss };
  } finally {
    await queueEvents.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    eventsConnection.disconnect();
    connection.disconnect();
  }
}

/** The worker's side: one training from the queue, with the local training's loop. */
export async function runTrainingJob(job: Job<TrainingJobData, TrainingJobResult>, worker: string, redis: Redis, helper?: PartGradientFn): Promise<TrainingJobResult> {
  const d = job.data;
  const own = TRAINING_VERSIONS[d.kind] as string | undefined;
  if (!own || d.version !== own) {
    throw new UnrecoverableError(`Worker ${worker} trains ${Object.values(TRAINING_VERSIONS).join(' and ')}, not ${d.kind} ${d.version}: run the same workbench version on the worker as on the machine that owns the project.`);
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
    const resumeFrom = last ? { state: last.state, weights: last.weights, best: last.best, m: last.m, v: last.v, layout: last.layout } : d.checkpoint;
    await job.updateProgress({ kind: 'started', worker, ...(last ? { resumedAt: last.state.step } : {}) } satisfies TrainingProgress);
    const send = (p: TrainingProgress): void => void job.updateProgress(p).catch(() => undefined);
    const hooks: TrainingHooks = {
      throwIfCancelled: () => {
        if (cancelled) throw new UnrecoverableError('The training was stopped by the job that owns it.');
      },
      progress: (step, loss) => send({ kind: 'progress', step, loss }),
      // the state goes as it is now (the loop goes on changing it)
      evaluated: (state, cp, costLoss) => {
        const p: TrainingProgress = { kind: 'evaluated', state: JSON.parse(JSON.stringify(state)) as TrainingState, weights: encodeFloats(cp.weights), best: encodeFloats(cp.best), m: encodeFloats(cp.optimizer.m), v: encodeFloats(cp.optimizer.v), layout: cp.layout, costLoss: costLoss ?? null };
        void redis.set(checkpointKey(job.id!), JSON.stringify(p), 'EX', CHECKPOINT_TTL_S).catch(() => undefined);
        send(p);
      },
    };
    let out: TrainingOutcome;
    if (d.kind === 'gns') {
      const start = d.start && deserializeWeights(d.start.layout, decodeFloats(d.start.data));
      const spec: GnsTrainingSpec = { gns: d.gns, params: d.params, norm: d.norm, train: d.train.map(decodeTrajectory), val: d.val.map(decodeTrajectory), start, checkpoint: decodeGnsCheckpoint(resumeFrom) };
      const r = await trainGns(tf, spec, hooks, helper);
      const flat = serializeWeights(r.best);
      out = { best: flat.data, bestLayout: flat.layout, state: r.state, stoppedEarly: r.stoppedEarly, costLoss: null };
    } else if (d.kind === 'diffusion') {
      const spec = { denoiser: d.denoiser, schedule: d.schedule, params: d.params, train: decodeDiffusion(d.train), val: decodeDiffusion(d.val), checkpoint: decodeCheckpoint(resumeFrom) };
      out = { costLoss: null, ...(await trainDenoiser(tf, spec, hooks)) };
    } else {
      const spec = { config: d.config, params: d.params, train: decodeOutcomes(d.train), val: decodeOutcomes(d.val), focus: d.focus, initial: decodeFloats(d.initial), checkpoint: decodeCheckpoint(resumeFrom) };
      out = await trainOutcome(tf, spec, hooks);
    }
    await redis.del(checkpointKey(job.id!)).catch(() => undefined);
    return { worker, best: encodeFloats(out.best), bestLayout: out.bestLayout, state: out.state, stoppedEarly: out.stoppedEarly, costLoss: out.costLoss };
  } finally {
    clearInterval(watch);
  }
}
