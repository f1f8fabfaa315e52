// One-step GNS training (learning_to_simulate's train.py): windows of C+2 frames, random-walk
// input noise, MSE on normalized accelerations of the predicted particles, Adam.
import { registerComputeFunction } from '../compute/registry';
import type * as TfModule from '@tensorflow/tfjs';
import { AdamTrainer, flatTensors, splitFlat, VariableAdam, type AdamSnapshot } from '../adam-state';
import { seededRandom } from '../random';
import type { StepInputs } from './features';
import { buildStepInputs, isKinematic, nodeFeatureSize } from './features';
import { loadTf } from '../tf';
import { GnsNetwork } from './network';
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

/** A batch as one disjoint graph plus its targets. */
export interface GnsBatch {
  inputs: StepInputs;
  /** [N * 2] normalized target acceleration */
  target: Float32Array;
  /** [N] 1 for predicted particles, 0 for kinematic ones */
  mask: Float32Array;
  predicted: number;
}

/** What a helper thread needs to compute the gradient of part of a batch (data parallelism). */
export interface PartGradientArgs {
  config: GnsConfig;
  /** the network's current weights, flat in the variables' order */
  weights: Float32Array;
  batch: GnsBatch;
  /** the whole batch's predicted particles: the part's squared errors are divided by it */
  denominator: number;
}
export interface PartGradient {
  /** the part's share of the loss */
  loss: number;
  /** d(share)/d(weights), flat in the variables' order */
  grads: Float32Array;
}
export type PartGradientFn = (args: PartGradientArgs) => Promise<PartGradient>;

export interface GnsTrainerOptions {
  learningRate: number;
  /** seeds the input noise; step k's noise depends only on (seed, k) */
  seed: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /**
   * a second thread (a compute worker) for the second half of every batch of 2 or more windows:
   * both halves' gradients are computed at once and summed, the same loss as one batch
   */
  helper?: PartGradientFn;
}

export class GnsTrainer extends AdamTrainer {
  learningRate: number;
  protected readonly adam: VariableAdam;
  private readonly seed: number;

  constructor(
    private readonly tf: Tf,
    private readonly network: GnsNetwork,
    private readonly norm: GnsNormalization,
    private readonly config: GnsConfig,
    private readonly options: GnsTrainerOptions,
  ) {
    super();
    this.learningRate = options.learningRate;
    this.seed = options.seed;
    this.adam = new VariableAdam(tf, network.variables, options);
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
   * The same step with the batch's second half on the helper thread, when there is one and the
   * batch has 2 or more windows (else `step`). The noise is drawn here for the whole batch as
   * `step` draws it, so only the order of a float sum differs from `step`.
   */
  async stepParallel(samples: readonly TrainingWindow[]): Promise<number> {
    const helper = this.options.helper;
    if (!helper || samples.length < 2) return this.step(samples);
    const tf = this.tf;
    const parts = this.parts(samples, seededRandom(mixSeed(this.seed, this.adam.stepsTaken)));
    const half = Math.ceil(parts.length / 2);
    const local = this.merge(parts.slice(0, half));
    const remote = this.merge(parts.slice(half));
    const denominator = Math.max(1, local.predicted + remote.predicted);
    // the helper starts first: its message is posted before this thread's own half runs
    const pending = helper({ config: this.config, weights: flatTensors(this.network.variables), batch: remote, denominator });
    const { value, grads } = tf.variableGrads(() => this.lossTensor(local, denominator), this.network.variables);
    const localLoss = value.dataSync()[0]!;
    value.dispose();
    let other: PartGradient;
    try {
      other = await pending;
    } catch (err) {
      tf.dispose(grads);
      throw err;
    }
    const summed = addFlatGradients(tf, this.network.variables, grads, other.grads);
    this.adam.apply(summed, this.learningRate);
    return localLoss + other.loss;
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

  /** Sum over dims of the squared error, averaged over predicted particles (as the reference). */
  private lossTensor(batch: GnsBatch, denominator = Math.max(1, batch.predicted)): TfModule.Scalar {
    return maskedLoss(this.tf, this.network, batch, denominator);
  }

  /** Windows to one disjoint graph; `uniform` null means no noise. */
  private batch(samples: readonly TrainingWindow[], uniform: (() => number) | null): GnsBatch {
    return this.merge(this.parts(samples, uniform));
  }

  /** Each window's graph inputs and raw target acceleration, noisy when `uniform` is given. */
  private parts(samples: readonly TrainingWindow[], uniform: (() => number) | null): WindowPart[] {
    if (samples.length === 0) throw new Error('a training batch needs at least one window');
    const c = this.config.historyLength;
    return samples.map((w) => {
      const frame = w.n * 2;
      if (w.positions.length !== (c + 2) * frame) throw new Error(`a window needs C + 2 = ${c + 2} frames of ${w.n} particles`);
      const clean = w.positions.subarray(0, (c + 1) * frame);
      const next = w.positions.subarray((c + 1) * frame);
      const noisy = uniform
        ? randomWalkNoise(clean, next, w.particleTypes, w.n, c, this.config.noiseStd, uniform)
        : { history: clean, targetAcceleration: rawAcceleration(clean.subarray((c - 1) * frame, c * frame), clean.subarray(c * frame), next) };
      return { inputs: buildStepInputs(this.config, this.norm, noisy.history, w.particleTypes, w.n), acc: noisy.targetAcceleration };
    });
  }

  /** Window parts to one disjoint graph with normalized targets. */
  private merge(parts: readonly WindowPart[]): GnsBatch {
    const width = nodeFeatureSize(this.config);
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

interface WindowPart {
  inputs: StepInputs;
  /** [N * 2] raw target acceleration */
  acc: Float32Array;
}

/** The masked squared error of a batch summed and divided by `denominator`. */
function maskedLoss(tf: Tf, network: GnsNetwork, batch: GnsBatch, denominator: number): TfModule.Scalar {
  const pred = network.forward(batch.inputs);
  const target = tf.tensor2d(batch.target, [batch.inputs.n, 2]);
  const mask = tf.tensor1d(batch.mask);
  const perParticle = tf.sum(tf.square(tf.sub(pred, target)), 1);
  return tf.div(tf.sum(tf.mul(perParticle, mask)), denominator) as TfModule.Scalar;
}

/** grads (by variable name, disposed) plus a flat gradient in the variables' order. */
function addFlatGradients(tf: Tf, variables: readonly TfModule.Variable[], grads: TfModule.NamedTensorMap, flat: Float32Array): TfModule.NamedTensorMap {
  const out: TfModule.NamedTensorMap = {};
  splitFlat(flat, variables, "the helper's gradients").forEach((other, k) => {
    const v = variables[k]!;
    const g = grads[v.name];
    if (!g) throw new Error(`no gradient for variable ${v.name}`);
    out[v.name] = tf.tidy(() => tf.add(g, tf.tensor(other, v.shape)));
  });
  tf.dispose(grads);
  return out;
}

/** The network a helper thread keeps between calls; its weights are set anew at every call. */
let helperNetwork: { key: string; network: GnsNetwork } | null = null;

/**
 * A helper thread's half of a data-parallel step (compute worker function): the gradient of
 * the part's masked squared error divided by the whole batch's denominator.
 */
export async function partGradient(args: PartGradientArgs): Promise<PartGradient> {
  const { tf } = await loadTf();
  const key = JSON.stringify(args.config);
  if (!helperNetwork || helperNetwork.key !== key) {
    helperNetwork?.network.dispose();
    helperNetwork = { key, network: GnsNetwork.create(tf, args.config, 0) };
  }
  const network = helperNetwork.network;
  network.setFlatWeights(args.weights);
  const { value, grads } = tf.variableGrads(() => maskedLoss(tf, network, args.batch, args.denominator), network.variables);
  const loss = value.dataSync()[0]!;
  value.dispose();
  const flat = flatTensors(network.variables.map((v) => grads[v.name]!));
  tf.dispose(grads);
  return { loss, grads: flat };
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

declare module '../compute/registry' {
  interface ComputeFunctions {
    /** half of a data-parallel GNS training step */
    gnsPartGradient: typeof partGradient;
  }
}
registerComputeFunction('gnsPartGradient', partGradient, (r) => [r.grads.buffer as ArrayBuffer]);
