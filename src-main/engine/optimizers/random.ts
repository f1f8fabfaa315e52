import type { Optimizer, Search } from './optimizer';

/** Uniform random search over [-1, 1]^d in batches (a baseline: docs/method.md §5, beyond the paper). */
export class RandomSearch implements Optimizer {
  readonly name = 'random' as const;
  readonly needsGradient = false;

  constructor(readonly settings: { batchSize: number }) {
    if (!(settings.batchSize >= 1)) throw new Error(`random search needs a batch size of at least 1, got ${settings.batchSize}`);
  }

  async run(search: Search, rand: () => number): Promise<void> {
    for (let iteration = 0; search.remaining > 0; iteration++) {
      const n = Math.min(this.settings.batchSize, search.remaining);
      const designs = Array.from({ length: n }, () => Float32Array.from({ length: search.dim }, () => 2 * rand() - 1));
      await search.evaluate(designs, iteration);
    }
  }
}
