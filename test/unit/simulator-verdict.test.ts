import { describe, expect, it } from 'vitest';
import type { SimulatorModelMetrics } from '../../src-shared/api';
import { FIDELITY_MIN_DESIGNS, fidelityVerdict, simulatorMetrics } from '../../src-renderer/src/simulatorModel';

// The cost-fidelity badge of a learned simulator, read from the metrics its training stored.
const verdictOf = (metrics: SimulatorModelMetrics) => fidelityVerdict(simulatorMetrics({ kind: 'simulator', metrics }));

describe('cost-fidelity verdict', () => {
  it('is ok only for ρ at target on at least 100 designs', () => {
    expect(verdictOf({ spearman: 0.93, fidelityDesigns: 120 })).toMatchObject({ kind: 'ok', label: 'ok', tone: 'success', designs: 120 });
    expect(verdictOf({ spearman: 0.9, fidelityDesigns: FIDELITY_MIN_DESIGNS })?.kind).toBe('ok');
  });

  it('says how few designs a high ρ rests on, and does not call it ok', () => {
    const v = verdictOf({ spearman: 0.95, fidelityDesigns: 6 });
    expect(v).toMatchObject({ kind: 'few', label: 'only 6 designs', tone: 'warning' });
    expect(v?.explanation).toMatch(/Measured on 6, this ρ is too uncertain/);
  });

  it('is below target under 0.9 whatever the number of designs', () => {
    expect(verdictOf({ spearman: 0.31, fidelityDesigns: 100 })?.kind).toBe('below');
    expect(verdictOf({ spearman: 0.5, fidelityDesigns: 6 })).toMatchObject({ kind: 'below', label: 'below target' });
  });

  it('counts the stored fidelity points when the design count was not recorded, and is null before measuring', () => {
    const points = Array.from({ length: 40 }, (_, i): [number, number] => [i, i]);
    expect(verdictOf({ spearman: 1, fidelity: points })).toMatchObject({ kind: 'few', designs: 40 });
    expect(verdictOf({})).toBeNull();
  });
});
