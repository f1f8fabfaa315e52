// One step counter while training: the jobs write `step N/M · loss L` every step and the model
// tables read the step back from it (the model's metrics move only at evaluations).
import { describe, expect, it } from 'vitest';
import { trainingMessage, trainingStepOf } from '../../src-shared/models';

describe('training step message', () => {
  it('round-trips the step and budget, and keeps the rest of the message', () => {
    const m = trainingMessage(140, 600, 0.21537);
    expect(m).toBe('step 140/600 · loss 0.215');
    expect(trainingStepOf(m)).toEqual({ step: 140, steps: 600, rest: 'loss 0.215' });
  });
  it('names no step for other messages', () => {
    expect(trainingStepOf('evaluating fidelity')).toBeNull();
    expect(trainingStepOf(null)).toBeNull();
    expect(trainingStepOf('rolling out 12/300 designs')).toBeNull();
  });
});
