// The noise-schedule arithmetic of DDPM and DDIM (docs/method.md §2), pure functions over flat
// float32 batches: no network here (diffusers' scheduler). Timesteps are 0-based: t = 0..T-1,
// x_t ~ N(sqrt(abar[t]) x_0, (1 - abar[t]) I); "t = -1" is the clean design.

export type ScheduleKind = 'cosine' | 'linear';

export interface Schedule {
  kind: ScheduleKind;
  /** T */
  timesteps: number;
  /** [T] beta_t */
  betas: Float64Array;
  /** [T] alpha_t = 1 - beta_t */
  alphas: Float64Array;
  /** [T] abar_t = prod_{s <= t} alpha_s */
  alphaBars: Float64Array;
}

/**
 * Linear betas scaled to T (1e-4 to 0.02 at T = 1000, so abar_T stays near 0 for small T), or the
 * cosine schedule of Nichol and Dhariwal (s = 0.008, betas clipped at 0.999).
 */
export function makeSchedule(kind: ScheduleKind, timesteps: number): Schedule {
  if (!Number.isInteger(timesteps) || timesteps < 2) throw new Error(`a schedule needs T >= 2 steps, got ${timesteps}`);
  const T = timesteps;
  const betas = new Float64Array(T);
  if (kind === 'linear') {
    const scale = 1000 / T;
    const b0 = 1e-4 * scale;
    const b1 = Math.min(0.999, 0.02 * scale);
    for (let t = 0; t < T; t++) betas[t] = b0 + ((b1 - b0) * t) / (T - 1);
  } else if (kind === 'cosine') {
    const s = 0.008;
    const f = (t: number): number => Math.cos((((t / T + s) / (1 + s)) * Math.PI) / 2) ** 2;
    for (let t = 0; t < T; t++) betas[t] = Math.min(0.999, 1 - f(t + 1) / f(t));
  } else {
    throw new Error(`unknown schedule "${String(kind)}": use cosine or linear`);
  }
  const alphas = betas.map((b) => 1 - b);
  const alphaBars = new Float64Array(T);
  let product = 1;
  for (let t = 0; t < T; t++) {
    product *= alphas[t]!;
    alphaBars[t] = product;
  }
  return { kind, timesteps: T, betas, alphas, alphaBars };
}

/** abar at t, with abar(-1) = 1 (the clean design). */
export function alphaBarAt(s: Schedule, t: number): number {
  if (t === -1) return 1;
  checkT(s, t);
  return s.alphaBars[t]!;
}

function checkT(s: Schedule, t: number): void {
  if (!Number.isInteger(t) || t < 0 || t >= s.timesteps) throw new Error(`timestep ${t} is outside 0..${s.timesteps - 1}`);
}

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: lengths differ (${a.length} and ${b.length})`);
}

/** x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps; x0, eps: [B * d] */
export function addNoise(s: Schedule, x0: Float32Array, eps: Float32Array, t: number): Float32Array {
  checkSameLength(x0, eps, 'addNoise');
  const ab = alphaBarAt(s, t);
  const a = Math.sqrt(ab);
  const b = Math.sqrt(1 - ab);
  return x0.map((x, i) => a * x + b * eps[i]!);
}

/** The one-step estimate of the clean design: x0^ = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t), clipped to [-clip, clip] when clip is given. */
export function predictX0(s: Schedule, xt: Float32Array, eps: Float32Array, t: number, clip: number | null = null): Float32Array {
  checkSameLength(xt, eps, 'predictX0');
  const ab = alphaBarAt(s, t);
  const a = Math.sqrt(ab);
  const b = Math.sqrt(1 - ab);
  return xt.map((x, i) => {
    const v = (x - b * eps[i]!) / a;
    return clip === null ? v : Math.min(clip, Math.max(-clip, v));
  });
}

/** The noise a clean estimate implies: eps = (x_t - sqrt(abar_t) x0) / sqrt(1 - abar_t). */
export function epsilonFromX0(s: Schedule, xt: Float32Array, x0: Float32Array, t: number): Float32Array {
  checkSameLength(xt, x0, 'epsilonFromX0');
  const ab = alphaBarAt(s, t);
  const a = Math.sqrt(ab);
  const b = Math.sqrt(1 - ab);
  return xt.map((x, i) => (x - a * x0[i]!) / b);
}

/**
 * One ancestral DDPM step t -> t-1 through the posterior q(x_{t-1} | x_t, x0^) with x0^ from eps
 * (clipped to [-1, 1]: designs are bounded); z ~ N(0, I) [B * d] is ignored at t = 0.
 */
export function ddpmStep(s: Schedule, xt: Float32Array, eps: Float32Array, t: number, z: Float32Array, clip: number | null = 1): Float32Array {
  checkSameLength(xt, z, 'ddpmStep');
  const x0 = predictX0(s, xt, eps, t, clip);
  if (t === 0) return x0;
  const ab = s.alphaBars[t]!;
  const abPrev = s.alphaBars[t - 1]!;
  const beta = s.betas[t]!;
  const alpha = s.alphas[t]!;
  const c0 = (Math.sqrt(abPrev) * beta) / (1 - ab);
  const ct = (Math.sqrt(alpha) * (1 - abPrev)) / (1 - ab);
  const sigma = Math.sqrt((beta * (1 - abPrev)) / (1 - ab));
  return xt.map((x, i) => c0 * x0[i]! + ct * x + sigma * z[i]!);
}

/** `steps` timesteps of a DDIM pass, from T-1 down (evenly spaced, distinct, the last one 0). */
export function ddimTimesteps(timesteps: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`DDIM needs at least 1 step, got ${steps}`);
  const n = Math.min(steps, timesteps);
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(Math.round(((timesteps - 1) * (n - 1 - k)) / Math.max(1, n - 1)));
  if (n === 1) out[0] = timesteps - 1;
  return [...new Set(out)];
}

/**
 * One DDIM step t -> tPrev (tPrev = -1: the clean design): x_prev = sqrt(abar_prev) x0^ +
 * sqrt(1 - abar_prev - sigma^2) eps^ + sigma z, sigma = eta sqrt((1 - abar_prev) / (1 - abar_t))
 * sqrt(1 - abar_t / abar_prev). eta = 0 is deterministic (z unused). x0^ is clipped and eps^
 * recomputed from it, so the step stays consistent with the bounded design.
 */
export function ddimStep(s: Schedule, xt: Float32Array, eps: Float32Array, t: number, tPrev: number, eta: number, z: Float32Array | null, clip: number | null = 1): Float32Array {
  if (tPrev >= t) throw new Error(`a DDIM step goes down: ${t} -> ${tPrev}`);
  const x0 = predictX0(s, xt, eps, t, clip);
  if (tPrev === -1) return x0;
  const epsHat = clip === null ? eps : epsilonFromX0(s, xt, x0, t);
  const ab = alphaBarAt(s, t);
  const abPrev = alphaBarAt(s, tPrev);
  const sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(Math.max(0, 1 - ab / abPrev));
  if (sigma > 0 && !z) throw new Error('ddimStep: eta > 0 needs noise z');
  if (z) checkSameLength(xt, z, 'ddimStep');
  const a = Math.sqrt(abPrev);
  const b = Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma));
  return xt.map((_, i) => a * x0[i]! + b * epsHat[i]! + (sigma > 0 ? sigma * z![i]! : 0));
}
