import type { JobParams } from './api';
import type { z } from 'zod';

// Pure functions of diffusion sampling that the engine and the renderer both need: one copy.

type Switch = { enabled?: boolean } | undefined;

/**
 * The method a sampling run records for its designs and queries ("ddm", "ddm+energy+cond+ps", …),
 * from the sample job's parameters: what a method filter finds them by.
 */
export function samplingMethod(s: { conditional?: Switch; energy?: Switch; particles?: Switch }): string {
  return ['ddm', s.energy?.enabled ? '+energy' : '', s.conditional?.enabled ? '+cond' : '', s.particles?.enabled ? '+ps' : ''].join('');
}

/** A sample job's parameters as its form gives them (defaults still to fill in). */
export type SampleParamsInput = z.input<(typeof JobParams)['sample']>;

/** Linear interpolation between order statistics of sorted values; NaN when there are none. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const at = Math.min(1, Math.max(0, q)) * (n - 1);
  const lo = Math.floor(at);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/**
 * The training cost at quantile q, linearly between a diffusion model's stored cost quantiles
 * (0, 0.05, …, 1): what "cost quantile 0.05" asks a conditional model for.
 */
export function costAtQuantile(quantiles: ArrayLike<number>, q: number): number {
  return quantileSorted(quantiles, q);
}

/**
 * The polished sampling setting, bench:paper's best diffusion setting (README, *The paper's
 * benchmark*): 256 conditional samples (w = 2 at the 5% cost level) with energy guidance (λ = 3,
 * clip 5, every DDIM step of 25), each scored by an outcome model; its 8 best distinct checked on
 * the ground truth, beside the project's 8 stored designs cheapest for the task (no query: their
 * stored outcomes give their cost), and 43 more ground-truth queries polishing them (51 in all, a
 * fifth of CEM's 256): 2 more queries near each of the 4 cheapest (the screening), then 35
 * perturbations starting in the neighbourhood cheapest on average. On the built-in project it
 * reached CEM's median cost in every run on new tasks, through the stored designs; without them
 * (bench:paper's rows with `stored: 0`) in about half of its runs. The Sample form's preset, `idw
 * sample --polished` and bench:paper run exactly this.
 */
export const POLISHED_SAMPLING = {
  count: 256,
  sampler: 'ddim',
  ddimSteps: 25,
  eta: 0,
  simulator: 'learned',
  conditional: { enabled: true, weight: 2, costQuantile: 0.05 },
  energy: { enabled: true, scale: 3, clip: 5, lastSteps: 25 },
  particles: { enabled: false },
  refine: { enabled: true, checks: 8, steps: 0, polish: 43, polishSigma: 0.001, polishWideSigma: 0.01, screen: 4, screenDraws: 2, stored: 8 },
} as const satisfies Partial<SampleParamsInput>;
