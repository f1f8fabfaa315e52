import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../src-shared/api';
import { followLearnedModel } from '../../src-renderer/src/learnedModel';
import { outcomeVerdict, type OutcomeFidelity } from '../../src-renderer/src/outcomeModel';
import { BUILTIN_OUTCOME_CALIBRATION, estimateOutcomeTraining } from '../../src-renderer/src/trainingEstimate';

// The outcome model's fidelity badge and the train dialog's time estimate, as the renderer reads them.
const fidelity = (f: Partial<OutcomeFidelity>): OutcomeFidelity => ({ spearmanMean: 0.96, spearmanWorst: 0.92, designs: 400, tasks: 8, ...f }) as OutcomeFidelity;

describe('outcome model verdict', () => {
  it('is ok only when the mean and the worst task meet their targets on enough designs and tasks', () => {
    expect(outcomeVerdict(fidelity({}))).toMatchObject({ kind: 'ok', label: 'ok' });
    expect(outcomeVerdict(fidelity({ spearmanMean: 0.94 }))).toMatchObject({ kind: 'below', label: 'mean below 0.95' });
    expect(outcomeVerdict(fidelity({ spearmanWorst: 0.85 }))).toMatchObject({ kind: 'below', label: 'worst task below 0.9' });
    expect(outcomeVerdict(fidelity({ spearmanMean: 0.5, spearmanWorst: 0.2 }))).toMatchObject({ kind: 'below', label: 'below target' });
    expect(outcomeVerdict(fidelity({ designs: 12 }))).toMatchObject({ kind: 'few', label: 'only 12 designs' });
    expect(outcomeVerdict(fidelity({ designs: 12 }))!.explanation).toMatch(/only 12 designs \(< 300\)/);
    expect(outcomeVerdict(null)).toBeNull();
  });
});

describe('outcome training estimate', () => {
  it('adds the rollouts spread over the workers to the steps at the calibrated step time', () => {
    const e = estimateOutcomeTraining(BUILTIN_OUTCOME_CALIBRATION.factors, { rollouts: 2000, msPerRollout: 90, workers: 2, steps: 1000 }, BUILTIN_OUTCOME_CALIBRATION);
    expect(e.rolloutSeconds).toBeCloseTo(90, 6);
    expect(e.secondsPerStep).toBeCloseTo(BUILTIN_OUTCOME_CALIBRATION.secondsPerStep, 9);
    expect(e.totalSeconds).toBeCloseTo(90 + 1000 * BUILTIN_OUTCOME_CALIBRATION.secondsPerStep, 6);
    // a wider network costs more a step, a narrower one less, never less than the fixed overhead
    const wide = estimateOutcomeTraining({ batchSize: 128, widths: [8, 256, 256, 1027] }, { rollouts: 0, msPerRollout: 90, workers: 2, steps: 1 }, BUILTIN_OUTCOME_CALIBRATION);
    const narrow = estimateOutcomeTraining({ batchSize: 128, widths: [8, 16, 16, 1027] }, { rollouts: 0, msPerRollout: 90, workers: 2, steps: 1 }, BUILTIN_OUTCOME_CALIBRATION);
    expect(wide.secondsPerStep).toBeGreaterThan(BUILTIN_OUTCOME_CALIBRATION.secondsPerStep);
    expect(narrow.secondsPerStep).toBeLessThan(BUILTIN_OUTCOME_CALIBRATION.secondsPerStep);
    expect(narrow.secondsPerStep).toBeGreaterThan(0.004);
  });
});

describe('the learned model a form keeps', () => {
  const model = (id: number, kind: 'outcome' | 'simulator', initModelId?: number, status = 'ready') => ({ id, kind, status, config: initModelId === undefined ? {} : { initModelId } }) as unknown as ModelInfo;
  it('defaults to the newest outcome model, keeps a choice, and follows it to its newest refinement', () => {
    const models = [model(1, 'outcome'), model(2, 'simulator'), model(3, 'outcome')];
    expect(followLearnedModel(models, null)).toBe(3);
    expect(followLearnedModel(models, 1)).toBe(1);
    expect(followLearnedModel([...models, model(4, 'outcome', 1), model(5, 'outcome', 4)], 1)).toBe(5);
    expect(followLearnedModel([...models, model(4, 'outcome', 1, 'training')], 1)).toBe(1);
    expect(followLearnedModel(models, 9)).toBe(3);
  });
});
