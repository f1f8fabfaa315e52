import { describe, expect, it } from 'vitest';
import { pearson, ranks, spearman } from '../../src-main/engine/stats';

describe('rank statistics', () => {
  it('ranks with ties sharing their mean rank', () => {
    expect(ranks([10, 30, 20, 30])).toEqual([1, 3.5, 2, 3.5]);
  });
  it('gives Spearman 1 for any increasing relation and -1 for a decreasing one', () => {
    const x = [0.1, 0.5, 0.2, 0.9, 0.3];
    expect(spearman(x, x.map((v) => Math.exp(5 * v)))).toBeCloseTo(1, 12);
    expect(spearman(x, x.map((v) => -(v ** 3)))).toBeCloseTo(-1, 12);
  });
  it('matches a hand computation', () => {
    // ranks a = [1,2,3,4,5], b = [2,1,4,3,5]: rho = 1 - 6 * sum d^2 / (n (n^2 - 1)) = 1 - 6*4/120 = 0.8
    expect(spearman([1, 2, 3, 4, 5], [20, 10, 40, 30, 50])).toBeCloseTo(0.8, 12);
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(0.9933992677987828, 12);
  });
  it('is undefined (NaN) when one side is constant', () => {
    expect(spearman([1, 2, 3], [5, 5, 5])).toBeNaN();
  });
});
