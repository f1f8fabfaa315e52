// The reverse process (docs/method.md §2): ancestral DDPM over every timestep, or DDIM over fewer,
// from x_T to clean designs, with whatever guidance the EpsilonFn carries.
import { ddimStep, ddimTimesteps, ddpmStep, type Schedule } from '../schedule';
import type { EpsilonFn } from './guidance';

export interface ReverseOptions {
  sampler: 'ddpm' | 'ddim';
  /** DDIM steps (DDPM always takes T) */
  steps?: number;
  /** DDIM eta: 0 deterministic */
  eta?: number;
  /** x0^ is clipped to [-clip, clip] at each step (designs are bounded); null: no clip */
  clip?: number | null;
}

/**
 * One kind of reverse pass: the timesteps it visits, from the noisiest down to 0, and its step
 * from x_t to the next (less noisy) state. Each kind owns its step, so the loop never asks which
 * kind it runs.
 */
export interface ReverseSampler {
  readonly timesteps: number[];
  /** the state after timesteps[k], from x at timesteps[k] and the (guided) noise estimate there */
  step(x: Float32Array, eps: Float32Array, k: number, normal: () => number): Float32Array;
}

/** Ancestral DDPM over every timestep. */
export function ddpmSampler(s: Schedule, clip: number | null): ReverseSampler {
  const timesteps = Array.from({ length: s.timesteps }, (_, k) => s.timesteps - 1 - k);
  return {
    timesteps,
    step: (x, eps, k, normal) => {
      const t = timesteps[k]!;
      return ddpmStep(s, x, eps, t, t > 0 ? normals(x.length, normal) : new Float32Array(x.length), clip);
    },
  };
}

/** DDIM over `steps` timesteps; eta 0 is deterministic. */
export function ddimSampler(s: Schedule, steps: number, eta: number, clip: number | null): ReverseSampler {
  const timesteps = ddimTimesteps(s.timesteps, steps);
  return {
    timesteps,
    step: (x, eps, k, normal) => {
      const tPrev = k + 1 < timesteps.length ? timesteps[k + 1]! : -1;
      return ddimStep(s, x, eps, timesteps[k]!, tPrev, eta, eta > 0 ? normals(x.length, normal) : null, clip);
    },
  };
}

/** The sampler the options name. */
export function reverseSampler(s: Schedule, opts: ReverseOptions): ReverseSampler {
  const clip = opts.clip === undefined ? 1 : opts.clip;
  return opts.sampler === 'ddpm' ? ddpmSampler(s, clip) : ddimSampler(s, opts.steps ?? 25, opts.eta ?? 0, clip);
}

/** The timesteps a pass visits, from the noisiest down to 0. */
export function reverseTimesteps(s: Schedule, opts: ReverseOptions): number[] {
  return reverseSampler(s, opts).timesteps;
}

/** Standard normal [n] from a generator. */
export function normals(n: number, normal: () => number): Float32Array {
  return Float32Array.from({ length: n }, normal);
}

/**
 * Runs x_T [B*d] down to clean designs [B*d], clipped to the bounds. `onStep` sees each step's
 * index (for progress and cancellation).
 */
export async function reverseProcess(
  s: Schedule,
  epsilon: EpsilonFn,
  xT: Float32Array,
  batch: number,
  opts: ReverseOptions,
  normal: () => number,
  onStep?: (k: number, of: number) => void,
): Promise<Float32Array> {
  const sampler = reverseSampler(s, opts);
  const ts = sampler.timesteps;
  let x: Float32Array = Float32Array.from(xT);
  for (let k = 0; k < ts.length; k++) {
    x = sampler.step(x, await epsilon(x, ts[k]!, batch), k, normal);
    onStep?.(k + 1, ts.length);
  }
  return x;
}
