// The design gradient dE/dx through a learned FluidTool-2D rollout (docs/method.md §5, §8), for Adam
// and energy guidance. Bounded memory: the forward pass keeps only each frame's positions and
// radius graph; the backward pass recomputes one network step at a time (checkpointing per
// frame) and chains its vector-Jacobian product through the integrator, newest frame first.
// The radius graph is discrete: it is held as the forward pass built it, with no gradient
// through which edges exist.
import type * as TfModule from '@tensorflow/tfjs';
import type { FluidTool2DSettings } from '../../../src-shared/environments';
import {
  PARTICLE_TYPE,
  TOOL_ANCHOR,
  TOOL_BASE_ANGLE,
  TOOL_LENGTH,
  costAndCapture,
  initialWaterPositions,
  particleSpacing,
  toolParticles,
  toolPolyline,
} from '../../../src-shared/fluidtool2d';
import type { GnsNetwork, StepTensors } from './network';
import { learnedRollout } from './rollout';
import type { GnsConfig, GnsNormalization } from './spec';

type Tf = typeof TfModule;
type Tensor = TfModule.Tensor;
type Tensor1D = TfModule.Tensor1D;
type Tensor2D = TfModule.Tensor2D;
type Tensor3D = TfModule.Tensor3D;

/** One frame's radius graph, as the forward pass built it. */
export interface FixedGraph {
  /** [E] */
  senders: Int32Array;
  /** [E] */
  receivers: Int32Array;
}

/** The FluidTool-2D settings the learned rollout of a design depends on. */
export type DesignGradientSettings = Pick<FluidTool2DSettings, 'particles' | 'grid' | 'thetaMax'>;

export interface DesignGradient {
  /** mean squared distance of the water to the task at the last frame (FluidTool2D.evaluate's cost) */
  cost: number;
  /** dcost/dx [K] */
  gradient: Float32Array;
  /** the learned trajectory [frames * N * 2], as LearnedRunner.rollout returns it */
  rollout: Float32Array;
}

/**
 * Differentiable twin of toolParticles(toolPolyline(design, thetaMax), grid): design [K] ->
 * tool particles [M, 2]. The particles per segment depend only on the segment's length, which
 * x does not change, so the map is linear in the segment vectors seg * (cos phi_i, sin phi_i).
 */
export function toolParticlesTf(tf: Tf, design: Tensor1D, thetaMax: number, grid: number): Tensor2D {
  const k = design.shape[0];
  const { placement, m } = toolPlacement(k, grid);
  return tf.tidy(() => {
    // phi_i = phi_0 + thetaMax * sum_{j<=i} x_j, as a product with an upper-triangular ones matrix
    const cumulative = tf.tensor2d(Float32Array.from({ length: k * k }, (_, q) => (Math.floor(q / k) <= q % k ? 1 : 0)), [k, k]);
    const phi = tf.add(tf.mul(tf.matMul(tf.reshape(design, [1, k]) as Tensor2D, cumulative), thetaMax), TOOL_BASE_ANGLE);
    const segments = tf.mul(tf.transpose(tf.concat([tf.cos(phi), tf.sin(phi)], 0)), TOOL_LENGTH / k) as Tensor2D;
    return tf.add(tf.matMul(tf.tensor2d(placement, [m, k]), segments), tf.tensor1d(TOOL_ANCHOR as [number, number])) as Tensor2D;
  });
}

/**
 * placement [M, K]: tool particle p = anchor + sum_i placement[p, i] * segment_i, in
 * toolParticles' order (n_i points per segment from its start, then the last end point).
 */
function toolPlacement(k: number, grid: number): { placement: Float32Array; m: number } {
  // toolParticles' count from the straight length; a segment's length is TOOL_LENGTH / K for every x
  const n = Math.max(1, Math.round(TOOL_LENGTH / k / particleSpacing(grid)));
  const m = k * n + 1;
  const placement = new Float32Array(m * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < n; j++) {
      const row = (i * n + j) * k;
      for (let q = 0; q < i; q++) placement[row + q] = 1;
      placement[row + i] = j / n;
    }
  }
  placement.fill(1, (m - 1) * k);
  return { placement, m };
}

/**
 * buildStepInputs in TF.js, differentiable w.r.t. history [C+1, N, 2] (oldest frame first), on a
 * given graph instead of one built from the positions. Returns new tensors the caller disposes.
 */
export function featuresTf(
  tf: Tf,
  config: GnsConfig,
  norm: GnsNormalization,
  history: Tensor3D,
  particleTypes: ArrayLike<number>,
  graph: FixedGraph,
): StepTensors {
  const c = config.historyLength;
  const [frames, n] = history.shape;
  if (frames !== c + 1) throw new Error(`history has ${frames} frames, expected C + 1 = ${c + 1}`);
  if (particleTypes.length !== n) throw new Error(`${particleTypes.length} particle types for ${n} particles`);
  const r = config.radius;
  const [xMin, xMax, yMin, yMax] = config.bounds;
  const e = graph.senders.length;
  const nodeFeatures = tf.tidy(() => {
    const frame = tf.unstack(history) as Tensor2D[];
    const mean = tf.tensor1d(norm.velocityMean);
    const std = tf.tensor1d(norm.velocityStd);
    // newest velocity first: frame (C - k) minus frame (C - k - 1)
    const velocities = Array.from({ length: c }, (_, k) => tf.div(tf.sub(tf.sub(frame[c - k]!, frame[c - k - 1]!), mean), std));
    const current = frame[c]!;
    const x = tf.slice(current, [0, 0], [n, 1]);
    const y = tf.slice(current, [0, 1], [n, 1]);
    const walls = tf.concat([tf.sub(x, xMin), tf.sub(xMax, x), tf.sub(y, yMin), tf.sub(yMax, y)], 1);
    return tf.concat([...velocities, tf.clipByValue(tf.div(walls, r), -1, 1)], 1) as Tensor2D;
  });
  const edgeFeatures = tf.tidy(() => {
    if (e === 0) return tf.zeros([0, 3]) as Tensor2D;
    const current = tf.reshape(tf.slice(history, [c, 0, 0], [1, n, 2]), [n, 2]) as Tensor2D;
    const senderIndex = tf.tensor2d(graph.senders, [e, 1], 'int32');
    const receiverIndex = tf.tensor2d(graph.receivers, [e, 1], 'int32');
    const d = tf.div(tf.sub(gatherRows(tf, current, senderIndex, n), gatherRows(tf, current, receiverIndex, n)), r);
    // the floor keeps the norm's gradient finite (zero) for two particles on the same spot
    const length = tf.sqrt(tf.maximum(tf.sum(tf.square(d), 1, true), 1e-24));
    return tf.concat([d, length], 1) as Tensor2D;
  });
  return {
    nodeFeatures,
    particleTypes: tf.tensor1d(Int32Array.from(particleTypes), 'int32'),
    edgeFeatures,
    senders: tf.tensor1d(graph.senders, 'int32'),
    receivers: tf.tensor1d(graph.receivers, 'int32'),
  };
}

/** x [rows, F], index [K, 1] -> x[index] [K, F]; gradient by scatterND (wasm: no gather + segment sum). */
function gatherRows(tf: Tf, x: Tensor2D, index: Tensor2D, rows: number): Tensor2D {
  const gather = tf.customGrad(((xs: Tensor, save: TfModule.GradSaveFunc) => {
    save([index]);
    return {
      value: tf.gatherND(xs, index),
      gradFunc: (dy: Tensor, [idx]: Tensor[]) => [tf.scatterND(idx!, dy, [rows, dy.shape[1]!])],
    };
  }) as unknown as Parameters<Tf['customGrad']>[0]);
  return gather(x) as Tensor2D;
}

/**
 * Cost and dcost/dx of the learned rollout of a design from rest (LearnedRunner.rollout: the
 * history is C + 1 copies of the initial state, the tool stays put), with the network's graph
 * held fixed per frame. design [K], task [2]; frames as the environment's (the rollout has
 * frames + C frames, the C history copies dropped from `rollout`). Tensor memory does not grow
 * with frames: every tensor is released, one frame's step lives at a time.
 */
export async function designGradient(
  tf: Tf,
  network: GnsNetwork,
  config: GnsConfig,
  norm: GnsNormalization,
  settings: DesignGradientSettings,
  design: Float32Array,
  task: Float32Array,
  frames: number,
  /**
   * the environment's hard constraints on each learned state (walls, tool): applied in the
   * forward pass like the learned simulator does; the backward pass treats them as the identity
   * (a straight-through gradient), exact wherever no particle was corrected
   */
  constrain?: (next: Float32Array, current: Float32Array) => void,
): Promise<DesignGradient> {
  const c = config.historyLength;
  const nw = settings.particles;
  const tool = toolParticles(toolPolyline(design, settings.thetaMax), settings.grid);
  const n = nw + tool.length / 2;
  const frame = n * 2;
  const initial = new Float32Array(frame);
  initial.set(initialWaterPositions(nw, settings.grid));
  initial.set(tool, nw * 2);
  const particleTypes = new Uint8Array(n).fill(PARTICLE_TYPE.water, 0, nw).fill(PARTICLE_TYPE.tool, nw);
  const total = frames + c;

  // forward: positions [total * N * 2] and the graph each step was built on (index: frame it predicts)
  const graphs: FixedGraph[] = [];
  const history = new Float32Array((c + 1) * frame);
  for (let k = 0; k <= c; k++) history.set(initial, k * frame);
  const positions = await learnedRollout(
    (inputs) => {
      graphs.push({ senders: inputs.senders, receivers: inputs.receivers });
      return network.predict(inputs);
    },
    config,
    norm,
    history,
    particleTypes,
    initial,
    total,
    constrain,
  );
  const last = positions.subarray((total - 1) * frame, (total - 1) * frame + nw * 2);
  const { cost } = costAndCapture(last, task, 0);

  // backward: adjoint[t] = dcost/d(water positions at frame t) [Nw * 2], all later frames' paths summed
  const adjoint = Array.from({ length: total }, (_, t) => (t > c ? new Float64Array(nw * 2) : null));
  const final = adjoint[total - 1];
  if (final) for (let k = 0; k < nw * 2; k++) final[k] = (2 * (last[k]! - task[k % 2]!)) / nw;
  const toolAdjoint = new Float64Array(tool.length);
  const upstream = new Float32Array(frame);
  for (let t = total - 1; t > c; t--) {
    const g = adjoint[t]!;
    // x_t = 2 x_{t-1} - x_{t-2} + out * accStd + accMean (water rows; the tool rows are not predicted)
    for (let k = 0; k < nw * 2; k++) upstream[k] = g[k]! * norm.accelerationStd[k % 2]!;
    const dHistory = await stepVjp(tf, network, config, norm, positions.subarray((t - c - 1) * frame, t * frame), particleTypes, graphs[t - c - 1]!, upstream);
    for (let j = 0; j <= c; j++) {
      const into = adjoint[t - c - 1 + j];
      const at = j * frame;
      if (into) for (let k = 0; k < nw * 2; k++) into[k] = into[k]! + dHistory[at + k]!;
      for (let k = 0; k < tool.length; k++) toolAdjoint[k] = toolAdjoint[k]! + dHistory[at + nw * 2 + k]!;
    }
    const previous = adjoint[t - 1];
    const beforePrevious = adjoint[t - 2];
    for (let k = 0; k < nw * 2; k++) {
      if (previous) previous[k] = previous[k]! + 2 * g[k]!;
      if (beforePrevious) beforePrevious[k] = beforePrevious[k]! - g[k]!;
    }
  }

  // the tool particles' adjoint through toolParticlesTf to the design
  const dDesign = tf.tidy(() => {
    const upstreamTool = tf.tensor2d(Float32Array.from(toolAdjoint), [tool.length / 2, 2]);
    const f = (x: Tensor): Tensor => tf.sum(tf.mul(toolParticlesTf(tf, x as Tensor1D, settings.thetaMax, settings.grid), upstreamTool));
    return tf.grad(f)(tf.tensor1d(design));
  });
  const gradient = Float32Array.from((await dDesign.data()) as Float32Array);
  dDesign.dispose();
  return { cost, gradient, rollout: positions.slice(c * frame) };
}

/**
 * Vector-Jacobian product of one network step: upstream [N * 2] (dcost/d normalized
 * acceleration; zero on kinematic rows) -> dcost/d history [(C+1) * N * 2], the step recomputed
 * on the stored graph.
 */
async function stepVjp(
  tf: Tf,
  network: GnsNetwork,
  config: GnsConfig,
  norm: GnsNormalization,
  history: Float32Array,
  particleTypes: Uint8Array,
  graph: FixedGraph,
  upstream: Float32Array,
): Promise<Float32Array> {
  const n = particleTypes.length;
  const grad = tf.tidy(() => {
    const dy = tf.tensor2d(upstream, [n, 2]);
    const f = (h: Tensor): Tensor => tf.sum(tf.mul(network.forward(featuresTf(tf, config, norm, h as Tensor3D, particleTypes, graph)), dy));
    return tf.grad(f)(tf.tensor3d(history, [config.historyLength + 1, n, 2]));
  });
  const values = (await grad.data()) as Float32Array;
  grad.dispose();
  return values;
}
