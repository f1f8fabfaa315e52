// Graph inputs of one step and the integrator (learning_to_simulate's learned_simulator.py):
// positions in, normalized node/edge features out; normalized acceleration in, positions out.
import { radiusGraph } from './graph';
import type { GnsConfig, GnsNormalization } from './spec';
import { EDGE_INPUT_SIZE } from './spec';

/** Particle type whose positions are given, never predicted (FluidTool-2D's tool). */
export const KINEMATIC_TYPE = 3;

/** One step's graph, framework-free; the network appends the type embedding itself. */
export interface StepInputs {
  n: number;
  e: number;
  /** [N * (2C + 4)]: C normalized velocities (newest first), 4 wall distances / R clipped to [-1, 1] */
  nodeFeatures: Float32Array;
  /** [N] */
  particleTypes: Int32Array;
  /** [E * 3]: (x_sender - x_receiver) / R and its norm */
  edgeFeatures: Float32Array;
  /** [E] */
  senders: Int32Array;
  /** [E] */
  receivers: Int32Array;
}

/** Node features per particle before the type embedding: 2C velocities + 4 walls. */
export function nodeFeatureSize(config: GnsConfig): number {
  return 2 * config.historyLength + 4;
}

export function isKinematic(type: number): boolean {
  return type === KINEMATIC_TYPE;
}

/** history: [(C+1) * N * 2], oldest frame first; particleTypes: [N]. */
export function buildStepInputs(
  config: GnsConfig,
  norm: GnsNormalization,
  history: Float32Array,
  particleTypes: ArrayLike<number>,
  n: number,
): StepInputs {
  const c = config.historyLength;
  if (history.length !== (c + 1) * n * 2) {
    throw new Error(`history has ${history.length} values, expected (C+1)*N*2 = ${(c + 1) * n * 2}`);
  }
  const r = config.radius;
  const [xMin, xMax, yMin, yMax] = config.bounds;
  const width = nodeFeatureSize(config);
  const current = history.subarray(c * n * 2, (c + 1) * n * 2);
  const nodeFeatures = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    const row = i * width;
    for (let k = 0; k < c; k++) {
      // velocity k steps back: frame (c - k) minus frame (c - k - 1)
      const a = ((c - k) * n + i) * 2;
      const b = ((c - k - 1) * n + i) * 2;
      nodeFeatures[row + 2 * k] = (history[a]! - history[b]! - norm.velocityMean[0]) / norm.velocityStd[0];
      nodeFeatures[row + 2 * k + 1] = (history[a + 1]! - history[b + 1]! - norm.velocityMean[1]) / norm.velocityStd[1];
    }
    const x = current[2 * i]!;
    const y = current[2 * i + 1]!;
    nodeFeatures[row + 2 * c] = clip1((x - xMin) / r);
    nodeFeatures[row + 2 * c + 1] = clip1((xMax - x) / r);
    nodeFeatures[row + 2 * c + 2] = clip1((y - yMin) / r);
    nodeFeatures[row + 2 * c + 3] = clip1((yMax - y) / r);
  }
  const { senders, receivers } = radiusGraph(current, n, r);
  const e = senders.length;
  const edgeFeatures = new Float32Array(e * EDGE_INPUT_SIZE);
  for (let k = 0; k < e; k++) {
    const s = senders[k]!;
    const q = receivers[k]!;
    const dx = (current[2 * s]! - current[2 * q]!) / r;
    const dy = (current[2 * s + 1]! - current[2 * q + 1]!) / r;
    edgeFeatures[3 * k] = dx;
    edgeFeatures[3 * k + 1] = dy;
    edgeFeatures[3 * k + 2] = Math.hypot(dx, dy);
  }
  return { n, e, nodeFeatures, particleTypes: Int32Array.from(particleTypes), edgeFeatures, senders, receivers };
}

/**
 * Semi-implicit Euler over one frame: a = accNormalized * std + mean, v' = (x_t - x_{t-1}) + a,
 * x' = x_t + v'. Kinematic particles take kinematicNext ([N * 2]) or, when it is null, stay.
 * current, previous, accNormalized: [N * 2]; particleTypes: [N]. Returns [N * 2].
 */
export function integrate(
  current: Float32Array,
  previous: Float32Array,
  accNormalized: Float32Array,
  norm: GnsNormalization,
  particleTypes: ArrayLike<number>,
  kinematicNext: Float32Array | null,
): Float32Array {
  const n = particleTypes.length;
  const next = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < 2; d++) {
      const k = 2 * i + d;
      if (isKinematic(particleTypes[i]!)) {
        next[k] = kinematicNext ? kinematicNext[k]! : current[k]!;
      } else {
        const a = accNormalized[k]! * norm.accelerationStd[d]! + norm.accelerationMean[d]!;
        next[k] = current[k]! + (current[k]! - previous[k]! + a);
      }
    }
  }
  return next;
}

function clip1(v: number): number {
  return v < -1 ? -1 : v > 1 ? 1 : v;
}
