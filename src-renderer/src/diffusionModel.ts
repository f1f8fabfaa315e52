import type { CostLevels, DiffusionModelInfo, StoredTraining } from '@shared/api';
import { costAtQuantile as quantileCost } from '@shared/sampling';
import { trainingConfig, trainingMetrics, type TrainingConfig, type TrainingMetrics } from './modelTraining';

// A diffusion prior's `metrics` and `config` (typed in src-shared/models.ts) as its table, details
// and sampling form read them: a model that has just started training has none of the figures,
// and every one then reads as null.

export { samplingMethod } from '@shared/sampling';
export type { CostLevels };

export interface DiffusionMetrics extends TrainingMetrics {
  /** designs the denoiser learned from, and those held out for the validation loss */
  examples: { train: number; val: number } | null;
}

/** The denoiser, its schedule and the training parameters a model was started with. */
export interface DiffusionConfig extends TrainingConfig {
  /** design dimension d */
  dim: number | null;
  width: number | null;
  blocks: number | null;
  /** true: conditioned on the task and cost level (classifier-free guidance possible) */
  conditional: boolean | null;
  schedule: string | null;
  timesteps: number | null;
  costLevels: CostLevels | null;
  iterates: string | null;
  lastFraction: number | null;
  conditionDropout: number | null;
  /** the training parameters as stored, for a resume */
  training: StoredTraining<'diffusion.train'>;
}

export function diffusionMetrics(model: Pick<DiffusionModelInfo, 'kind' | 'metrics'>): DiffusionMetrics {
  const m = model.metrics;
  return { ...trainingMetrics(m), examples: m.examples ?? null };
}

export function diffusionConfig(model: Pick<DiffusionModelInfo, 'kind' | 'config' | 'datasetId'>): DiffusionConfig {
  const { denoiser, schedule } = model.config;
  const training = model.config.training ?? {};
  // the network's own config wins: a resumed model keeps it whatever the request said
  return {
    ...trainingConfig(model),
    dim: denoiser?.dim ?? null,
    width: denoiser?.width ?? training.width ?? null,
    blocks: denoiser?.blocks ?? training.blocks ?? null,
    conditional: denoiser?.conditional ?? training.conditional ?? null,
    schedule: schedule?.kind ?? training.schedule ?? null,
    timesteps: schedule?.timesteps ?? training.timesteps ?? null,
    costLevels: model.config.costLevels ?? null,
    iterates: training.iterates ?? null,
    lastFraction: training.lastFraction ?? null,
    conditionDropout: training.conditionDropout ?? null,
    training,
  };
}

/**
 * The training cost at quantile q of a model's cost levels, linearly between the stored
 * quantiles (src-shared/sampling.ts, as the sampler asks for it). Null when not stored.
 */
export function costAtQuantile(levels: CostLevels | null, q: number): number | null {
  return levels && levels.quantiles.length && Number.isFinite(q) ? quantileCost(levels.quantiles, q) : null;
}

/** "DDM + energy + cond. + PS": a sampling method for legends */
export function samplingLabel(method: string): string {
  const parts: Record<string, string> = { ddm: 'DDM', energy: 'energy', cond: 'cond.', ps: 'PS' };
  return method
    .split('+')
    .map((p) => parts[p] ?? p)
    .join(' + ');
}
