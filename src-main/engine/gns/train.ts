// One-step GNS training (learning_to_simulate's train.py): windows of C+2 frames, random-walk
// input noise, MSE on normalized accelerations of the predicted particles, Adam.
import type * as TfModule from '@tensorflow/tfjs';
import { VariableAdam, type AdamSnapshot } from '../adam-state';
import { seededRandom } from '../random';
import type { StepInputs } from './features';
import { buildStepInputs, isKinematic, nodeFeatureSize } from './features';
import type { GnsNetwork } from './network';
import { randomWalkNoise } from './noise';
import type { TrajectoryPositions } from './normalization';
import type { GnsConfig, GnsNormalization } from './spec';

type Tf = typeof TfModule;

/** C+1 history frames and the target frame of one trajectory. */
export interface TrainingWindow {
  /** [(C+2) * N * 2], oldest frame first; the last frame is the target */
  positions: Float32Array;
  /** [N] */
  particleTypes: ArrayLike<number>;
  n: number;
}

/** `count` windows drawn uniformly over every (trajectory, start frame) pair. */
export function sampleWindows(
  trajectories: readonly TrajectoryPositions[],
  count: number,
  rand: () => number,
  config: GnsConfig,
): TrainingWindow[] {
  const span = config.historyLength + 2;
  const starts = trajectories.map((t) => Math.max(0, t.frames - span + 1));
  const total = starts.reduce((a, b) => a + b, 0);
  if (total === 0) throw new Error(`no trajectory has the C + 2 = ${span} frames a training window needs`);
  const windows: TrainingWindow[] = [];
  for (let s = 0; s < count; s++) {
    let pick = Math.min(total - 1, Math.floor(rand() * total));
    let index = 0;
    while (pick >= starts[index]!) pick -= starts[index++]!;
    const t = trajectories[index]!;
    const frame = t.particles * 2;
    windows.push({
      positions: t.positions.slice(pick * frame, (pick + span) * frame),
      particleTypes: t.particleTypes,
      n: t.particles,
    });
  }
  return windows;
}

/** Adam moments and step count: enough to resume training on the same loss curve. */
export type GnsOptimizerState = AdamSnapshot;

export interface GnsTrainerOptions {
  learningRate: number;
  /** seeds the input noise; step k's noise depends only on (seed, k) */
  seed: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** A batch as one disjoint graph plus its targets. */
interface Batch {
  inputs: StepInputs;
  /** [N * 2] normalized target acceleration */
  target: Float32Array;
  /** [N] 1 for predicted particles, 0 for kinematic ones */
  mask: Float32Array;
  predicted: number;
}

export class GnsTrainer {
  learningRate: number;
  private readonly adam: VariableAdam;
  private readonly seed: number;

  constructor(
    private readonly tf: Tf,
    private readonly network: GnsNetwork,
    private readonly norm: GnsNormalization,
    private readonly config: GnsConfig,
    opts: GnsTrainerOptions,
  ) {
    this.learningRate = opts.learningRate;
    this.seed = opts.seed;
    this.adam = new VariableAdam(tf, network.variables, opts);
  }

  /** Adam steps taken so far */
  get stepsTaken(): number {
    return this.adam.stepsTaken;
  }

  /** One Adam step on the noisy batch; returns its loss before the update. */
  step(samples: readonly TrainingWindow[]): number {
    const tf = this.tf;
    const batch = this.batch(samples, seededRandom(mixSeed(this.seed, this.adam.stepsTaken)));
    const { value, grads } = tf.variableGrads(() => this.lossTensor(batch), this.network.variables);
    const loss = value.dataSync()[0]!;
    value.dispose();
    this.adam.apply(grads, this.learningRate);
    return loss;
  }

  /**
   * The loss without noise or update (validation), over the windows `chunk` at a time: one graph
   * of every window at once outgrows the wasm heap at larger radii. The mean is over all predicted
   * particles, as if it were one batch.
   */
  loss(samples: readonly TrainingWindow[], chunk = 4): number {
    let sum = 0;
    let predicted = 0;
    for (let i = 0; i < samples.length; i += chunk) {
      const batch = this.batch(samples.slice(i, i + chunk), null);
      const value = this.tf.tidy(() => this.lossTensor(batch));
      sum += value.dataSync()[0]! * Math.max(1, batch.predicted);
      predicted += Math.max(1, batch.predicted);
      value.dispose();
    }
    return sum / predicted;
  }

  optimizerState(): GnsOptimizerState {
    return this.adam.snapshot();
  }

  restoreOptimizerState(state: GnsOptimizerState): void {
    this.adam.restore(state);
  }

  dispose(): void {
    this.adam.dispose();
  }

  /** Sum over dims of the squared error, averaged over predicted particles (as the reference). */
  private lossTensor(batch: Batch): TfModule.Scalar {
    const tf = this.tf;
    const pred = this.network.forward(batch.inputs);
    const target = tf.tensor2d(batch.target, [batch.inputs.n, 2]);
    const mask = tf.tensor1d(batch.mask);
    const perParticle = tf.sum(tf.square(tf.sub(pred, target)), 1);
    return tf.div(tf.sum(tf.mul(perParticle, mask)), Math.max(1, batch.predicted)) as TfModule.Scalar;
  }

  /** Windows to one disjoint graph; `uniform` null means no noise. */
  private batch(samples: readonly TrainingWindow[], uniform: (() => number) | null): Batch {
    if (samples.length === 0) throw new Error('a training batch needs at least one window');
    const c = this.config.historyLength;
    const width = nodeFeatureSize(this.config);
    const parts = samples.map((w) => {
      const frame = w.n * 2;
      if (w.positions.length !== (c + 2) * frame) throw new Error(`a window needs C + 2 = ${c + 2} frames of ${w.n} particles`);
      const clean = w.positions.subarray(0, (c + 1) * frame);
      const next = w.positions.subarray((c + 1) * frame);
      const noisy = uniform
        ? randomWalkNoise(clean, next, w.particleTypes, w.n, c, this.config.noiseStd, uniform)
        : { history: clean, targetAcceleration: rawAcceleration(clean.subarray((c - 1) * frame, c * frame), clean.subarray(c * frame), next) };
      return { inputs: buildStepInputs(this.config, this.norm, noisy.history, w.particleTypes, w.n), acc: noisy.targetAcceleration, types: w.particleTypes };
    });
    const n = parts.reduce((a, p) => a + p.inputs.n, 0);
    const e = parts.reduce((a, p) => a + p.inputs.e, 0);
    const inputs: StepInputs = {
      n,
      e,
      nodeFeatures: new Float32Array(n * width),
      particleTypes: new Int32Array(n),
      edgeFeatures: new Float32Array(e * 3),
      senders: new Int32Array(e),
      receivers: new Int32Array(e),
    };
    const target = new Float32Array(n * 2);
    const mask = new Float32Array(n);
    let node = 0;
    let edge = 0;
    let predicted = 0;
    for (const p of parts) {
      const q = p.inputs;
      inputs.nodeFeatures.set(q.nodeFeatures, node * width);
      inputs.particleTypes.set(q.particleTypes, node);
      inputs.edgeFeatures.set(q.edgeFeatures, edge * 3);
      for (let k = 0; k < q.e; k++) {
        inputs.senders[edge + k] = q.senders[k]! + node;
        inputs.receivers[edge + k] = q.receivers[k]! + node;
      }
      for (let i = 0; i < q.n; i++) {
        for (let d = 0; d < 2; d++) {
          target[2 * (node + i) + d] = (p.acc[2 * i + d]! - this.norm.accelerationMean[d]!) / this.norm.accelerationStd[d]!;
        }
        const predict = !isKinematic(q.particleTypes[i]!);
        mask[node + i] = predict ? 1 : 0;
        if (predict) predicted++;
      }
      node += q.n;
      edge += q.e;
    }
    return { inputs, target, mask, predicted };
  }
}

/** x_{t+1} - 2 x_t + x_{t-1}, each [N * 2]. */
function rawAcceleration(previous: Float32Array, current: Float32Array, next: Float32Array): Float32Array {
  return Float32Array.from(current, (x, k) => next[k]! - 2 * x + previous[k]!);
}

/** A well-spread 32-bit seed for step k of a run seeded with `seed`. */
function mixSeed(seed: number, k: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}
