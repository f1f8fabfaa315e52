import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import { createEnvironment } from '../../src-main/engine/environments';
import { OutcomeModel, physicsSettings, type OutcomeModelFile } from '../../src-main/engine/outcome/model-file';
import { OutcomeNetwork } from '../../src-main/engine/outcome/network';
import { exportOutcomeOnnx, OUTCOME_ONNX_IO } from '../../src-main/engine/outcome/onnx-export';
import { predictOutcome } from '../../src-main/engine/outcome/reference';
import { initialOutcomeWeights, outcomeNormalization, type OutcomeModelConfig } from '../../src-main/engine/outcome/spec';
import { costFidelity } from '../../src-main/engine/outcome/fidelity';
import { seededRandom } from '../../src-main/engine/random';
import { loadTf } from '../../src-main/engine/tf';
import { ApiError } from '../../src-shared/errors';

const env = createEnvironment('fluidtool-2d', FLUIDTOOL2D_DEFAULTS);

/** A model with random weights and a normalization of random outcomes: smooth, any design. */
function randomModel(seed: number, hidden = [16, 12]): OutcomeModel {
  const config: OutcomeModelConfig = { designDim: env.designSpace.dim, outcomeDim: env.outcomeSpec.dim, costEntries: env.outcomeSpec.costEntries, hidden, outcomeVersion: env.outcomeSpec.version };
  const rand = seededRandom(seed);
  const outcomes = Float32Array.from({ length: 10 * config.outcomeDim }, () => rand());
  const file: OutcomeModelFile = { version: 1, kind: 'outcome', config, norm: outcomeNormalization(outcomes, 10, config), physics: physicsSettings(FLUIDTOOL2D_DEFAULTS) };
  return new OutcomeModel(file, initialOutcomeWeights(config, rand));
}

describe('outcomes of FluidTool-2D', () => {
  it('give the ground truth’s own cost exactly and its capture within a few percent, for any task', () => {
    const rand = seededRandom(5);
    const captureErrors: number[] = [];
    for (let k = 0; k < 4; k++) {
      const rollout = env.rollout(env.sampleDesign(rand));
      const outcome = env.outcome(rollout);
      expect(outcome).toHaveLength(env.outcomeSpec.dim);
      // the density sums to the whole water
      expect(outcome.slice(env.outcomeSpec.costEntries).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      for (let t = 0; t < 6; t++) {
        const task = env.sampleTask(rand);
        const truth = env.evaluate(rollout, task);
        const fromOutcome = env.evaluateOutcome(outcome, task);
        expect(Math.abs(fromOutcome.cost - truth.cost)).toBeLessThan(1e-6 * Math.max(1, truth.cost));
        captureErrors.push(Math.abs(fromOutcome.capture - truth.capture));
      }
    }
    expect(captureErrors.reduce((a, b) => a + b, 0) / captureErrors.length).toBeLessThan(0.03);
    expect(Math.max(...captureErrors)).toBeLessThan(0.1);
  });

  it('the cost gradient with respect to the outcome is the algebra’s: 2 (mu - c), 1 for the variance, 0 for the density', () => {
    const outcome = new Float32Array(env.outcomeSpec.dim);
    outcome.set([0.4, 0.1, 0.02]);
    const { cost, costGradient } = env.evaluateOutcome(outcome, [0.5, 0.2]);
    expect(cost).toBeCloseTo(0.01 + 0.01 + 0.02, 6);
    expect(Array.from(costGradient.slice(0, 3))).toEqual([expect.closeTo(-0.2, 6), expect.closeTo(-0.2, 6), 1]);
    expect(costGradient.slice(3).every((g) => g === 0)).toBe(true);
  });
});

describe('the outcome model', () => {
  it('reference, TF.js network and ONNX export compute the same outcome', async () => {
    const model = randomModel(2);
    const { tf } = await loadTf();
    const network = new OutcomeNetwork(tf, model.file.config, model.weights);
    const rand = seededRandom(3);
    const designs = Array.from({ length: 5 }, () => env.sampleDesign(rand));
    const normalized = network.forward(tf.tensor2d(Float32Array.from(designs.flatMap((d) => Array.from(d))), [5, env.designSpace.dim]));
    const tfOut = normalized.dataSync() as Float32Array;
    normalized.dispose();
    network.dispose();
    const session = await InferenceSession.create(exportOutcomeOnnx(model.file.config, model.weights, model.file.norm));
    const onnx = (await session.run({ [OUTCOME_ONNX_IO.design]: new Tensor('float32', Float32Array.from(designs.flatMap((d) => Array.from(d))), [5, env.designSpace.dim]) }))[OUTCOME_ONNX_IO.outcome]!.data as Float32Array;
    const D = env.outcomeSpec.dim;
    const { mean, std } = model.file.norm;
    designs.forEach((design, i) => {
      const ref = predictOutcome(model.file.config, model.weights, model.file.norm, design);
      for (let k = 0; k < D; k += 37) {
        expect(tfOut[i * D + k]! * std[k]! + mean[k]!).toBeCloseTo(ref[k]!, 4);
        expect(onnx[i * D + k]!).toBeCloseTo(ref[k]!, 4);
      }
    });
    await session.release();
  });

  it('its design gradient of the cost matches central finite differences', () => {
    const model = randomModel(4);
    const rand = seededRandom(9);
    for (let k = 0; k < 3; k++) {
      const design = env.sampleDesign(rand).map((v) => 0.8 * v);
      const task = env.sampleTask(rand);
      const { gradient } = model.costAndGradient(env, design, task);
      const h = 1e-3;
      for (let j = 0; j < design.length; j++) {
        const up = Float64Array.from(design);
        const down = Float64Array.from(design);
        up[j]! += h;
        down[j]! -= h;
        const fd = (env.evaluateOutcome(model.predict(up), task).cost - env.evaluateOutcome(model.predict(down), task).cost) / (2 * h);
        expect(gradient[j]!).toBeCloseTo(fd, 3);
      }
    }
  });

  it('is refused, naming the difference, for a project with other physics', () => {
    const model = randomModel(6);
    const other = { ...FLUIDTOOL2D_DEFAULTS, particles: 100 };
    expect(() => model.checkFor(createEnvironment('fluidtool-2d', other), other, 'm')).toThrow(ApiError);
    expect(() => model.checkFor(createEnvironment('fluidtool-2d', other), other, 'm')).toThrow(/particles 256 there, 100 here/);
    // the task range and target radius do not change a rollout: the model still fits
    const moved = { ...FLUIDTOOL2D_DEFAULTS, taskRange: { xMin: 0.3, xMax: 0.9, yMin: 0.05, yMax: 0.1 }, targetRadius: 0.15 };
    expect(() => model.checkFor(createEnvironment('fluidtool-2d', moved), moved, 'm')).not.toThrow();
  });
});

describe('cost fidelity', () => {
  it('reads a perfect ranking as 1 and a reversed one as -1, with the pick’s true rank', () => {
    const scored = (sign: number) => Array.from({ length: 12 }, (_, i) => ({ trueCost: i, learnedCost: sign * i, trueCapture: 0, learnedCapture: 0.1 }));
    const good = costFidelity([scored(1), scored(1)]);
    expect(good.spearmanMean).toBeCloseTo(1, 9);
    expect(good.pickRankWorst).toBe(1);
    expect(good.captureError).toBeCloseTo(0.1, 9);
    const bad = costFidelity([scored(1), scored(-1)]);
    expect(bad.spearmanWorst).toBeCloseTo(-1, 9);
    expect(bad.pickRanks).toEqual([1, 12]);
  });
});
