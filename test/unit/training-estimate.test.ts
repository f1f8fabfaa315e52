import { describe, expect, it } from 'vitest';
import { BUILTIN_CALIBRATION, estimateTraining, stepCost, trainingThreads } from '../../src-renderer/src/trainingEstimate';

describe('GNS training time estimate', () => {
  const base = { batchSize: 2, latent: 48, messagePassingSteps: 4, radius: 0.03, particles: 330, threads: 1 };

  it('counts the windows of the slowest thread when a batch is split over two', () => {
    expect(stepCost({ ...base, threads: 2 })).toBeCloseTo(stepCost({ ...base, batchSize: 1 }), 9);
    expect(stepCost({ ...base, batchSize: 3, threads: 2 })).toBeCloseTo(stepCost(base), 9);
    expect(stepCost({ ...base, radius: 0.06 })).toBeCloseTo(4 * stepCost(base), 9);
  });

  it('uses two threads only for batches of 2 or more on 2 or more cores', () => {
    expect(trainingThreads(1, 2)).toBe(1);
    expect(trainingThreads(2, 1)).toBe(1);
    expect(trainingThreads(2, 2)).toBe(2);
  });

  it('scales the calibration by the step cost and adds the evaluation', () => {
    const e = estimateTraining({ ...BUILTIN_CALIBRATION.factors, threads: 2 }, { steps: 1000, fidelityDesigns: 100, workers: 2 }, BUILTIN_CALIBRATION);
    expect(e.secondsPerStep).toBeCloseTo(BUILTIN_CALIBRATION.secondsPerStep / 2, 9);
    expect(e.totalSeconds).toBeCloseTo(e.trainingSeconds + e.evaluationSeconds, 9);
    expect(e.evaluationSeconds).toBe(100);
  });
});
