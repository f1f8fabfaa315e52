// What the training jobs share (the GNS, the outcome model, the diffusion prior): the loop (steps
// until the budget, an evaluation every `evalEvery` steps: curve points, best validation loss, a
// checkpoint; early stopping after `patience` evaluations without improvement, cancellation
// between steps), and the model row they write (ModelTraining: its status, checkpoint files,
// published curves, exported files, and what a training that stops early leaves behind).
import type { ModelInfo } from '../../../src-shared/api';
import type { AdamSnapshot } from '../adam-state';
import type { ModelStore } from '../models/store';
import { bytesToFloats, floatBytes } from '../nn/floats';
import { explainTfError } from '../tf';
import type { JobContext } from './job-context';

export const CHECKPOINT_JSON = 'checkpoint.json';
export const CHECKPOINT_BIN = 'checkpoint.bin';

/** Where a training stands: what its checkpoints store, so a resume continues the same curve. */
export interface TrainingState {
  step: number;
  /** [step, mean training loss since the previous point] and [step, validation loss] */
  curves: { train: [number, number][]; val: [number, number][] };
  best: { step: number; valLoss: number } | null;
  evalsSinceBest: number;
  trainingSeconds: number;
}

export interface TrainingLoopOptions {
  steps: number;
  evalEvery: number;
  patience: number;
  /** one optimizer step; `step` is the number of steps taken before it; returns its loss */
  trainStep(step: number): number | Promise<number>;
  validate(): number;
  /** a new best validation loss: keep the weights */
  onBest(): void;
  /** after every evaluation (the state already updated): checkpoint and publish */
  onEvaluated(): void;
  /** every `progressEvery` steps */
  progress(step: number, meanLoss: number): void;
  progressEvery: number;
  /** what to lower when a step or a validation runs out of memory (the wasm heap) */
  memoryAdvice: string;
}

export function freshTrainingState(): TrainingState {
  return { step: 0, curves: { train: [], val: [] }, best: null, evalsSinceBest: 0, trainingSeconds: 0 };
}

/**
 * What a training loop reports to, whichever machine runs it (a job here, or a queue worker):
 * cancellation, progress, and each evaluation's checkpoint (an outcome model adds the validation
 * loss of its cost entries).
 */
export interface TrainingHooks {
  throwIfCancelled(): void;
  /** the mean training loss since the last report */
  progress(step: number, meanLoss: number): void;
  /** after every evaluation, the state updated */
  evaluated(state: TrainingState, checkpoint: CheckpointData, costLoss?: number | null): void;
}

/** Trains until the budget or early stopping; mutates `state`; returns whether it stopped early. */
export async function runTrainingLoop(ctx: Pick<JobContext, 'throwIfCancelled'>, state: TrainingState, opts: TrainingLoopOptions): Promise<{ stoppedEarly: boolean }> {
  let sum = 0;
  let count = 0;
  while (state.step < opts.steps) {
    // a step is synchronous TF.js work: let the worker read its messages (cancel) in between
    await new Promise((resolve) => setImmediate(resolve));
    ctx.throwIfCancelled();
    const t0 = performance.now();
    const loss = await withMemoryAdvice(() => opts.trainStep(state.step), opts.memoryAdvice);
    state.trainingSeconds += (performance.now() - t0) / 1000;
    if (!Number.isFinite(loss)) throw new Error(`The training loss became ${loss} at step ${state.step + 1}; lower the learning rate.`);
    state.step++;
    sum += loss;
    count++;
    if (state.step % opts.progressEvery === 0) opts.progress(state.step, sum / count);
    if (state.step % opts.evalEvery === 0 || state.step === opts.steps) {
      const valLoss = await withMemoryAdvice(() => opts.validate(), opts.memoryAdvice);
      state.curves.train.push([state.step, sum / count]);
      state.curves.val.push([state.step, valLoss]);
      sum = 0;
      count = 0;
      if (!state.best || valLoss < state.best.valLoss) {
        state.best = { step: state.step, valLoss };
        opts.onBest();
        state.evalsSinceBest = 0;
      } else state.evalsSinceBest++;
      opts.onEvaluated();
      if (state.evalsSinceBest >= opts.patience) return { stoppedEarly: true };
    }
  }
  return { stoppedEarly: false };
}

async function withMemoryAdvice<T>(f: () => T | Promise<T>, advice: string): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw explainTfError(err, advice);
  }
}

/** The model metrics both trainings publish as they go (the UI's live curves). */
export function trainingMetrics(state: TrainingState, steps: number): Record<string, unknown> {
  return {
    step: state.step,
    steps,
    trainLoss: state.curves.train,
    valLoss: state.curves.val,
    bestStep: state.best?.step ?? null,
    bestValLoss: state.best?.valLoss ?? null,
    secondsPerStep: state.step ? state.trainingSeconds / state.step : null,
    trainingSeconds: state.trainingSeconds,
  };
}

/** What a checkpoint holds: the weights now and the best so far (flat, one layout), and Adam's moments. */
export interface CheckpointData {
  weights: Float32Array;
  best: Float32Array;
  optimizer: { m: Float32Array; v: Float32Array };
  /** what the kind adds to checkpoint.json to read its weights back (their layout or size) */
  layout: Record<string, unknown>;
}

/** checkpoint.json: version, the training state, the kind's layout fields, the optimizer's size. */
export type CheckpointJson<L> = { version: 1 } & TrainingState & L & { optimizerSize: number };

/** A checkpoint read back: its JSON, the state to continue, the weights and the optimizer to restore. */
export interface Checkpoint<L> {
  json: CheckpointJson<L>;
  state: TrainingState;
  weights: Float32Array;
  best: Float32Array;
  optimizer: AdamSnapshot;
}

/**
 * The model row a training job writes. `start` takes it for the job (a resumed one atomically:
 * two processes resuming one model must not both write its files); `run` wraps the work, so a
 * training that stops before `finish` (cancelled, failed) leaves its model interrupted when it
 * has a checkpoint to resume from, else failed, unless another job has taken the model meanwhile.
 */
export class ModelTraining {
  private finished = false;

  private constructor(
    private readonly ctx: JobContext,
    readonly models: ModelStore,
    public model: ModelInfo,
  ) {}

  static start(ctx: JobContext, models: ModelStore, model: ModelInfo, resumed: boolean): ModelTraining {
    if (resumed && !models.claimForTraining(model.id, ctx.jobId)) throw new Error(`Model ${model.id} is already training.`);
    const training = new ModelTraining(ctx, models, models.update(model.id, { status: 'training', jobId: ctx.jobId }));
    training.changed();
    return training;
  }

  changed(): void {
    this.ctx.emit('models.changed', { projectId: this.model.projectId, modelId: this.model.id });
  }

  update(patch: Parameters<ModelStore['update']>[1]): ModelInfo {
    this.model = this.models.update(this.model.id, patch);
    return this.model;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      // a model another job has taken meanwhile is left to it
      if (!this.finished && this.models.trainedBy(this.model.id, this.ctx.jobId)) {
        // a cancelled or failed training keeps its checkpoint: it can be resumed; without one it cannot
        const status = this.models.hasFile(this.model, CHECKPOINT_JSON) ? 'interrupted' : 'failed';
        this.models.update(this.model.id, { status, files: this.models.existingFiles(this.model, this.models.get(this.model.id).files) });
        this.changed();
      }
    }
  }

  /** The checkpoint to resume from; `weightsSize` reads the size of one set of weights from its JSON. */
  readCheckpoint<L>(weightsSize: (json: CheckpointJson<L>) => number): Checkpoint<L> {
    const json = JSON.parse(this.models.readFile(this.model, CHECKPOINT_JSON).toString('utf8')) as CheckpointJson<L>;
    const bin = bytesToFloats(this.models.readFile(this.model, CHECKPOINT_BIN));
    const size = weightsSize(json);
    const o = 2 * size;
    const state: TrainingState = { step: json.step, curves: json.curves, best: json.best, evalsSinceBest: json.evalsSinceBest, trainingSeconds: json.trainingSeconds };
    return {
      json,
      state,
      weights: bin.subarray(0, size),
      best: bin.subarray(size, 2 * size),
      optimizer: { version: 1, step: json.step, m: bin.slice(o, o + json.optimizerSize), v: bin.slice(o + json.optimizerSize, o + 2 * json.optimizerSize) },
    };
  }

  saveCheckpoint(state: TrainingState, data: CheckpointData): void {
    const { weights, best, optimizer } = data;
    const bin = new Float32Array(2 * weights.length + optimizer.m.length + optimizer.v.length);
    bin.set(weights, 0);
    bin.set(best, weights.length);
    bin.set(optimizer.m, 2 * weights.length);
    bin.set(optimizer.v, 2 * weights.length + optimizer.m.length);
    // the binary first, then the JSON that points to its step: a crash between them resumes the older step safely
    this.models.writeFile(this.model, CHECKPOINT_BIN, floatBytes(bin));
    this.models.writeFile(this.model, CHECKPOINT_JSON, JSON.stringify({ version: 1, ...state, ...data.layout, optimizerSize: optimizer.m.length }));
  }

  /** The live metrics (phase, curves and the kind's own) and the checkpoint files, for the UI. */
  publish(phase: string, metrics: Record<string, unknown>, patch: Omit<Parameters<ModelStore['update']>[1], 'metrics' | 'files'> = {}): void {
    this.update({ ...patch, metrics: { ...this.model.metrics, phase, ...metrics }, files: this.models.existingFiles(this.model, [...this.model.files, CHECKPOINT_JSON, CHECKPOINT_BIN]) });
    this.changed();
  }

  /** The shared loop; after every evaluation: still this job's model? then a checkpoint, and the curves published. */
  loop(state: TrainingState, opts: Omit<TrainingLoopOptions, 'onEvaluated'> & { checkpoint(): CheckpointData; publish(): void }): Promise<{ stoppedEarly: boolean }> {
    return runTrainingLoop(this.ctx, state, {
      ...opts,
      onEvaluated: () => {
        this.models.assertTraining(this.model.id, this.ctx.jobId);
        this.saveCheckpoint(state, opts.checkpoint());
        opts.publish();
      },
    });
  }

  /** The trained model's files (model.onnx, model.json, weights.bin), written and listed, in the order given. */
  writeModelFiles(files: [name: string, bytes: Uint8Array | string][]): void {
    for (const [name, bytes] of files) this.models.writeFile(this.model, name, bytes);
    this.update({ files: [...new Set([...this.model.files, ...files.map(([name]) => name)])] });
  }

  /** The model is ready: nothing is undone after this. */
  finish(patch: Omit<Parameters<ModelStore['update']>[1], 'status'> = {}): void {
    this.update({ status: 'ready', ...patch });
    this.finished = true;
    this.changed();
  }
}
