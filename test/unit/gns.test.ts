import { beforeAll, describe, expect, it } from 'vitest';
import type * as TfModule from '@tensorflow/tfjs';
import { explainTfError, loadTf } from '../../src-main/engine/tf';
import { seededRandom } from '../../src-main/engine/random';
import { radiusGraph } from '../../src-main/engine/gns/graph';
import { buildStepInputs, integrate, type StepInputs } from '../../src-main/engine/gns/features';
import { computeNormalization, MIN_STD, type TrajectoryPositions } from '../../src-main/engine/gns/normalization';
import { randomWalkNoise } from '../../src-main/engine/gns/noise';
import { gaussian as normalSampler } from '../../src-main/engine/random';
import { referenceForward } from '../../src-main/engine/gns/reference';
import { GnsNetwork, initialWeights } from '../../src-main/engine/gns/network';
import { GnsTrainer, partGradient, sampleWindows } from '../../src-main/engine/gns/train';
import { serializeWeights } from '../../src-main/engine/gns/serialize';
import { learnedRollout } from '../../src-main/engine/gns/rollout';
import { GNS_DEFAULTS, type GnsConfig, type GnsNormalization, type GnsWeights } from '../../src-main/engine/gns/spec';

const WATER = 5;
const TOOL = 3;
const UNIT_NORM: GnsNormalization = { velocityMean: [0, 0], velocityStd: [1, 1], accelerationMean: [0, 0], accelerationStd: [1, 1] };
const SMALL: GnsConfig = { ...GNS_DEFAULTS, latent: 16, mlpLayers: 2, messagePassingSteps: 2, historyLength: 3, typeEmbedding: 4, radius: 0.3, bounds: [0.1, 0.9, 0.1, 0.9] };

let tf: typeof TfModule;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

function bruteForce(pos: Float32Array, n: number, r: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const ex = pos[2 * j]! - pos[2 * i]!;
      const ey = pos[2 * j + 1]! - pos[2 * i + 1]!;
      if (ex * ex + ey * ey < r * r) pairs.push([i, j]); // [receiver, sender]
    }
  }
  return pairs;
}

describe('radius graph', () => {
  const asPairs = (g: { senders: Int32Array; receivers: Int32Array }): [number, number][] =>
    Array.from(g.receivers, (r, k) => [r, g.senders[k]!] as [number, number]);

  it('finds exactly the pairs closer than the radius, sorted by receiver then sender', () => {
    const rand = seededRandom(11);
    const n = 300;
    const pos = Float32Array.from({ length: n * 2 }, () => rand() * 1.2 - 0.1);
    const g = radiusGraph(pos, n, 0.07);
    expect(g.senders.length).toBeGreaterThan(300);
    expect(asPairs(g)).toEqual(bruteForce(pos, n, 0.07));
  });

  it('handles points exactly on cell borders and at exactly the radius', () => {
    const r = 0.125; // a power of two: lattice distances are exact
    const pos: number[] = [];
    for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) pos.push(a * r, b * r);
    pos.push(0.5 * r, 0.5 * r, r - 1e-7, 0, -r, -r);
    const p = Float32Array.from(pos);
    const n = p.length / 2;
    const g = radiusGraph(p, n, r);
    expect(asPairs(g)).toEqual(bruteForce(p, n, r));
    // lattice neighbours at exactly r are not connected (strict <)
    expect(asPairs(g).some(([i, j]) => i === 0 && j === 1)).toBe(false);
  });

  it('has no edges for one particle and none for non-finite positions', () => {
    expect(radiusGraph(Float32Array.of(0.5, 0.5), 1, 0.1).senders.length).toBe(0);
    const g = radiusGraph(Float32Array.of(0.5, 0.5, 0.51, 0.5, NaN, 0.5), 3, 0.1);
    expect(asPairs(g)).toEqual([[0, 1], [1, 0]]);
  });
});

describe('step features and integration', () => {
  // C = 2; p2 is a tool particle near the lower-right corner
  const config: GnsConfig = { ...GNS_DEFAULTS, historyLength: 2, radius: 0.1, bounds: [0, 1, 0, 1] };
  const norm: GnsNormalization = { velocityMean: [0.01, 0], velocityStd: [0.01, 0.02], accelerationMean: [0, -0.001], accelerationStd: [0.002, 0.004] };
  const history = Float32Array.of(
    0.5, 0.5, 0.56, 0.5, 0.95, 0.02, // frame t-2
    0.51, 0.49, 0.57, 0.5, 0.95, 0.02, // frame t-1
    0.53, 0.47, 0.58, 0.52, 0.95, 0.02, // frame t
  );
  const types = [WATER, WATER, TOOL];

  it('lays out velocities (newest first), wall distances and edges as spec.ts says', () => {
    const s = buildStepInputs(config, norm, history, types, 3);
    expect(s.n).toBe(3);
    const expected = [
      [1, -1, 0, -0.5, 1, 1, 1, 1],
      [0, 1, 0, 0, 1, 1, 1, 1],
      [-1, 0, -1, 0, 1, 0.5, 0.2, 1],
    ].flat();
    expect(s.nodeFeatures.length).toBe(3 * 8);
    s.nodeFeatures.forEach((v, k) => expect(v).toBeCloseTo(expected[k]!, 4));
    expect(Array.from(s.particleTypes)).toEqual(types);
    expect(s.e).toBe(2);
    expect(Array.from(s.senders)).toEqual([1, 0]);
    expect(Array.from(s.receivers)).toEqual([0, 1]);
    const edges = [0.5, 0.5, Math.SQRT1_2, -0.5, -0.5, Math.SQRT1_2];
    s.edgeFeatures.forEach((v, k) => expect(v).toBeCloseTo(edges[k]!, 5));
  });

  it('integrates semi-implicit Euler and moves kinematic particles to their given positions', () => {
    const previous = history.subarray(6, 12);
    const current = history.subarray(12, 18);
    const acc = Float32Array.of(1, -0.5, 0, 0, 7, 7);
    const next = integrate(current, previous, acc, norm, types, Float32Array.of(0, 0, 0, 0, 0.9, 0.1));
    // p0: a = (0.002, -0.003), v = (0.02, -0.02) + a, x = current + v
    expect(next[0]).toBeCloseTo(0.552, 6);
    expect(next[1]).toBeCloseTo(0.447, 6);
    // p1: a = (0, -0.001), v = (0.01, 0.019)
    expect(next[2]).toBeCloseTo(0.59, 6);
    expect(next[3]).toBeCloseTo(0.539, 6);
    expect(Array.from(next.subarray(4))).toEqual([Math.fround(0.9), Math.fround(0.1)]);
    const stay = integrate(current, previous, acc, norm, types, null);
    expect(Array.from(stay.subarray(4))).toEqual([Math.fround(0.95), Math.fround(0.02)]);
  });
});

describe('normalization', () => {
  // water: x = 0.5 + 0.01 t, y = 0.5 - 0.001 t^2; the tool's wild motion must be ignored
  const frames = 4;
  const positions = new Float32Array(frames * 2 * 2);
  for (let t = 0; t < frames; t++) positions.set([0.5 + 0.01 * t, 0.5 - 0.001 * t * t, t % 2 ? 0.9 : 0.1, t * 0.2], t * 4);
  const trajectory: TrajectoryPositions = { positions, frames, particles: 2, particleTypes: Uint8Array.of(WATER, TOOL) };

  it('gives per-dimension velocity and acceleration statistics of the predicted particles', () => {
    const stats = computeNormalization([trajectory], { ...GNS_DEFAULTS, historyLength: 1, noiseStd: 0 });
    expect(stats.velocityMean[0]).toBeCloseTo(0.01, 6);
    expect(stats.velocityMean[1]).toBeCloseTo(-0.003, 6);
    expect(stats.velocityStd[0]).toBe(MIN_STD); // constant: floored, not zero
    expect(stats.velocityStd[1]).toBeCloseTo(Math.sqrt(8 / 3) * 1e-3, 6);
    expect(stats.accelerationMean[0]).toBeCloseTo(0, 6);
    expect(stats.accelerationMean[1]).toBeCloseTo(-0.002, 6);
    expect(stats.accelerationStd[1]).toBeLessThan(1e-5);
  });

  it('combines the stds with the training noise as learning_to_simulate does', () => {
    const stats = computeNormalization([trajectory], { ...GNS_DEFAULTS, historyLength: 1, noiseStd: 1e-3 });
    expect(stats.velocityStd[0]).toBeCloseTo(1e-3, 5);
    expect(stats.velocityStd[1]).toBeCloseTo(Math.sqrt(8 / 3 + 1) * 1e-3, 6);
  });

  it('rejects empty, too-short and non-finite data with a message naming the problem', () => {
    const c = { ...GNS_DEFAULTS, historyLength: 3 };
    expect(() => computeNormalization([], c)).toThrow(/no trajectories/);
    expect(() => computeNormalization([trajectory], c)).toThrow(/4 frames.*at least C \+ 2 = 5/);
    const bad = Float32Array.from(positions);
    bad[5] = NaN;
    expect(() => computeNormalization([{ ...trajectory, positions: bad }], { ...c, historyLength: 1 })).toThrow(/non-finite position \(frame 1, particle 0\)/);
  });
});

describe('training noise', () => {
  it('is a random walk whose newest position has std noiseStd, none on kinematic particles', () => {
    const c = 5;
    const n = 400;
    const noiseStd = 3e-4;
    const types = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? TOOL : WATER));
    const history = Float32Array.from({ length: (c + 1) * n * 2 }, (_, k) => 0.3 + (k % 97) * 0.004);
    const next = Float32Array.from(history.subarray(c * n * 2), (x) => x + 0.001);
    const rand = seededRandom(5);
    let sum2 = 0;
    let count = 0;
    for (let rep = 0; rep < 10; rep++) {
      const noisy = randomWalkNoise(history, next, types, n, c, noiseStd, rand);
      for (let i = 0; i < n; i++) {
        for (let d = 0; d < 2; d++) {
          const first = 2 * i + d;
          const last = (c * n + i) * 2 + d;
          expect(noisy.history[first]).toBe(history[first]);
          if (types[i] === TOOL) {
            for (let f = 0; f <= c; f++) expect(noisy.history[(f * n + i) * 2 + d]).toBe(history[(f * n + i) * 2 + d]);
          } else {
            sum2 += (noisy.history[last]! - history[last]!) ** 2;
            count++;
          }
        }
      }
      // the target takes the noisy history to the true next position shifted by the newest noise
      const previous = noisy.history.subarray((c - 1) * n * 2, c * n * 2);
      const current = noisy.history.subarray(c * n * 2);
      const landed = integrate(current, previous, noisy.targetAcceleration, UNIT_NORM, types, null);
      for (let k = 0; k < 2 * n; k++) {
        const shift = types[k >> 1] === TOOL ? 0 : current[k]! - history[c * n * 2 + k]!;
        const expected = types[k >> 1] === TOOL ? current[k]! : next[k]! + shift;
        expect(landed[k]!).toBeCloseTo(expected, 6);
      }
    }
    const std = Math.sqrt(sum2 / count);
    expect(std).toBeGreaterThan(0.9 * noiseStd);
    expect(std).toBeLessThan(1.1 * noiseStd);
  });

  it('draws standard normals', () => {
    const g = normalSampler(seededRandom(9));
    const xs = Array.from({ length: 20000 }, g);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(variance).toBeGreaterThan(0.96);
    expect(variance).toBeLessThan(1.04);
  });
});

/** Weights with non-trivial biases and LayerNorm parameters, so that parity covers them. */
function randomWeights(config: GnsConfig, seed: number): GnsWeights {
  const w = initialWeights(config, seed);
  const rand = seededRandom(seed + 1);
  const r = (): number => rand() - 0.5;
  for (const m of [w.nodeEncoder, w.edgeEncoder, w.decoder, ...w.processor.flatMap((p) => [p.edge, p.node])]) {
    for (const d of m.layers) d.b = d.b.map(r);
    if (m.layerNorm) {
      m.layerNorm.gamma = m.layerNorm.gamma.map(() => 1 + r());
      m.layerNorm.beta = m.layerNorm.beta.map(r);
    }
  }
  return w;
}

function randomInputs(config: GnsConfig, n: number, seed: number): StepInputs {
  const rand = seededRandom(seed);
  const history = Float32Array.from({ length: (config.historyLength + 1) * n * 2 }, () => rand());
  const types = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? TOOL : WATER));
  const norm: GnsNormalization = { velocityMean: [0.01, -0.02], velocityStd: [0.3, 0.2], accelerationMean: [0, 0], accelerationStd: [1, 1] };
  return buildStepInputs(config, norm, history, types, n);
}

describe('GnsNetwork (TF.js) against the reference forward pass', () => {
  it('matches referenceForward within 1e-4 relative on a random graph and on one lone particle', () => {
    const weights = randomWeights(SMALL, 3);
    const net = GnsNetwork.fromWeights(tf, SMALL, weights);
    for (const inputs of [randomInputs(SMALL, 14, 21), randomInputs(SMALL, 1, 22)]) {
      const ref = referenceForward(SMALL, weights, inputs);
      const out = net.predict(inputs);
      const scale = Math.max(1, ...Array.from(ref, Math.abs));
      expect(out.length).toBe(inputs.n * 2);
      for (let k = 0; k < ref.length; k++) expect(Math.abs(out[k]! - ref[k]!)).toBeLessThan(1e-4 * scale);
    }
    expect(randomInputs(SMALL, 14, 21).e).toBeGreaterThan(20);
    net.dispose();
  });

  it('is differentiable w.r.t. the node and edge features (checked against reference finite differences)', () => {
    const weights = randomWeights(SMALL, 4);
    const net = GnsNetwork.fromWeights(tf, SMALL, weights);
    const inputs = randomInputs(SMALL, 10, 23);
    const t = net.toTensors(inputs);
    const [gNode, gEdge] = tf.grads((x: TfModule.Tensor, e: TfModule.Tensor) =>
      tf.sum(net.forward({ ...t, nodeFeatures: x as TfModule.Tensor2D, edgeFeatures: e as TfModule.Tensor2D })),
    )([t.nodeFeatures, t.edgeFeatures]);
    const total = (s: StepInputs): number => referenceForward(SMALL, weights, s).reduce((a, b) => a + b, 0);
    const h = 1e-3;
    const bumped = (key: 'nodeFeatures' | 'edgeFeatures', k: number, by: number): StepInputs => {
      const copy = Float32Array.from(inputs[key]);
      copy[k] = copy[k]! + by;
      return { ...inputs, [key]: copy };
    };
    for (const [key, grad, k] of [['nodeFeatures', gNode!, 3], ['nodeFeatures', gNode!, 12], ['edgeFeatures', gEdge!, 4]] as const) {
      const fd = (total(bumped(key, k, h)) - total(bumped(key, k, -h))) / (2 * h);
      expect(grad.dataSync()[k]!).toBeCloseTo(fd, 2);
    }
    tf.dispose([gNode!, gEdge!, ...Object.values(t)]);
    net.dispose();
  });

  it('has variable gradients that match reference finite differences (embedding, dense, LayerNorm)', () => {
    const weights = randomWeights(SMALL, 6);
    const net = GnsNetwork.fromWeights(tf, SMALL, weights);
    const inputs = randomInputs(SMALL, 9, 24);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(net.forward(inputs), tf.tensor2d([[1, -2]]))) as TfModule.Scalar, net.variables);
    // the arrays of `weights` in GnsNetwork.variables order (also the optimizer state layout)
    const mlps = [weights.nodeEncoder, weights.edgeEncoder, ...weights.processor.flatMap((p) => [p.edge, p.node]), weights.decoder];
    const arrays = [weights.typeEmbedding, ...mlps.flatMap((m) => [...m.layers.flatMap((d) => [d.w, d.b]), ...(m.layerNorm ? [m.layerNorm.gamma, m.layerNorm.beta] : [])])];
    expect(arrays.length).toBe(net.variables.length);
    const objective = (): number => {
      const out = referenceForward(SMALL, weights, inputs);
      let total = 0;
      for (let i = 0; i < inputs.n; i++) total += out[2 * i]! - 2 * out[2 * i + 1]!;
      return total;
    };
    const h = 1e-3;
    // (variable index, entry); 8 variables per MLP with LayerNorm: embedding row of type 5, node-encoder
    // weight, edge-encoder bias/gamma/beta, step 0 edge-MLP first weight (edge, sender and receiver
    // blocks), step 1 edge gamma and node beta, decoder weight
    const l = SMALL.latent;
    const picks: [number, number][] = [
      [0, 5 * SMALL.typeEmbedding + 1], [1, 7], [10, 3], [15, 2], [16, 5],
      [17, 3 * l + 2], [17, l * l + 5 * l + 1], [17, 2 * l * l + 7], [39, 4], [48, 2], [arrays.length - 2, 9],
    ];
    for (const [v, k] of picks) {
      const a = arrays[v]!;
      const keep = a[k]!;
      a[k] = keep + h;
      const up = objective();
      a[k] = keep - h;
      const down = objective();
      a[k] = keep;
      expect(arrays[v]!.length).toBe(net.variables[v]!.size);
      expect(grads[net.variables[v]!.name]!.dataSync()[k]!).toBeCloseTo((up - down) / (2 * h), 2);
    }
    tf.dispose([value, ...Object.values(grads)]);
    net.dispose();
  });

  it('creates Glorot/zero/LayerNorm-identity weights and copies them out unchanged', () => {
    const net = GnsNetwork.create(tf, SMALL, 1);
    const w = net.weights();
    expect(w).toEqual(initialWeights(SMALL, 1));
    const first = w.nodeEncoder.layers[0]!;
    const limit = Math.sqrt(6 / (first.inSize + first.outSize));
    expect(Math.max(...Array.from(first.w, Math.abs))).toBeLessThanOrEqual(limit);
    expect(Array.from(first.b).every((b) => b === 0)).toBe(true);
    expect(Array.from(w.processor[0]!.edge.layerNorm!.gamma).every((g) => g === 1)).toBe(true);
    expect(w.decoder.layerNorm).toBeNull();
    expect(net.variables.length).toBe(1 + (2 * 3 + 2) * (2 + 2 * SMALL.messagePassingSteps) + 2 * 3);
    net.dispose();
  });
});

/** Particles falling under per-trajectory constant gravity and wind, with a resting tool particle. */
function fallingDataset(frames: number): TrajectoryPositions[] {
  return [[0.0004, 0.0005], [-0.0003, 0.001], [0, 0.0015]].map(([wind, g], k) => {
    const n = 7;
    const positions = new Float32Array(frames * n * 2);
    for (let t = 0; t < frames; t++) {
      for (let i = 0; i < 6; i++) {
        const x0 = 0.3 + 0.03 * (i % 3) + 0.1 * k;
        const y0 = 0.8 - 0.03 * Math.floor(i / 3);
        positions.set([x0 + 0.5 * wind! * t * t, y0 - 0.5 * g! * t * t], (t * n + i) * 2);
      }
      positions.set([0.5, 0.2], (t * n + 6) * 2);
    }
    return { positions, frames, particles: n, particleTypes: Uint8Array.of(5, 5, 5, 5, 5, 5, TOOL) };
  });
}

describe('training', () => {
  const config: GnsConfig = { ...GNS_DEFAULTS, latent: 16, messagePassingSteps: 2, historyLength: 3, typeEmbedding: 4, radius: 0.05, noiseStd: 1e-5 };
  const data = fallingDataset(16);
  const norm = computeNormalization(data, config);

  it('samples windows of C + 2 consecutive frames', () => {
    const windows = sampleWindows(data, 20, seededRandom(1), config);
    expect(windows).toHaveLength(20);
    for (const w of windows) {
      expect(w.positions.length).toBe((config.historyLength + 2) * 7 * 2);
      expect(w.positions[12]).toBe(0.5); // the tool particle, frame 0
    }
    expect(() => sampleWindows(data.map((d) => ({ ...d, frames: 4, positions: d.positions.subarray(0, 56) })), 1, Math.random, config)).toThrow(/C \+ 2 = 5/);
  });

  it('reduces the loss clearly in 30 Adam steps', () => {
    const net = GnsNetwork.create(tf, config, 2);
    const trainer = new GnsTrainer(tf, net, norm, config, { learningRate: 3e-3, seed: 1 });
    const rand = seededRandom(2);
    const before = tf.memory().numTensors;
    const losses = Array.from({ length: 30 }, () => trainer.step(sampleWindows(data, 6, rand, config)));
    expect(tf.memory().numTensors).toBe(before);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(0.5 * mean(losses.slice(0, 5)));
    expect(trainer.stepsTaken).toBe(30);
    trainer.dispose();
    net.dispose();
  });

  it('splits a batch over two threads with the same losses and weights as one thread', async () => {
    const batches = Array.from({ length: 4 }, (_, k) => sampleWindows(data, 3, seededRandom(200 + k), config));
    const serialNet = GnsNetwork.create(tf, config, 4);
    const serial = new GnsTrainer(tf, serialNet, norm, config, { learningRate: 3e-3, seed: 9 });
    const parallelNet = GnsNetwork.create(tf, config, 4);
    let helperCalls = 0;
    const parallel = new GnsTrainer(tf, parallelNet, norm, config, {
      learningRate: 3e-3,
      seed: 9,
      // the compute worker's function, here in this thread: a real worker is the job test's
      helper: (args) => {
        helperCalls++;
        expect(args.batch.inputs.n).toBe(7); // the second of ceil(3 / 2) + 1 windows
        return partGradient(structuredClone(args));
      },
    });
    const before = tf.memory().numTensors;
    for (const b of batches) expect(await parallel.stepParallel(b)).toBeCloseTo(serial.step(b), 5);
    expect(helperCalls).toBe(4);
    const a = serializeWeights(serialNet.weights()).data;
    const b = serializeWeights(parallelNet.weights()).data;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-5);
    // the weights did move: the comparison can fail
    const startNet = GnsNetwork.create(tf, config, 4);
    const start = serializeWeights(startNet.weights()).data;
    startNet.dispose();
    expect(Math.max(...a.map((x, i) => Math.abs(x - start[i]!)))).toBeGreaterThan(1e-3);
    // a single window needs no helper
    await parallel.stepParallel(batches[0]!.slice(0, 1));
    expect(helperCalls).toBe(4);
    // the helper keeps one network between calls and nothing else
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(parallelNet.variables.length);
    for (const x of [serial, parallel]) x.dispose();
    for (const x of [serialNet, parallelNet]) x.dispose();
  });

  it('resumes from saved weights and optimizer state on the same loss curve', () => {
    const batches = Array.from({ length: 6 }, (_, k) => sampleWindows(data, 2, seededRandom(100 + k), config));
    const opts = { learningRate: 3e-3, seed: 7 };
    const run = (trainer: GnsTrainer, from: number): number[] => batches.slice(from).map((b) => trainer.step(b));
    // straight run for reference
    const straight = GnsNetwork.create(tf, config, 3);
    const ts = new GnsTrainer(tf, straight, norm, config, opts);
    const curve = run(ts, 0);
    // interrupted run: 3 steps, save, "kill", restore into fresh objects, 3 more steps
    const first = GnsNetwork.create(tf, config, 3);
    const tf1 = new GnsTrainer(tf, first, norm, config, opts);
    const head = batches.slice(0, 3).map((b) => tf1.step(b));
    const saved = { weights: first.weights(), state: tf1.optimizerState() };
    const resumed = GnsNetwork.fromWeights(tf, config, saved.weights);
    const tr = new GnsTrainer(tf, resumed, norm, config, opts);
    tr.restoreOptimizerState(saved.state);
    const tail = run(tr, 3);
    for (let k = 0; k < 6; k++) expect([...head, ...tail][k]).toBeCloseTo(curve[k]!, 5);
    // without the moments the curve differs: the test can fail
    const cold = GnsNetwork.fromWeights(tf, config, saved.weights);
    const tc = new GnsTrainer(tf, cold, norm, config, opts);
    tc.restoreOptimizerState({ ...saved.state, m: new Float32Array(saved.state.m.length), v: new Float32Array(saved.state.v.length) });
    const coldTail = run(tc, 3);
    expect(Math.abs(coldTail[2]! - curve[5]!)).toBeGreaterThan(1e-4);
    expect(tr.loss(batches[0]!)).toBeCloseTo(ts.loss(batches[0]!), 5);
    // the validation loss over windows a few at a time is the loss of them all as one batch
    const many = batches.flat();
    expect(ts.loss(many, 1)).toBeCloseTo(ts.loss(many, many.length), 5);
    expect(ts.loss(many, 3)).toBeCloseTo(ts.loss(many, many.length), 5);
    for (const x of [ts, tf1, tr, tc]) x.dispose();
    for (const x of [straight, first, resumed, cold]) x.dispose();
  });
});

describe('learned rollout', () => {
  it('reproduces a constant-acceleration trajectory when the step returns the true acceleration', async () => {
    const config: GnsConfig = { ...GNS_DEFAULTS, historyLength: 2, radius: 0.05 };
    const norm: GnsNormalization = { velocityMean: [0.001, -0.002], velocityStd: [0.01, 0.02], accelerationMean: [0, -0.0005], accelerationStd: [0.001, 0.002] };
    const types = [WATER, WATER, TOOL];
    const n = 3;
    const frames = 12;
    const exact = (t: number): number[] => [0.2 + 0.004 * t + 0.0001 * t * t, 0.8 - 0.0004 * t * t, 0.25 - 0.003 * t, 0.7 + 0.001 * t - 0.0002 * t * t, 0.5, 0.5];
    const history = Float32Array.from([0, 1, 2].flatMap(exact));
    // the step reads the acceleration off its own inputs: v_t - v_{t-1}, de- and re-normalized
    const step = (s: StepInputs): Float32Array => {
      const width = 2 * config.historyLength + 4;
      return Float32Array.from({ length: s.n * 2 }, (_, k) => {
        const [i, d] = [k >> 1, k & 1];
        const v = (j: number): number => s.nodeFeatures[i * width + 2 * j + d]! * norm.velocityStd[d]! + norm.velocityMean[d]!;
        return (v(0) - v(1) - norm.accelerationMean[d]!) / norm.accelerationStd[d]!;
      });
    };
    const out = await learnedRollout(step, config, norm, history, types, Float32Array.of(0, 0, 0, 0, 0.5, 0.5), frames);
    expect(out.length).toBe(frames * n * 2);
    for (let t = 0; t < frames; t++) {
      const want = exact(t);
      for (let k = 0; k < n * 2; k++) expect(out[t * n * 2 + k]).toBeCloseTo(want[k]!, 5);
    }
  });

  it('drives a GnsNetwork step without leaking tensors', async () => {
    const net = GnsNetwork.create(tf, SMALL, 5);
    const inputs = randomInputs(SMALL, 6, 1);
    const history = Float32Array.from({ length: (SMALL.historyLength + 1) * 6 * 2 }, (_, k) => 0.3 + 0.01 * (k % 13));
    const before = tf.memory().numTensors;
    const out = await learnedRollout((s) => net.predict(s), SMALL, UNIT_NORM, history, inputs.particleTypes, null, 8);
    expect(tf.memory().numTensors).toBe(before);
    expect(out.every(Number.isFinite)).toBe(true);
    net.dispose();
  });
});

describe('TF.js errors', () => {
  it('explains the wasm heap running out and passes other errors through', () => {
    const abort = explainTfError(new Error('Aborted(). Build with -sASSERTIONS for more info.'), 'train again with a smaller batch size.');
    expect((abort as Error).message).toMatch(/ran out of memory \(Aborted\(\)\): train again with a smaller batch size\./);
    const other = new Error('shapes do not match');
    expect(explainTfError(other, 'x')).toBe(other);
  });
});
