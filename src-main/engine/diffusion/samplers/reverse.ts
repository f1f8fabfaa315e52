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

/** The timesteps a pass visits, from the noisiest down to 0. */
export function reverseTimesteps(s: Schedule, opts: ReverseOptions): number[] {
  if (opts.sampler === 'ddpm') return Array.from({ length: s.timesteps }, (_, k) => s.timesteps - 1 - k);
  return ddimTimesteps(s.timesteps, opts.steps ?? 25);
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
  const ts = reverseTimesteps(s, opts);
  const clip = opts.clip === undefined ? 1 : opts.clip;
  const eta = opts.eta ?? 0;
  let x: Float32Array = Float32Array.from(xT);
  for (let k = 0; k < ts.length; k++) {
    const t = ts[k]!;
    const eps = await epsilon(x, t, batch);
    if (opts.sampler === 'ddpm') {
      x = ddpmStep(s, x, eps, t, t > 0 ? normals(x.length, normal) : new Float32Array(x.length), clip);
    } else {
      const tPrev = k + 1 < ts.length ? ts[k + 1]! : -1;
      x = ddimStep(s, x, eps, t, tPrev, eta, eta > 0 ? normals(x.length, normal) : null, clip);
    }
    onStep?.(k + 1, ts.length);
  }
  return x;
}
