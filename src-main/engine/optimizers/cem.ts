import { gaussian } from '../random';
import { clipDesign, type Optimizer, type Search } from './optimizer';

export interface CemSettings {
  /** designs sampled per iteration (P queries each) */
  population: number;
  /** fraction ρ of the population whose statistics the next Gaussian moves towards */
  eliteFraction: number;
  /** α: new = α · old + (1 − α) · elite statistics */
  smoothing: number;
  /** the Gaussian's standard deviation in every entry at the start */
  initialStd: number;
}

/**
 * Cross-entropy method (docs/method.md §5): a diagonal Gaussian over x, centred at the middle of the
 * design space; samples clipped to [-1, 1]; the elites' mean and standard deviation (of the
 * clipped designs, which are what was evaluated) smoothed into the Gaussian.
 */
export class CrossEntropyMethod implements Optimizer {
  readonly name = 'cem' as const;
  readonly needsGradient = false;

  constructor(readonly settings: CemSettings) {
    if (!(settings.population >= 2)) throw new Error(`CEM needs a population of at least 2, got ${settings.population}`);
  }

  async run(search: Search, rand: () => number): Promise<void> {
    const { population, eliteFraction, smoothing: alpha, initialStd } = this.settings;
    const d = search.dim;
    const normal = gaussian(rand);
    const mean = new Float64Array(d);
    const std = new Float64Array(d).fill(initialStd);
    const elites = Math.max(1, Math.round(eliteFraction * population));
    for (let iteration = 0; search.remaining > 0; iteration++) {
      const designs = Array.from({ length: population }, () => clipDesign(Array.from(mean, (m, j) => m + std[j]! * normal())));
      const evaluations = await search.evaluate(designs, iteration);
      const ranked = evaluations.map((e, i) => ({ cost: e.cost, x: designs[i]! })).sort((a, b) => a.cost - b.cost);
      const best = ranked.slice(0, Math.min(elites, ranked.length));
      for (let j = 0; j < d; j++) {
        const m = best.reduce((s, e) => s + e.x[j]!, 0) / best.length;
        const v = best.reduce((s, e) => s + (e.x[j]! - m) ** 2, 0) / best.length;
        mean[j] = alpha * mean[j]! + (1 - alpha) * m;
        std[j] = alpha * std[j]! + (1 - alpha) * Math.sqrt(v);
      }
    }
  }
}
