import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnx } from 'onnx-proto';
import type { StepInputs } from '../../src-main/engine/gns/features';
import { exportGnsOnnx, GNS_ONNX_CONFIG_KEY, GNS_ONNX_PRODUCER } from '../../src-main/engine/gns/onnx-export';
import { OnnxGnsStep } from '../../src-main/engine/gns/onnx-step';
import { readOnnxMetadata as readGnsOnnxMetadata } from '../../src-main/engine/nn/onnx-metadata';
import { referenceForward } from '../../src-main/engine/gns/reference';
import { seededRandom } from '../../src-main/engine/random';
import { GNS_DEFAULTS, nodeInputSize, type GnsConfig, type GnsWeights, type MlpWeights } from '../../src-main/engine/gns/spec';


const uniform = (random: () => number, length: number, scale: number) => Float32Array.from({ length }, () => (2 * random() - 1) * scale);

/** mlpLayers hidden layers of width latent, then the output layer; LayerNorm with non-trivial gamma/beta. */
function randomMlp(random: () => number, config: GnsConfig, inSize: number, outSize: number, layerNorm: boolean): MlpWeights {
  const widths = [inSize, ...Array<number>(config.mlpLayers).fill(config.latent), outSize];
  return {
    layers: widths.slice(1).map((out, i) => {
      const inS = widths[i]!;
      return { inSize: inS, outSize: out, w: uniform(random, inS * out, Math.sqrt(6 / (inS + out))), b: uniform(random, out, 0.1) };
    }),
    layerNorm: layerNorm
      ? { gamma: Float32Array.from({ length: outSize }, () => 0.5 + random()), beta: uniform(random, outSize, 0.2) }
      : null,
  };
}

function randomWeights(config: GnsConfig, seed: number): GnsWeights {
  const random = seededRandom(seed);
  const l = config.latent;
  return {
    typeEmbedding: uniform(random, config.numTypes * config.typeEmbedding, 1),
    nodeEncoder: randomMlp(random, config, nodeInputSize(config), l, true),
    edgeEncoder: randomMlp(random, config, 3, l, true),
    processor: Array.from({ length: config.messagePassingSteps }, () => ({
      edge: randomMlp(random, config, 3 * l, l, true),
      node: randomMlp(random, config, 2 * l, l, true),
    })),
    decoder: randomMlp(random, config, l, 2, false),
  };
}

/** Random graph; node `isolated` receives no edge, and receivers repeat (E >> N). */
function randomInputs(config: GnsConfig, n: number, e: number, seed: number, isolated = 0): StepInputs {
  const random = seededRandom(seed);
  const index = (bound: number) => Math.floor(random() * bound);
  const senders = Int32Array.from({ length: e }, () => index(n));
  const receivers = Int32Array.from({ length: e }, () => {
    const r = index(n - 1);
    return r >= isolated ? r + 1 : r;
  });
  return {
    n,
    e,
    nodeFeatures: uniform(random, n * (2 * config.historyLength + 4), 1.5),
    particleTypes: Int32Array.from({ length: n }, () => index(config.numTypes)),
    edgeFeatures: uniform(random, e * 3, 1),
    senders,
    receivers,
  };
}

/** max |a - b| / max(1, max |b|) */
function relativeError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

const config: GnsConfig = { ...GNS_DEFAULTS, latent: 16, messagePassingSteps: 2, mlpLayers: 2, historyLength: 5, typeEmbedding: 8 };
const weights = randomWeights(config, 7);
const meta = { modelId: 'model-42', dataset: 'fluidtool2d water', trainedSteps: '1200' };
const bytes = exportGnsOnnx(config, weights, meta);

describe('exportGnsOnnx', () => {
  const model = onnx.ModelProto.decode(bytes);
  const nodes = model.graph?.node ?? [];
  const attributeString = (node: onnx.INodeProto, name: string) => {
    const attribute = node.attribute?.find((a) => a.name === name);
    return attribute?.s ? new TextDecoder().decode(attribute.s) : undefined;
  };

  it('declares opset >= 16 (ScatterND reduction) and IR 8, and names its producer', () => {
    const opset = model.opsetImport.find((o) => !o.domain);
    expect(Number(opset?.version)).toBeGreaterThanOrEqual(16);
    expect(Number(model.irVersion)).toBe(8);
    expect(model.producerName).toBe(GNS_ONNX_PRODUCER);
  });

  it('aggregates with one ScatterND reduction="add" per message-passing step', () => {
    const scatters = nodes.filter((node) => node.opType === 'ScatterND');
    expect(scatters).toHaveLength(config.messagePassingSteps);
    for (const node of scatters) expect(attributeString(node, 'reduction')).toBe('add');
    // LayerNorm on both encoders and every processor MLP, none on the decoder
    expect(nodes.filter((node) => node.opType === 'LayerNormalization')).toHaveLength(2 + 2 * config.messagePassingSteps);
  });

  it('declares dynamic N and E inputs and the [N, 2] acceleration output', () => {
    const shape = (info: onnx.IValueInfoProto) => (info.type?.tensorType?.shape?.dim ?? []).map((d) => d.dimParam || Number(d.dimValue));
    const inputs = Object.fromEntries((model.graph?.input ?? []).map((info) => [info.name, shape(info)]));
    expect(inputs).toEqual({
      node_features: ['N', 14],
      particle_type: ['N'],
      edge_features: ['E', 3],
      senders: ['E'],
      receivers: ['E'],
    });
    expect((model.graph?.output ?? []).map((info) => [info.name, shape(info)])).toEqual([['acceleration', ['N', 2]]]);
  });

  it('round-trips the config and the caller metadata through metadata_props', () => {
    const metadata = readGnsOnnxMetadata(bytes);
    expect(JSON.parse(metadata[GNS_ONNX_CONFIG_KEY]!)).toEqual(config);
    expect(metadata).toMatchObject(meta);
  });

  it('refuses weights that do not match the config', () => {
    expect(() => exportGnsOnnx({ ...config, messagePassingSteps: 3 }, weights)).toThrow(/processor has 2 steps/);
    expect(() => exportGnsOnnx({ ...config, typeEmbedding: 4 }, weights)).toThrow(/typeEmbedding has/);
    expect(() => exportGnsOnnx({ ...config, mlpLayers: 1 }, weights)).toThrow(/3 dense layers, expected 2/);
    expect(() => exportGnsOnnx(config, weights, { [GNS_ONNX_CONFIG_KEY]: 'x' })).toThrow(/reserved/);
  });
});

describe('OnnxGnsStep', () => {
  let step: OnnxGnsStep;
  beforeAll(async () => {
    step = await OnnxGnsStep.load(bytes, { intraOpThreads: 1 });
  });
  afterAll(async () => {
    await step.release();
  });

  it('matches referenceForward on a graph with an isolated node and repeated receivers', async () => {
    const inputs = randomInputs(config, 40, 200, 11, 17);
    expect(inputs.receivers.includes(17)).toBe(false);
    expect(new Set(inputs.receivers).size).toBeLessThan(inputs.e);
    const expected = referenceForward(config, weights, inputs);
    const actual = await step.run(inputs);
    expect(actual).toHaveLength(2 * inputs.n);
    expect(relativeError(actual, expected)).toBeLessThan(1e-4);
  });

  it('matches referenceForward on a graph with no edges at all (every particle farther than R)', async () => {
    const inputs = randomInputs(config, 5, 0, 13);
    expect(inputs.e).toBe(0);
    const actual = await step.run(inputs);
    expect(actual).toHaveLength(2 * inputs.n);
    expect(relativeError(actual, referenceForward(config, weights, inputs))).toBeLessThan(1e-4);
  });

  it('sums messages over repeated edges: duplicating every edge into node 3 changes its output', async () => {
    const inputs = randomInputs(config, 40, 200, 12);
    const into3 = [...inputs.receivers.keys()].filter((k) => inputs.receivers[k] === 3);
    expect(into3.length).toBeGreaterThan(0);
    const doubled: StepInputs = {
      ...inputs,
      e: inputs.e + into3.length,
      senders: Int32Array.from([...inputs.senders, ...into3.map((k) => inputs.senders[k]!)]),
      receivers: Int32Array.from([...inputs.receivers, ...into3.map(() => 3)]),
      edgeFeatures: Float32Array.from([...inputs.edgeFeatures, ...into3.flatMap((k) => [...inputs.edgeFeatures.subarray(3 * k, 3 * k + 3)])]),
    };
    const once = await step.run(inputs);
    const twice = await step.run(doubled);
    expect(relativeError(twice, referenceForward(config, weights, doubled))).toBeLessThan(1e-4);
    expect(Math.abs(twice[6]! - once[6]!) + Math.abs(twice[7]! - once[7]!)).toBeGreaterThan(1e-3);
  });

  it('runs different N and E in successive calls of one session', async () => {
    for (const [n, e, seed] of [[25, 90, 21], [60, 400, 22], [8, 0, 23], [33, 150, 24]] as const) {
      const inputs = randomInputs(config, n, e, seed);
      expect(relativeError(await step.run(inputs), referenceForward(config, weights, inputs))).toBeLessThan(1e-4);
    }
  });

  it('serializes concurrent runs that share the int64 staging buffers', async () => {
    const a = randomInputs(config, 30, 120, 31);
    const b = randomInputs(config, 30, 120, 32);
    const [ra, rb] = await Promise.all([step.run(a), step.run(b)]);
    expect(relativeError(ra, referenceForward(config, weights, a))).toBeLessThan(1e-4);
    expect(relativeError(rb, referenceForward(config, weights, b))).toBeLessThan(1e-4);
  });

  it('rejects malformed inputs with a clear Error and keeps working afterwards', async () => {
    const good = randomInputs(config, 20, 60, 41);
    const badSender = Int32Array.from(good.senders);
    badSender[5] = 20;
    await expect(step.run({ ...good, senders: badSender })).rejects.toThrow(/senders\[5\] = 20 is outside \[0, 20\)/);
    const badReceiver = Int32Array.from(good.receivers);
    badReceiver[7] = -1;
    await expect(step.run({ ...good, receivers: badReceiver })).rejects.toThrow(/receivers\[7\] = -1/);
    await expect(step.run({ ...good, particleTypes: good.particleTypes.map(() => config.numTypes) })).rejects.toThrow(/particleTypes\[0\]/);
    await expect(step.run({ ...good, nodeFeatures: new Float32Array(20 * 15) })).rejects.toThrow(/nodeFeatures has 300 values, expected N\*\(2C\+4\)/);
    await expect(step.run({ ...good, e: 61 })).rejects.toThrow(/edgeFeatures has 180 values/);
    expect(relativeError(await step.run(good), referenceForward(config, weights, good))).toBeLessThan(1e-4);
  });

  it('loads from a path, and refuses models without the GNS config and racy thread counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gns-onnx-'));
    try {
      const path = join(dir, 'step.onnx');
      writeFileSync(path, bytes);
      const fromFile = await OnnxGnsStep.load(path);
      expect(fromFile.metadata).toMatchObject(meta);
      const inputs = randomInputs(config, 12, 30, 51);
      expect(relativeError(await fromFile.run(inputs), referenceForward(config, weights, inputs))).toBeLessThan(1e-4);
      await fromFile.release();
      await expect(fromFile.run(inputs)).rejects.toThrow(/released/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await expect(OnnxGnsStep.load(bytes, { intraOpThreads: 2 })).rejects.toThrow(/intraOpThreads must be 1.*races/);
    const bare = onnx.ModelProto.decode(bytes);
    bare.metadataProps = [];
    await expect(OnnxGnsStep.load(onnx.ModelProto.encode(bare).finish())).rejects.toThrow(/no gns\.config metadata/);
  });
});
