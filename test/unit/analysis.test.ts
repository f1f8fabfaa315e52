import { describe, expect, it } from 'vitest';
import { bestSoFar, costShades, importance, pearson, ranks, smooth, spearman, viridis } from '../../src-renderer/src/analysis';

describe('the views across design dimensions: figures', () => {
  it('ranks with ties averaged', () => {
    expect(ranks([10, 30, 20, 20])).toEqual([1, 4, 2.5, 2.5]);
  });

  it("Spearman's ρ: ±1 for monotone relations, null for a constant side, the textbook value otherwise", () => {
    const x = [1, 2, 3, 4, 5, 6];
    expect(spearman(x, x.map((v) => v ** 3))).toBeCloseTo(1, 12);
    expect(spearman(x, x.map((v) => -Math.exp(v)))).toBeCloseTo(-1, 12);
    expect(spearman(x, [2, 2, 2, 2, 2, 2])).toBeNull();
    // d² = 0+1+1+0+0 → ρ = 1 - 6·2 / (5·24) = 0.9
    expect(spearman([1, 2, 3, 4, 5], [1, 3, 2, 4, 5])).toBeCloseTo(0.9, 12);
    expect(pearson([1, 2], [3, 4])).toBeNull();
  });

  it('importance finds the entry the cost depends on', () => {
    // cost depends on entry 1 only (non-linearly but monotonically); entry 0 is noise, entry 2 never changes
    let s = 1;
    const rand = (): number => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const designs = Array.from({ length: 200 }, () => [rand(), rand(), 0.5]);
    const costs = designs.map((d) => Math.exp(2 * d[1]!));
    const imp = importance(designs, costs);
    expect(imp[1]!.rho).toBeCloseTo(1, 12);
    expect(Math.abs(imp[0]!.rho!)).toBeLessThan(0.2);
    expect(imp[2]!.rho).toBeNull();
  });

  it('best so far, smoothing (debiased EMA) and colours', () => {
    expect(bestSoFar([3, 1, 2, 0.5])).toEqual([3, 1, 1, 0.5]);
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    // debiased: the first point is itself, a constant stays constant
    expect(smooth([5, 5, 5], 0.9)).toEqual([5, 5, 5].map(() => expect.closeTo(5, 12)));
    const s = smooth([0, 10], 0.5);
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo((0.5 * 0 * 0.5 + 0.5 * 10) / (0.5 * 0.5 + 0.5), 12);
    expect(viridis(0)).toBe('rgba(68, 1, 84, 1)');
    expect(viridis(1, 0.5)).toBe('rgba(253, 231, 37, 0.5)');
    expect(costShades([0.3, 0.1, 0.2])).toEqual([1, 0, 0.5]);
  });
});

describe('loss plots', async () => {
  const { lossCompareChart, logTickLabel } = await import('../../src-renderer/src/modelCharts');
  const { smooth } = await import('../../src-renderer/src/analysis');
  const series = [
    { label: 'A', color: '#2458b3', trainLoss: [[0, 1], [10, 0.5], [20, 0.4]] as [number, number][], valLoss: [[10, 0.6]] as [number, number][], secondsPerStep: 0.5 },
    { label: 'B', color: '#c2590a', trainLoss: [[0, 2], [10, 1]] as [number, number][], valLoss: [] as [number, number][], secondsPerStep: null },
  ];

  it('draws each model on steps or on training time, log or linear, raw points under smoothed lines', () => {
    const steps = lossCompareChart(series, { x: 'step', smoothing: 0, y: 'log' }, smooth);
    expect(steps.data.datasets.map((d) => d.label)).toEqual(['A · training', 'A · validation', 'B · training']);
    expect(steps.data.datasets[0]!.data.map((p) => (p as { x: number }).x)).toEqual([0, 10, 20]);
    expect(steps.options!.scales!.y!.type).toBe('logarithmic');
    // the log axis keeps only gridlines it labels
    const scale = { ticks: [0.06, 0.07, 0.1, 0.2, 0.3, 0.5].map((value) => ({ value })) };
    (steps.options!.scales!.y as unknown as { afterBuildTicks(s: typeof scale): void }).afterBuildTicks(scale);
    expect(scale.ticks.map((t) => t.value)).toEqual([0.1, 0.2, 0.5]);
    // a narrow span (0.33 to 0.9: only 0.5 is 1, 2 or 5 × 10^k): Chart.js's ticks, thinned so labels keep apart
    const narrow = { ticks: [0.33, 0.34, 0.35, 0.36, 0.37, 0.38, 0.39, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9].map((value) => ({ value })) };
    (steps.options!.scales!.y as unknown as { afterBuildTicks(s: typeof narrow): void }).afterBuildTicks(narrow);
    const kept = narrow.ticks.map((t) => t.value);
    expect(kept[0]).toBe(0.33);
    expect(kept.length).toBeLessThanOrEqual(9);
    for (let i = 1; i < kept.length; i++) expect(Math.log10(kept[i]! / kept[i - 1]!)).toBeGreaterThanOrEqual(Math.log10(0.9 / 0.33) / 8 - 1e-9);
    const time = lossCompareChart(series, { x: 'time', smoothing: 0.6, y: 'linear' }, smooth);
    expect(time.data.datasets[0]!.data.map((p) => (p as { x: number }).x)).toEqual([0, 5, 10]);
    // B has no step time: no time axis for it (NaN, not a made-up figure)
    expect(Number.isNaN((time.data.datasets.find((d) => d.label === 'B · training')!.data[1] as { x: number }).x)).toBe(true);
    expect(time.data.datasets.some((d) => d.label === 'A · training (raw)')).toBe(true);
    expect((time.data.datasets[0]!.data[2] as { y: number }).y).toBeGreaterThan(0.4); // smoothed toward the past
    expect(time.options!.scales!.y!.type).toBe('linear');
  });

  it('labels the log axis at 1, 2 and 5 times powers of ten', () => {
    expect([0.1, 0.2, 0.3, 0.5, 1, 20, 40].map(logTickLabel)).toEqual(['0.1', '0.2', '', '0.5', '1', '20', '']);
    expect(logTickLabel(0.0002)).toBe('2e-4');
  });
});
