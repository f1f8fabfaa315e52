import type { SimulatorModelInfo } from '@shared/api';
import { formatSigned } from './format';
import { trainingConfig, trainingMetrics, type TrainingConfig, type TrainingMetrics } from './modelTraining';

// A learned simulator's `metrics` and `config` (typed in src-shared/models.ts) as its table and
// details read them: a model that has just started training has none of the figures, and every
// one then reads as null.

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

export function simulatorMetrics(model: Pick<SimulatorModelInfo, 'kind' | 'metrics'>): SimulatorMetrics {
  const m = model.metrics;
  const positionError = Object.entries(m.positionError ?? {})
    .map(([frame, error]) => ({ frame: Number(frame), error }))
    .filter((e): e is { frame: number; error: number } => Number.isInteger(e.frame) && e.error !== null)
    .sort((a, b) => a.frame - b.frame);
  return {
    ...trainingMetrics(m),
    trajectories: m.trajectories ?? null,
    positionError,
    heldOutTrajectories: m.heldOutTrajectories ?? null,
    spearman: m.spearman ?? null,
    fidelityDesigns: m.fidelityDesigns ?? null,
    fidelity: m.fidelity ?? [],
    learnedRolloutMs: m.learnedRolloutMs ?? null,
    trainingThreads: m.trainingThreads ?? null,
  };
}

export function simulatorConfig(model: Pick<SimulatorModelInfo, 'kind' | 'config' | 'datasetId'>): SimulatorConfig {
  const { gns } = model.config;
  const training = model.config.training ?? {};
  // the network's own config wins: a resumed model keeps it whatever the request said
  return {
    ...trainingConfig(model),
    latent: gns?.latent ?? training.latent ?? null,
    messagePassingSteps: gns?.messagePassingSteps ?? training.messagePassingSteps ?? null,
    mlpLayers: gns?.mlpLayers ?? training.mlpLayers ?? null,
    radius: gns?.radius ?? training.radius ?? null,
    noiseStd: gns?.noiseStd ?? training.noiseStd ?? null,
    historyLength: gns?.historyLength ?? null,
    fidelityDesigns: training.fidelityDesigns ?? null,
    initModelId: training.initModelId ?? null,
  };
}

/** " · ρ 0.943" for a model's entry in a list of simulators to choose from; "" before it is measured. */
export function fidelitySuffix(model: SimulatorModelInfo): string {
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
