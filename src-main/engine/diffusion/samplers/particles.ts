// Particle sampling in the base distribution (docs/method.md §4, the paper's §2.3): a population of
// starting noises x_T is reweighted by the energy of each one's cheap clean estimate, resampled
// and perturbed, round after round; the full reverse process then runs from the survivors.
import { normals } from './reverse';

/** Normalized weights w_i ∝ exp(-E_i / tau), by log-sum-exp; non-finite energies get weight 0. */
export function boltzmannWeights(energies: ArrayLike<number>, temperature: number): Float64Array {
  if (!(temperature > 0)) throw new Error(`the temperature must be > 0, got ${temperature}`);
  const n = energies.length;
  const logits = Float64Array.from({ length: n }, (_, i) => (Number.isFinite(energies[i]!) ? -energies[i]! / temperature : Number.NEGATIVE_INFINITY));
  const max = Math.max(...logits);
  if (!Number.isFinite(max)) return new Float64Array(n).fill(1 / n);
  let sum = 0;
  const w = logits.map((l) => {
    const e = Math.exp(l - max);
    sum += e;
    return e;
  });
  return w.map((v) => v / sum);
}

/**
 * Systematic resampling: n indices, index i chosen floor(n w_i) or ceil(n w_i) times; u in [0, 1)
 * is the one uniform draw. Unbiased: E[count_i] = n w_i.
 */
export function systematicResample(weights: ArrayLike<number>, n: number, u: number): Int32Array {
  if (!(u >= 0 && u < 1)) throw new Error(`systematic resampling needs u in [0, 1), got ${u}`);
  const m = weights.length;
  if (m === 0) throw new Error('systematic resampling needs at least one weight');
  let total = 0;
  for (let i = 0; i < m; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`weight ${i} is ${w}; weights must be finite and >= 0`);
    total += w;
  }
  if (!(total > 0)) throw new Error('the weights sum to 0');
  const out = new Int32Array(n);
  let i = 0;
  let cumulative = weights[0]! / total;
  for (let k = 0; k < n; k++) {
    const position = (u + k) / n;
    while (position >= cumulative && i < m - 1) cumulative += weights[++i]! / total;
    out[k] = i;
  }
  return out;
}

export interface ParticleSamplingOptions {
  /** particles N */
  count: number;
  dim: number;
  /** rounds k */
  rounds: number;
  temperature: number;
  /** perturbation sigma in (0, 1]: x <- sqrt(1 - sigma^2) x + sigma xi keeps N(0, I) */
  sigma: number;
  /** the cheap estimate of the clean designs [N*d] from x_T [N*d] (few-step DDIM, same guidance) */
  estimate(xT: Float32Array, batch: number): Promise<Float32Array>;
  /** E of each clean estimate: N queries */
  energy(designs: Float32Array[]): Promise<number[]>;
  normal(): number;
  uniform(): number;
  /** after each round: its estimates, energies and normalized weights */
  onRound?(round: number, designs: Float32Array[], energies: number[], weights: Float64Array): void;
}

/** Returns the final particles x_T [N*d] (resampled and perturbed after the last round). */
export async function particleSampling(opts: ParticleSamplingOptions): Promise<Float32Array> {
  const { count: n, dim: d } = opts;
  if (!Number.isInteger(n) || n < 1) throw new Error(`particle sampling needs N >= 1 particles, got ${n}`);
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error(`particle sampling needs k >= 1 rounds, got ${opts.rounds}`);
  if (!(opts.sigma > 0 && opts.sigma <= 1)) throw new Error(`sigma must be in (0, 1], got ${opts.sigma}`);
  let x = normals(n * d, opts.normal);
  const keep = Math.sqrt(1 - opts.sigma * opts.sigma);
  for (let r = 0; r < opts.rounds; r++) {
    const x0 = await opts.estimate(x, n);
    const designs = Array.from({ length: n }, (_, i) => x0.slice(i * d, (i + 1) * d));
    const energies = await opts.energy(designs);
    if (energies.length !== n) throw new Error(`the energy returned ${energies.length} values for ${n} particles`);
    const w = boltzmannWeights(energies, opts.temperature);
    opts.onRound?.(r + 1, designs, energies, w);
    const parents = systematicResample(w, n, opts.uniform());
    const next = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const p = parents[i]!;
      for (let j = 0; j < d; j++) next[i * d + j] = keep * x[p * d + j]! + opts.sigma * opts.normal();
    }
    x = next;
  }
  return x;
}
