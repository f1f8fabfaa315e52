// The loop both trainings share (the GNS and the diffusion prior): steps until the budget, an
// evaluation every `evalEvery` steps (curve points, best validation loss, a checkpoint), early
// stopping after `patience` evaluations without improvement, cancellation between steps.
import { explainTfError } from '../tf';
import type { JobContext } from './job-context';

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

/** Trains until the budget or early stopping; mutates `state`; returns whether it stopped early. */
export async function runTrainingLoop(ctx: JobContext, state: TrainingState, opts: TrainingLoopOptions): Promise<{ stoppedEarly: boolean }> {
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
