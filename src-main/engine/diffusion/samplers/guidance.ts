// Guidance as functions (docs/method.md §3): each turns a denoiser into the eps a reverse step uses.
// A sampler takes an EpsilonFn and knows nothing of what guides it (diffusers' pipelines).
import type { EpsilonModel } from '../onnx-denoiser';
import { alphaBarAt, predictX0, type Schedule } from '../schedule';

/** eps~ for a batch x_t [B*d] at timestep t. */
export type EpsilonFn = (xt: Float32Array, t: number, batch: number) => Promise<Float32Array>;

/** dE/dx and E at clean designs, each evaluation one query with gradient (logged by the caller). */
export type EnergyGradientFn = (designs: Float32Array[]) => Promise<{ cost: number; gradient: Float32Array }[]>;

/** eps_theta(x_t, t): the unconditional denoiser (the null token when it is conditional). */
export function unconditional(model: EpsilonModel): EpsilonFn {
  return (xt, t, batch) => model.predict(xt, t, null, batch);
}

/**
 * Classifier-free guidance: eps~ = eps_theta + w (eps_phi(y) - eps_theta), y = [task, cost
 * level] the same for every design. w = 0 is the unconditional denoiser, w = 1 the conditional.
 */
export function conditionalGuidance(model: EpsilonModel, condition: Float32Array, weight: number): EpsilonFn {
  if (!model.config.conditional) throw new Error('conditional guidance needs a denoiser trained with a condition (conditional: true)');
  const k = model.config.taskDim + 1;
  if (condition.length !== k) throw new Error(`the condition has ${condition.length} entries, the denoiser takes ${k}`);
  if (!(weight >= 0)) throw new Error(`the guidance weight must be >= 0, got ${weight}`);
  return async (xt, t, batch) => {
    const uncond = await model.predict(xt, t, null, batch);
    if (weight === 0) return uncond;
    const tiled = new Float32Array(batch * k);
    for (let i = 0; i < batch; i++) tiled.set(condition, i * k);
    const cond = await model.predict(xt, t, tiled, batch);
    return uncond.map((u, i) => u + weight * (cond[i]! - u));
  };
}

export interface EnergyGuidanceOptions {
  /** lambda */
  scale: number;
  /** the norm of each design's dE/dx0^ is clipped to this */
  clip: number;
  /** the timesteps at which to guide (each guided step of each design is one query) */
  guideAt: ReadonlySet<number>;
  /** clip of x0^ into the design bounds before the energy sees it */
  bound?: number;
}

/**
 * Energy guidance: eps~ = eps + lambda sqrt(1 - abar_t) grad_{x_t} E(x0^(x_t)). The gradient
 * through x0^ = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t) is taken with eps held fixed (the
 * denoiser runs forward only, in onnxruntime): grad_{x_t} E = grad_{x0^} E / sqrt(abar_t).
 */
export function energyGuidance(base: EpsilonFn, schedule: Schedule, energy: EnergyGradientFn, opts: EnergyGuidanceOptions): EpsilonFn {
  if (!(opts.scale >= 0)) throw new Error(`the energy guidance scale must be >= 0, got ${opts.scale}`);
  if (!(opts.clip > 0)) throw new Error(`the gradient clip must be > 0, got ${opts.clip}`);
  const bound = opts.bound ?? 1;
  return async (xt, t, batch) => {
    const eps = await base(xt, t, batch);
    if (!opts.guideAt.has(t) || opts.scale === 0) return eps;
    const d = xt.length / batch;
    const x0 = predictX0(schedule, xt, eps, t, bound);
    const designs = Array.from({ length: batch }, (_, i) => x0.slice(i * d, (i + 1) * d));
    const grads = await energy(designs);
    const ab = alphaBarAt(schedule, t);
    const factor = (opts.scale * Math.sqrt(1 - ab)) / Math.sqrt(ab);
    const out = Float32Array.from(eps);
    grads.forEach(({ gradient }, i) => {
      if (gradient.length !== d) throw new Error(`the energy gradient has ${gradient.length} entries, designs have ${d}`);
      const norm = Math.hypot(...gradient);
      const shrink = Number.isFinite(norm) && norm > opts.clip ? opts.clip / norm : 1;
      for (let j = 0; j < d; j++) {
        const g = gradient[j]!;
        if (Number.isFinite(g)) out[i * d + j]! += factor * shrink * g;
      }
    });
    return out;
  };
}
