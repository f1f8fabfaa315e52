import { gaussian } from '../random';
import { clipDesign, type Optimizer, type Search } from './optimizer';

// Implemented here rather than taken from npm: no CMA-ES package there is both maintained and
// typed (the few that exist are unmaintained, untyped ports); the (μ/μ_w, λ)-CMA-ES of Hansen's
// tutorial (arXiv:1604.00772, its Table 1 defaults) fits in this one file.

export interface CmaesSettings {
  /** λ, designs per iteration; default 4 + ⌊3 ln d⌋ */
  population?: number;
  /** initial step size σ in design units */
  sigma: number;
}

/**
 * CMA-ES from the centre of the design space. Samples outside [-1, 1]^d are evaluated clipped;
 * for ranking they pay a quadratic penalty on their distance to the box, so the distribution is
 * pushed back inside while every stored query is the clipped design's own cost.
 */
export class Cmaes implements Optimizer {
  readonly name = 'cmaes' as const;
  readonly needsGradient = false;

  constructor(readonly settings: CmaesSettings) {}

  async run(search: Search, rand: () => number): Promise<void> {
    const n = search.dim;
    const normal = gaussian(rand);
    const lambda = this.settings.population ?? 4 + Math.floor(3 * Math.log(n));
    const mu = Math.floor(lambda / 2);
    const raw = Array.from({ length: mu }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
    const rawSum = raw.reduce((a, b) => a + b, 0);
    const w = raw.map((v) => v / rawSum);
    const mueff = 1 / w.reduce((a, b) => a + b * b, 0);
    const cc = (4 + mueff / n) / (n + 4 + (2 * mueff) / n);
    const cs = (mueff + 2) / (n + mueff + 5);
    const c1 = 2 / ((n + 1.3) ** 2 + mueff);
    const cmu = Math.min(1 - c1, (2 * (mueff - 2 + 1 / mueff)) / ((n + 2) ** 2 + mueff));
    const damps = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + cs;
    const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));

    let sigma = this.settings.sigma;
    let mean = new Float64Array(n);
    const pc = new Float64Array(n);
    const ps = new Float64Array(n);
    let C = identity(n);
    let B = identity(n);
    let D = new Float64Array(n).fill(1);

    for (let g = 0; search.remaining > 0; g++) {
      // x_k = m + σ B D z_k
      const samples = Array.from({ length: lambda }, () => {
        const z = Float64Array.from({ length: n }, normal);
        const y = new Float64Array(n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) y[i] = y[i]! + B[i]![j]! * D[j]! * z[j]!;
        return Float64Array.from(y, (v, i) => mean[i]! + sigma * v);
      });
      const designs = samples.map(clipDesign);
      const evaluations = await search.evaluate(designs, g);
      if (evaluations.length < lambda) break; // the budget ran out inside this generation
      const fitness = evaluations.map((e, k) => e.cost + samples[k]!.reduce((s, v, i) => s + (v - designs[k]![i]!) ** 2, 0));
      const order = fitness.map((_, k) => k).sort((a, b) => fitness[a]! - fitness[b]!);
      const old = mean;
      mean = new Float64Array(n);
      for (let r = 0; r < mu; r++) for (let i = 0; i < n; i++) mean[i] = mean[i]! + w[r]! * samples[order[r]!]![i]!;
      const yw = Float64Array.from(mean, (v, i) => (v - old[i]!) / sigma);

      // ps ← (1 − cs) ps + √(cs (2 − cs) μeff) C^(−1/2) y_w, with C^(−1/2) = B D⁻¹ Bᵀ
      const bty = new Float64Array(n);
      for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) bty[j] = bty[j]! + B[i]![j]! * yw[i]!;
      const csn = Math.sqrt(cs * (2 - cs) * mueff);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += (B[i]![j]! * bty[j]!) / D[j]!;
        ps[i] = (1 - cs) * ps[i]! + csn * s;
      }
      const psNorm = Math.hypot(...ps);
      const hsig = psNorm / Math.sqrt(1 - (1 - cs) ** (2 * (g + 1))) / chiN < 1.4 + 2 / (n + 1) ? 1 : 0;
      const ccn = Math.sqrt(cc * (2 - cc) * mueff);
      for (let i = 0; i < n; i++) pc[i] = (1 - cc) * pc[i]! + hsig * ccn * yw[i]!;

      // C ← (1 − c1 − cμ) C + c1 (pc pcᵀ + (1 − hsig) cc (2 − cc) C) + cμ Σ w_r y_r y_rᵀ
      const ys = order.slice(0, mu).map((k) => Float64Array.from(samples[k]!, (v, i) => (v - old[i]!) / sigma));
      const next = identity(n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          let rankMu = 0;
          for (let r = 0; r < mu; r++) rankMu += w[r]! * ys[r]![i]! * ys[r]![j]!;
          const v = (1 - c1 - cmu) * C[i]![j]! + c1 * (pc[i]! * pc[j]! + (1 - hsig) * cc * (2 - cc) * C[i]![j]!) + cmu * rankMu;
          next[i]![j] = v;
          next[j]![i] = v;
        }
      }
      C = next;
      sigma *= Math.exp((cs / damps) * (psNorm / chiN - 1));
      const eig = symmetricEigen(C);
      B = eig.vectors;
      D = Float64Array.from(eig.values, (v) => Math.sqrt(Math.max(v, 1e-20)));
    }
  }
}

function identity(n: number): Float64Array[] {
  return Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

/** Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(m: readonly Float64Array[]): { values: Float64Array; vectors: Float64Array[] } {
  const n = m.length;
  const a = m.map((row) => Float64Array.from(row));
  const v = identity(n);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p]![q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i]![i]!), vectors: v };
}
