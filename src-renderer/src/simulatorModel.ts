import type { ModelInfo } from '@shared/api';
import { formatSigned } from './format';
import { figure, pairs, record } from './metricsReading';
import { trainingConfig, trainingMetrics, type TrainingConfig, type TrainingMetrics } from './modelTraining';

// What a learned simulator's ModelInfo carries in `metrics` and `config`, read defensively: a
// model that has just started training has none of the figures, and every one then reads as null.

/** Spearman ρ between ground-truth and learned costs that a simulator should reach to rank designs well. */
export const SPEARMAN_TARGET = 0.9;

/** [ground-truth cost, learned cost] of one design */
export type FidelityPoint = [number, number];

export interface SimulatorMetrics extends TrainingMetrics {
  trajectories: { train: number; heldOut: number } | null;
  /** mean distance of the water to the ground truth, by frame, frames ascending */
  positionError: { frame: number; error: number }[];
  heldOutTrajectories: number | null;
  spearman: number | null;
  fidelityDesigns: number | null;
  fidelity: FidelityPoint[];
  /** mean wall time of one learned rollout during the evaluation */
  learnedRolloutMs: number | null;
  /** threads its training steps ran on (2: data parallel); null for models trained before it was recorded */
  trainingThreads: number | null;
}

/** The network and training parameters a model was started with (config.gns, config.training). */
export interface SimulatorConfig extends TrainingConfig {
  latent: number | null;
  messagePassingSteps: number | null;
  mlpLayers: number | null;
  radius: number | null;
  noiseStd: number | null;
  historyLength: number | null;
  fidelityDesigns: number | null;
  /** the model a fine-tuned one started from */
  initModelId: number | null;
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
    ...trainingMetrics(m),
    trajectories: train === null || heldOut === null ? null : { train, heldOut },
    positionError,
    heldOutTrajectories: figure(m.heldOutTrajectories),
    spearman: figure(m.spearman),
    fidelityDesigns: figure(m.fidelityDesigns),
    fidelity: pairs(m.fidelity),
    learnedRolloutMs: figure(m.learnedRolloutMs),
    trainingThreads: figure(m.trainingThreads),
  };
}

export function simulatorConfig(model: ModelInfo): SimulatorConfig {
  const config = record(model.config);
  const gns = record(config.gns);
  const training = record(config.training);
  // the network's own config wins: a resumed model keeps it whatever the request said
  const pick = (key: string): number | null => figure(gns[key]) ?? figure(training[key]);
  return {
    ...trainingConfig(model),
    latent: pick('latent'),
    messagePassingSteps: pick('messagePassingSteps'),
    mlpLayers: pick('mlpLayers'),
    radius: pick('radius'),
    noiseStd: pick('noiseStd'),
    historyLength: figure(gns.historyLength),
    fidelityDesigns: figure(training.fidelityDesigns),
    initModelId: figure(training.initModelId),
  };
}

/** " · ρ 0.943" for a model's entry in a list of simulators to choose from; "" before it is measured. */
export function fidelitySuffix(model: ModelInfo): string {
  const spearman = simulatorMetrics(model).spearman;
  return spearman === null ? '' : ` · ρ ${formatSigned(spearman)}`;
}

/** Held-out designs a fidelity must be measured on before its ρ can be trusted (docs/method.md: at least 100). */
export const FIDELITY_MIN_DESIGNS = 100;

export interface FidelityVerdict {
  /** ok: ρ at target on enough designs; below: ρ under target; few: at target, but on too few designs to trust */
  kind: 'ok' | 'below' | 'few';
  /** designs it was measured on */
  designs: number;
  label: string;
  tone: 'success' | 'warning';
  /** one sentence for the details */
  explanation: string;
}

/** The fidelity column's and the details' verdict; null while not measured. */
export function fidelityVerdict(metrics: Pick<SimulatorMetrics, 'spearman' | 'fidelityDesigns' | 'fidelity'>): FidelityVerdict | null {
  const { spearman } = metrics;
  if (spearman === null) return null;
  const designs = metrics.fidelityDesigns ?? metrics.fidelity.length;
  const target = `target ρ ≥ ${SPEARMAN_TARGET} on at least ${FIDELITY_MIN_DESIGNS} held-out designs: learned costs should rank designs as the ground truth does.`;
  if (spearman < SPEARMAN_TARGET) return { kind: 'below', designs, label: 'below target', tone: 'warning', explanation: target };
  if (designs < FIDELITY_MIN_DESIGNS) {
    return {
      kind: 'few',
      designs,
      label: `only ${designs} designs`,
      tone: 'warning',
      explanation: `${target} Measured on ${designs}, this ρ is too uncertain to rely on; train again with more fidelity designs.`,
    };
  }
  return { kind: 'ok', designs, label: 'ok', tone: 'success', explanation: target };
}
