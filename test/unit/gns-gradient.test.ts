import { beforeAll, describe, expect, it } from 'vitest';
import type * as TfModule from '@tensorflow/tfjs';
import { loadTf } from '../../src-main/engine/tf';
import { seededRandom } from '../../src-main/engine/random';
import { FluidTool2D } from '../../src-main/engine/environments/fluidtool2d';
import { buildStepInputs } from '../../src-main/engine/gns/features';
import { designGradient, featuresTf, toolParticlesTf } from '../../src-main/engine/gns/gradient';
import { radiusGraph } from '../../src-main/engine/gns/graph';
import { GnsNetwork } from '../../src-main/engine/gns/network';
import { mlp } from '../../src-main/engine/gns/reference';
import { learnedRollout } from '../../src-main/engine/gns/rollout';
import { GNS_DEFAULTS, type GnsConfig, type GnsNormalization, type GnsWeights } from '../../src-main/engine/gns/spec';
import { FLUIDTOOL2D_DEFAULTS, type FluidTool2DSettings } from '../../src-shared/environments';
import { particleSpacing, toolParticles, toolPolyline } from '../../src-shared/fluidtool2d';

const CONFIG: GnsConfig = { ...GNS_DEFAULTS, latent: 12, mlpLayers: 1, messagePassingSteps: 2, historyLength: 3, typeEmbedding: 4, radius: 0.03 };
// gravity strong enough for the water to reach the tool within 14 frames, and a sideways pull so
// it lands on the first three segments; accelerationStd makes the network's output matter
const NORM: GnsNormalization = { velocityMean: [0, -0.01], velocityStd: [0.01, 0.02], accelerationMean: [0.005, -0.006], accelerationStd: [0.001, 0.001] };
const SETTINGS: FluidTool2DSettings = { ...FLUIDTOOL2D_DEFAULTS, particles: 36, joints: 4, frames: 14 };
const DESIGN = Float32Array.of(0.5, 0.2, -0.3, 0.1);
const TASK = Float32Array.of(0.3, 0.2);

let tf: typeof TfModule;
let network: GnsNetwork;
beforeAll(async () => {
  tf = (await loadTf()).tf;
  network = GnsNetwork.create(tf, CONFIG, 3);
});

/** The path LearnedRunner takes: learnedRollout with network.predict from rest, then the environment's cost. */
async function learnedCost(design: Float32Array, frames: number): Promise<{ cost: number; positions: Float32Array }> {
  const env = new FluidTool2D({ ...SETTINGS, frames });
  const { positions, particleTypes } = env.initialState(design);
  const c = CONFIG.historyLength;
  const history = new Float32Array((c + 1) * positions.length);
  for (let k = 0; k <= c; k++) history.set(positions, k * positions.length);
  const out = await learnedRollout((inputs) => network.predict(inputs), CONFIG, NORM, history, particleTypes, positions, frames + c);
  const rollout = { frames, particles: particleTypes.length, positions: out.slice(c * positions.length), particleTypes, frameDt: env.frameDt };
  return { cost: env.evaluate(rollout, TASK).cost, positions: rollout.positions };
}

/**
 * The same rollout and cost in float64 throughout (tool geometry, positions, features, network),
 * for finite differences: in float32 the rounding of positions alone puts ~1e-8 of noise on the
 * cost, as large as the change a design step small enough to keep the graph fixed makes.
 * Returns the cost and each step's graph.
 */
function cost64(weights: GnsWeights, design: Float32Array): { cost: number; graphs: string[] } {
  const c = CONFIG.historyLength;
  const r = CONFIG.radius;
  const [xMin, xMax, yMin, yMax] = CONFIG.bounds;
  const { positions: initial32, particleTypes } = new FluidTool2D(SETTINGS).initialState(design);
  const n = particleTypes.length;
  const initial = Float64Array.from(initial32);
  // toolParticles(toolPolyline(design)) without its float32 rounding
  const poly = toolPolyline(design, SETTINGS.thetaMax);
  let at = SETTINGS.particles * 2;
  for (let i = 0; i < design.length; i++) {
    const [ax, ay, bx, by] = [poly[2 * i]!, poly[2 * i + 1]!, poly[2 * i + 2]!, poly[2 * i + 3]!];
    const m = Math.max(1, Math.round(Math.hypot(bx - ax, by - ay) / particleSpacing(SETTINGS.grid)));
    for (let j = 0; j < m; j++) {
      initial[at++] = ax + ((bx - ax) * j) / m;
      initial[at++] = ay + ((by - ay) * j) / m;
    }
  }
  initial.set(poly.subarray(2 * design.length), at);
  const frames: Float64Array[] = Array.from({ length: c + 1 }, () => initial);
  const graphs: string[] = [];
  const clip = (v: number): number => Math.max(-1, Math.min(1, v));
  const width = 2 * c + 4;
  const te = CONFIG.typeEmbedding;
  for (let t = c + 1; t < SETTINGS.frames + c; t++) {
    const current = frames[t - 1]!;
    const nodeIn = new Float64Array(n * (width + te));
    for (let i = 0; i < n; i++) {
      const row = i * (width + te);
      for (let k = 0; k < c; k++) {
        for (let d = 0; d < 2; d++) {
          nodeIn[row + 2 * k + d] = (frames[t - 1 - k]![2 * i + d]! - frames[t - 2 - k]![2 * i + d]! - NORM.velocityMean[d]!) / NORM.velocityStd[d]!;
        }
      }
      const [x, y] = [current[2 * i]!, current[2 * i + 1]!];
      nodeIn.set([clip((x - xMin) / r), clip((xMax - x) / r), clip((y - yMin) / r), clip((yMax - y) / r)], row + 2 * c);
      nodeIn.set(weights.typeEmbedding.subarray(particleTypes[i]! * te, (particleTypes[i]! + 1) * te), row + width);
    }
    const { senders, receivers } = radiusGraph(current, n, r);
    graphs.push(`${senders.join()}|${receivers.join()}`);
    const e = senders.length;
    const edgeIn = new Float64Array(e * 3);
    for (let k = 0; k < e; k++) {
      const dx = (current[2 * senders[k]!]! - current[2 * receivers[k]!]!) / r;
      const dy = (current[2 * senders[k]! + 1]! - current[2 * receivers[k]! + 1]!) / r;
      edgeIn.set([dx, dy, Math.hypot(dx, dy)], 3 * k);
    }
    const acc = forward64(weights, nodeIn, n, edgeIn, senders, receivers);
    const next = Float64Array.from(current);
    for (let i = 0; i < SETTINGS.particles; i++) {
      for (let d = 0; d < 2; d++) {
        const k = 2 * i + d;
        next[k] = 2 * current[k]! - frames[t - 2]![k]! + acc[k]! * NORM.accelerationStd[d]! + NORM.accelerationMean[d]!;
      }
    }
    frames.push(next);
  }
  const last = frames[frames.length - 1]!;
  let sum = 0;
  for (let i = 0; i < SETTINGS.particles; i++) sum += (last[2 * i]! - TASK[0]!) ** 2 + (last[2 * i + 1]! - TASK[1]!) ** 2;
  return { cost: sum / SETTINGS.particles, graphs };
}

/** reference.ts's forward pass with float64 in and out (referenceForward rounds its output to float32). */
function forward64(w: GnsWeights, nodeIn: Float64Array, n: number, edgeIn: Float64Array, senders: Int32Array, receivers: Int32Array): Float64Array {
  const l = CONFIG.latent;
  const e = senders.length;
  const v = mlp(w.nodeEncoder, nodeIn, n);
  const edges = mlp(w.edgeEncoder, edgeIn, e);
  for (const step of w.processor) {
    const stepIn = new Float64Array(e * 3 * l);
    for (let k = 0; k < e; k++) {
      stepIn.set(edges.subarray(k * l, (k + 1) * l), 3 * k * l);
      stepIn.set(v.subarray(senders[k]! * l, (senders[k]! + 1) * l), (3 * k + 1) * l);
      stepIn.set(v.subarray(receivers[k]! * l, (receivers[k]! + 1) * l), (3 * k + 2) * l);
    }
    const edgesNew = mlp(step.edge, stepIn, e);
    const nodeStepIn = new Float64Array(n * 2 * l);
    for (let i = 0; i < n; i++) nodeStepIn.set(v.subarray(i * l, (i + 1) * l), 2 * i * l);
    for (let k = 0; k < e; k++) for (let j = 0; j < l; j++) nodeStepIn[(2 * receivers[k]! + 1) * l + j]! += edgesNew[k * l + j]!;
    const vNew = mlp(step.node, nodeStepIn, n);
    for (let k = 0; k < edges.length; k++) edges[k]! += edgesNew[k]!;
    for (let k = 0; k < v.length; k++) v[k]! += vNew[k]!;
  }
  return mlp(w.decoder, v, n);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

describe('differentiable tool geometry and step features', () => {
  it('toolParticlesTf places the same particles as toolParticles(toolPolyline(x))', () => {
    const rand = seededRandom(5);
    for (const [joints, grid] of [[4, 64], [8, 64], [8, 32], [3, 48]] as const) {
      const design = Float32Array.from({ length: joints }, () => 2 * rand() - 1);
      const expected = toolParticles(toolPolyline(design, Math.PI / 8), grid);
      const tensor = tf.tidy(() => toolParticlesTf(tf, tf.tensor1d(design), Math.PI / 8, grid));
      expect(tensor.shape).toEqual([expected.length / 2, 2]);
      expect(maxAbsDiff(tensor.dataSync(), expected)).toBeLessThan(1e-6);
      tensor.dispose();
    }
  });

  it('featuresTf gives buildStepInputs features on the graph buildStepInputs built', () => {
    const { positions, particleTypes } = new FluidTool2D(SETTINGS).initialState(DESIGN);
    const n = particleTypes.length;
    const c = CONFIG.historyLength;
    const rand = seededRandom(8);
    // water moving a few lattice spacings per frame, the tool still
    const history = new Float32Array((c + 1) * n * 2);
    for (let f = 0; f <= c; f++) {
      for (let k = 0; k < n * 2; k++) history[f * n * 2 + k] = positions[k]! + (k < SETTINGS.particles * 2 ? (0.01 * rand() - 0.005) * f : 0);
    }
    const expected = buildStepInputs(CONFIG, NORM, history, particleTypes, n);
    expect(expected.edgeFeatures.length).toBeGreaterThan(0);
    const before = tf.memory().numTensors;
    const historyTensor = tf.tensor3d(history, [c + 1, n, 2]);
    const tensors = featuresTf(tf, CONFIG, NORM, historyTensor, particleTypes, expected);
    expect(maxAbsDiff(tensors.nodeFeatures.dataSync(), expected.nodeFeatures)).toBeLessThan(1e-5);
    expect(maxAbsDiff(tensors.edgeFeatures.dataSync(), expected.edgeFeatures)).toBeLessThan(1e-6);
    expect(Array.from(tensors.senders.dataSync())).toEqual(Array.from(expected.senders));
    expect(Array.from(tensors.receivers.dataSync())).toEqual(Array.from(expected.receivers));
    expect(Array.from(tensors.particleTypes.dataSync())).toEqual(Array.from(particleTypes));
    tf.dispose([historyTensor, ...Object.values(tensors)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('design gradient through the learned rollout', () => {
  it('returns the cost and rollout of learnedRollout + network.predict + the environment cost', async () => {
    const expected = await learnedCost(DESIGN, SETTINGS.frames);
    const result = await designGradient(tf, network, CONFIG, NORM, SETTINGS, DESIGN, TASK, SETTINGS.frames);
    expect(Math.abs(result.cost - expected.cost)).toBeLessThan(1e-5 * expected.cost);
    expect(maxAbsDiff(result.rollout, expected.positions)).toBe(0);
    // the float64 reference used for the finite differences is the same function
    expect(Math.abs(cost64(network.weights(), DESIGN).cost - expected.cost)).toBeLessThan(1e-5 * expected.cost);
  });

  it('matches central finite differences of the cost in every design entry', async () => {
    const weights = network.weights();
    const base = cost64(weights, DESIGN);
    const { gradient } = await designGradient(tf, network, CONFIG, NORM, SETTINGS, DESIGN, TASK, SETTINGS.frames);
    // A step of 1e-3 in x_0 turns the whole tool and moves its far end by ~2e-4, enough for
    // some of the ~250 tool-water pairs to cross the radius; 1e-4 keeps every frame's graph as
    // at x (asserted below), and float64 keeps the difference well above rounding.
    const h = 1e-4;
    const fd = Array.from(DESIGN, (_, i) => {
      const plus = Float32Array.from(DESIGN);
      const minus = Float32Array.from(DESIGN);
      plus[i]! += h;
      minus[i]! -= h;
      const a = cost64(weights, plus);
      const b = cost64(weights, minus);
      expect(a.graphs).toEqual(base.graphs);
      expect(b.graphs).toEqual(base.graphs);
      return (a.cost - b.cost) / (plus[i]! - minus[i]!);
    });
    // the water lands on the first three segments only: three entries matter, the last is 0
    expect(fd.filter((g) => Math.abs(g) > 1e-5)).toHaveLength(3);
    expect(fd[3]).toBe(0);
    // they agree to ~1e-4 here; dropping the paths through the older history frames is off by ~1%
    fd.forEach((g, i) => expect(Math.abs(gradient[i]! - g)).toBeLessThanOrEqual(Math.max(0.005 * Math.abs(g), 1e-8)));
  });

  it('releases every tensor, and its tensor memory does not grow with the number of frames', async () => {
    // water nearly still, so that every frame has the same graph and the same step size
    const still: GnsNormalization = { ...NORM, accelerationMean: [0, 0], accelerationStd: [1e-6, 1e-6] };
    const peak = async (frames: number): Promise<{ peakBytes: number; tensorsAfter: number }> => {
      const before = tf.memory().numTensors;
      const profile = await tf.profile(async () => {
        await designGradient(tf, network, CONFIG, still, SETTINGS, DESIGN, TASK, frames);
        return [];
      });
      return { peakBytes: profile.peakBytes, tensorsAfter: tf.memory().numTensors - before };
    };
    const short = await peak(6);
    const long = await peak(12);
    expect(short.tensorsAfter).toBe(0);
    expect(long.tensorsAfter).toBe(0);
    // keeping the activations of every step (5 of them vs 11) would more than double it
    expect(long.peakBytes).toBeLessThan(1.05 * short.peakBytes);
  });
});
