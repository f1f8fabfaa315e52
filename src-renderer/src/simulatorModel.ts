import type { ModelInfo } from '@shared/api';
import { figure, integers, pairs, record } from './metricsReading';

// What a learned simulator's ModelInfo carries in `metrics` and `config`, read defensively: a
// model that has just started training has none of the figures, and every one then reads as null.

/** Spearman ρ between ground-truth and learned costs that a simulator should reach to rank designs well. */
export const SPEARMAN_TARGET = 0.9;

/** [step, loss] */
export type CurvePoint = [number, number];

/** The loss curves every trained model reports (learned simulators and diffusion priors alike). */
export interface LossCurves {
  step: number | null;
  steps: number | null;
  trainLoss: CurvePoint[];
  valLoss: CurvePoint[];
  bestStep: number | null;
  bestValLoss: number | null;
}

/** [ground-truth cost, learned cost] of one design */
export type FidelityPoint = [number, number];

export interface SimulatorMetrics extends LossCurves {
  /** "training", "evaluating", "done" */
  phase: string | null;
  secondsPerStep: number | null;
  trainingSeconds: number | null;
  trajectories: { train: number; heldOut: number } | null;
  stoppedEarly: boolean | null;
  /** mean distance of the water to the ground truth, by frame, frames ascending */
  positionError: { frame: number; error: number }[];
  heldOutTrajectories: number | null;
  spearman: number | null;
  fidelityDesigns: number | null;
  fidelity: FidelityPoint[];
  /** mean wall time of one learned rollout during the evaluation */
  learnedRolloutMs: number | null;
}

/** The network and training parameters a model was started with (config.gns, config.training). */
export interface SimulatorConfig {
  latent: number | null;
  messagePassingSteps: number | null;
  mlpLayers: number | null;
  radius: number | null;
  noiseStd: number | null;
  historyLength: number | null;
  learningRate: number | null;
  batchSize: number | null;
  steps: number | null;
  evalEvery: number | null;
  patience: number | null;
  validationFraction: number | null;
  fidelityDesigns: number | null;
  seed: number | null;
  datasetIds: number[];
  /** the TF.js backend it trained on */
  backend: string | null;
}

export function simulatorMetrics(model: ModelInfo): SimulatorMetrics {
  const m = record(model.metrics);
  const trajectories = record(m.trajectories);
  const train = figure(trajectories.train);
  const heldOut = figure(trajectories.heldOut);
  const positionError = Object.entries(record(m.positionError))
    .map(([frame, error]) => ({ frame: Number(frame), error: figure(error) }))
    .filter((e): e is { frame: number; error: number } => Number.isInteger(e.frame) && e.error !== null)
    .sort((a, b) => a.frame - b.frame);
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
    trajectories: train === null || heldOut === null ? null : { train, heldOut },
    stoppedEarly: typeof m.stoppedEarly === 'boolean' ? m.stoppedEarly : null,
    positionError,
    heldOutTrajectories: figure(m.heldOutTrajectories),
    spearman: figure(m.spearman),
    fidelityDesigns: figure(m.fidelityDesigns),
    fidelity: pairs(m.fidelity),
    learnedRolloutMs: figure(m.learnedRolloutMs),
  };
}

export function simulatorConfig(model: ModelInfo): SimulatorConfig {
  const config = record(model.config);
  const gns = record(config.gns);
  const training = record(config.training);
  // the network's own config wins: a resumed model keeps it whatever the request said
  const pick = (key: string): number | null => figure(gns[key]) ?? figure(training[key]);
  const datasetIds = integers(training.datasetIds);
  return {
    latent: pick('latent'),
    messagePassingSteps: pick('messagePassingSteps'),
    mlpLayers: pick('mlpLayers'),
    radius: pick('radius'),
    noiseStd: pick('noiseStd'),
    historyLength: figure(gns.historyLength),
    learningRate: figure(training.learningRate),
    batchSize: figure(training.batchSize),
    steps: figure(training.steps),
    evalEvery: figure(training.evalEvery),
    patience: figure(training.patience),
    validationFraction: figure(training.validationFraction),
    fidelityDesigns: figure(training.fidelityDesigns),
    seed: figure(training.seed),
    datasetIds: datasetIds.length ? datasetIds : model.datasetId === null ? [] : [model.datasetId],
    backend: typeof config.backend === 'string' ? config.backend : null,
  };
}

/** ok / below target / not measured, for the fidelity column and the details */
export function fidelityVerdict(spearman: number | null): 'ok' | 'below' | null {
  if (spearman === null) return null;
  return spearman >= SPEARMAN_TARGET ? 'ok' : 'below';
}
