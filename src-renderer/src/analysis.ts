// The figures behind the views across design dimensions (Runs tab) and the loss plots' options:
// plain functions of numbers, unit-tested in test/unit/analysis.test.ts.
import { ranks } from '@shared/stats';

export { ranks };

/** Pearson's correlation; null when either side is constant or there are fewer than 3 pairs. */
export function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = Math.min(x.length, y.length);
  if (n < 3) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rank correlation (Pearson's on the ranks, ties averaged). */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  return pearson(ranks(x), ranks(y));
}

/**
 * How strongly each design entry goes with the cost: |Spearman ρ| between entry j and the cost
 * over the queries (null where an entry never changed). A monotone, one-entry-at-a-time measure:
 * it misses effects that are not monotone or that only show together with other entries.
 */
export function importance(designs: readonly (readonly number[])[], costs: readonly number[]): { entry: number; rho: number | null }[] {
  const dim = designs[0]?.length ?? 0;
  return Array.from({ length: dim }, (_, j) => {
    const rho = spearman(
      designs.map((d) => d[j]!),
      costs,
    );
    return { entry: j, rho };
  });
}

/** The lowest cost so far at each query. */
export function bestSoFar(costs: readonly number[]): number[] {
  let best = Number.POSITIVE_INFINITY;
  return costs.map((c) => (best = Math.min(best, c)));
}

/**
 * Exponential moving average with weight `alpha` on the past (0: none), debiased at the start as
 * TensorBoard's smoothing is, so the first points are not pulled toward zero.
 */
export function smooth(values: readonly number[], alpha: number): number[] {
  if (alpha <= 0) return values.slice();
  const a = Math.min(alpha, 0.999);
  let last = 0;
  let weight = 0;
  return values.map((v) => {
    last = a * last + (1 - a) * v;
    weight = a * weight + (1 - a);
    return last / weight;
  });
}

/** Viridis stops (matplotlib's), dark violet (low) to yellow (high). */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [109, 205, 89],
  [180, 222, 44],
  [253, 231, 37],
];

/** A colour for t in [0, 1] on the viridis scale, as rgba with the given opacity. */
export function viridis(t: number, opacity = 1): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [r0, g0, b0] = VIRIDIS[i]!;
  const [r1, g1, b1] = VIRIDIS[i + 1]!;
  const mix = (p: number, q: number): number => Math.round(p + (q - p) * f);
  return `rgba(${mix(r0, r1)}, ${mix(g0, g1)}, ${mix(b0, b1)}, ${opacity})`;
}

/**
 * Where a cost sits between the cheapest and the dearest, for colouring: on the ranks, so a few
 * very bad designs do not squeeze every good one into one colour. 0 is the cheapest.
 */
export function costShades(costs: readonly number[]): number[] {
  if (costs.length < 2) return costs.map(() => 0);
  const r = ranks(costs);
  return r.map((v) => (v - 1) / (costs.length - 1));
}
