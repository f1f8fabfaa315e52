import type { ModelInfo } from '@shared/api';
import { figure, record } from './metricsReading';
import { trainingConfig, trainingMetrics, type TrainingConfig, type TrainingMetrics } from './modelTraining';

// What a diffusion prior's ModelInfo carries in `metrics` and `config`, read defensively: a model
// that has just started training has none of the figures, and every one then reads as null.

export interface DiffusionMetrics extends TrainingMetrics {
  /** designs the denoiser learned from, and those held out for the validation loss */
  examples: { train: number; val: number } | null;
}

/** The cost levels of the training designs: what a conditional model can be asked for. */
export interface CostLevels {
  min: number;
  max: number;
  /** costs at the quantiles 0, 1/(n−1), …, 1 */
  quantiles: number[];
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
  training: Record<string, unknown>;
}

export function diffusionMetrics(model: ModelInfo): DiffusionMetrics {
  const m = record(model.metrics);
  const examples = record(m.examples);
  const train = figure(examples.train);
  const val = figure(examples.val);
  return {
    ...trainingMetrics(m),
    examples: train === null || val === null ? null : { train, val },
  };
}

function costLevels(value: unknown): CostLevels | null {
  const c = record(value);
  const min = figure(c.min);
  const max = figure(c.max);
  const quantiles = Array.isArray(c.quantiles) ? c.quantiles.map(figure) : [];
  if (min === null || max === null || quantiles.length < 2 || quantiles.some((q) => q === null)) return null;
  return { min, max, quantiles: quantiles as number[] };
}

export function diffusionConfig(model: ModelInfo): DiffusionConfig {
  const config = record(model.config);
  const denoiser = record(config.denoiser);
  const schedule = record(config.schedule);
  const training = record(config.training);
  // the network's own config wins: a resumed model keeps it whatever the request said
  const conditional = typeof denoiser.conditional === 'boolean' ? denoiser.conditional : typeof training.conditional === 'boolean' ? training.conditional : null;
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    ...trainingConfig(model),
    dim: figure(denoiser.dim),
    width: figure(denoiser.width) ?? figure(training.width),
    blocks: figure(denoiser.blocks) ?? figure(training.blocks),
    conditional,
    schedule: text(schedule.kind) ?? text(training.schedule),
    timesteps: figure(schedule.timesteps) ?? figure(training.timesteps),
    costLevels: costLevels(config.costLevels),
    iterates: text(training.iterates),
    lastFraction: figure(training.lastFraction),
    conditionDropout: figure(training.conditionDropout),
    training,
  };
}

/**
 * The training cost at quantile q of a model's cost levels, linearly between the stored
 * quantiles: what "cost quantile 0.05" asks a conditional model for. Null when not stored.
 */
export function costAtQuantile(levels: CostLevels | null, q: number): number | null {
  if (!levels || !Number.isFinite(q)) return null;
  const n = levels.quantiles.length - 1;
  const at = Math.min(1, Math.max(0, q)) * n;
  const i = Math.min(n - 1, Math.floor(at));
  const t = at - i;
  return levels.quantiles[i]! * (1 - t) + levels.quantiles[i + 1]! * t;
}

/**
 * The method a sampling run records for its designs and queries ("ddm", "ddm+energy+cond+ps", …),
 * from the sample job's parameters: the engine's naming, so a method filter finds them.
 */
export function samplingMethod(params: Record<string, unknown>): string {
  const on = (key: string): boolean => record(params[key]).enabled === true;
  return `ddm${on('energy') ? '+energy' : ''}${on('conditional') ? '+cond' : ''}${on('particles') ? '+ps' : ''}`;
}

/** "DDM + energy + cond. + PS": a sampling method for legends */
export function samplingLabel(method: string): string {
  const parts: Record<string, string> = { ddm: 'DDM', energy: 'energy', cond: 'cond.', ps: 'PS' };
  return method
    .split('+')
    .map((p) => parts[p] ?? p)
    .join(' + ');
}
