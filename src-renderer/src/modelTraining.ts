import type { ModelInfo } from '@shared/api';
import { figure, integers, pairs, record } from './metricsReading';

// What every trained model (learned simulator or diffusion prior) reports of its training, read
// defensively.

/** [step, loss] */
export type CurvePoint = [number, number];

/** The loss curves every trained model reports. */
export interface LossCurves {
  step: number | null;
  steps: number | null;
  trainLoss: CurvePoint[];
  valLoss: CurvePoint[];
  bestStep: number | null;
  bestValLoss: number | null;
}

/** The loss curves and the progress and timing of a training, whatever the model. */
export interface TrainingMetrics extends LossCurves {
  /** "training", "evaluating", "done" */
  phase: string | null;
  secondsPerStep: number | null;
  trainingSeconds: number | null;
  stoppedEarly: boolean | null;
}

/** The training parameters every trained model records in `config.training`. */
export interface TrainingConfig {
  learningRate: number | null;
  batchSize: number | null;
  steps: number | null;
  evalEvery: number | null;
  patience: number | null;
  validationFraction: number | null;
  seed: number | null;
  datasetIds: number[];
  /** the TF.js backend it trained on */
  backend: string | null;
}

/** the figures of `metrics` every training writes; a model that has just started has none */
export function trainingMetrics(metrics: unknown): TrainingMetrics {
  const m = record(metrics);
  return {
    phase: typeof m.phase === 'string' ? m.phase : null,
    step: figure(m.step),
    steps: figure(m.steps),
    trainLoss: pairs(m.trainLoss),
    valLoss: pairs(m.valLoss),
    bestStep: figure(m.bestStep),
    bestValLoss: figure(m.bestValLoss),
    secondsPerStep: figure(m.secondsPerStep),
    trainingSeconds: figure(m.trainingSeconds),
    stoppedEarly: typeof m.stoppedEarly === 'boolean' ? m.stoppedEarly : null,
  };
}

/** the training parameters of a model's config; its datasets fall back to the one it names itself */
export function trainingConfig(model: ModelInfo): TrainingConfig {
  const config = record(model.config);
  const training = record(config.training);
  const datasetIds = integers(training.datasetIds);
  return {
    learningRate: figure(training.learningRate),
    batchSize: figure(training.batchSize),
    steps: figure(training.steps),
    evalEvery: figure(training.evalEvery),
    patience: figure(training.patience),
    validationFraction: figure(training.validationFraction),
    seed: figure(training.seed),
    datasetIds: datasetIds.length ? datasetIds : model.datasetId === null ? [] : [model.datasetId],
    backend: typeof config.backend === 'string' ? config.backend : null,
  };
}

/** The step budget a resume asks for: the larger of the configured one and the one the training reported. */
export function resumeBudget(configured: number | null, reported: number | null): number | null {
  const budgets = [configured, reported].filter((n): n is number => n !== null);
  return budgets.length ? Math.max(...budgets) : null;
}
