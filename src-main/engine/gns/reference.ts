// The executable definition of the GNS forward pass (spec.ts, docs/method.md §8) in plain float64
// TypeScript: slow, dependency-free, and what the TF.js and ONNX versions are tested against.
//
//   node input  = [nodeFeatures, typeEmbedding[particleType]]          [N, 2C + 4 + typeEmbedding]
//   v = nodeEncoder(node input), e = edgeEncoder(edgeFeatures)          [N, L], [E, L]
//   M times (interaction network with residuals, as learning_to_simulate/graph_nets):
//     e_new = edgeMlp([e, v[senders], v[receivers]])                   [E, L]
//     agg   = sum of e_new over edges into each receiver (zero if none) [N, L]
//     v_new = nodeMlp([v, agg])                                        [N, L]
//     e = e + e_new, v = v + v_new
//   out = decoder(v)                                                    [N, 2]
// Every MLP: dense layers x W + b with ReLU between them, none after the last, then LayerNorm
// (epsilon 1e-5, biased variance) when it has one (encoders and processor MLPs; not the decoder).
import { LAYER_NORM_EPSILON } from '../nn/ops';
import type { StepInputs } from './features';
import type { DenseWeights, GnsConfig, GnsWeights, MlpWeights } from './spec';
import { EDGE_INPUT_SIZE, nodeInputSize } from './spec';


/** Returns the normalized acceleration [N * 2]. */
export function referenceForward(config: GnsConfig, weights: GnsWeights, inputs: StepInputs): Float32Array {
  checkWeights(config, weights);
  const { n, e } = inputs;
  const nodeWidth = nodeInputSize(config) - config.typeEmbedding;
  const nodeIn = new Float64Array(n * nodeInputSize(config));
  for (let i = 0; i < n; i++) {
    const type = inputs.particleTypes[i]!;
    if (!(type >= 0 && type < config.numTypes)) throw new Error(`particle type ${type} is outside 0..${config.numTypes - 1}`);
    const row = i * nodeInputSize(config);
    for (let k = 0; k < nodeWidth; k++) nodeIn[row + k] = inputs.nodeFeatures[i * nodeWidth + k]!;
    for (let k = 0; k < config.typeEmbedding; k++) {
      nodeIn[row + nodeWidth + k] = weights.typeEmbedding[type * config.typeEmbedding + k]!;
    }
  }
  const v = mlp(weights.nodeEncoder, nodeIn, n);
  const edges = mlp(weights.edgeEncoder, Float64Array.from(inputs.edgeFeatures), e);
  const l = config.latent;
  for (const step of weights.processor) {
    const edgeIn = new Float64Array(e * 3 * l);
    for (let k = 0; k < e; k++) {
      const s = inputs.senders[k]!;
      const r = inputs.receivers[k]!;
      for (let j = 0; j < l; j++) {
        edgeIn[k * 3 * l + j] = edges[k * l + j]!;
        edgeIn[k * 3 * l + l + j] = v[s * l + j]!;
        edgeIn[k * 3 * l + 2 * l + j] = v[r * l + j]!;
      }
    }
    const edgesNew = mlp(step.edge, edgeIn, e);
    const nodeIn2 = new Float64Array(n * 2 * l);
    for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) nodeIn2[i * 2 * l + j] = v[i * l + j]!;
    for (let k = 0; k < e; k++) {
      const r = inputs.receivers[k]!;
      for (let j = 0; j < l; j++) nodeIn2[r * 2 * l + l + j] = nodeIn2[r * 2 * l + l + j]! + edgesNew[k * l + j]!;
    }
    const vNew = mlp(step.node, nodeIn2, n);
    for (let k = 0; k < edges.length; k++) edges[k] = edges[k]! + edgesNew[k]!;
    for (let k = 0; k < v.length; k++) v[k] = v[k]! + vNew[k]!;
  }
  const out = mlp(weights.decoder, v, n);
  return Float32Array.from(out);
}

/** x: [rows, inSize of the first layer] row-major. Returns [rows, outSize of the last layer]. */
export function mlp(weights: MlpWeights, x: Float64Array, rows: number): Float64Array {
  let h = x;
  weights.layers.forEach((layer, index) => {
    h = dense(layer, h, rows);
    if (index < weights.layers.length - 1) for (let k = 0; k < h.length; k++) if (h[k]! < 0) h[k] = 0;
  });
  if (weights.layerNorm) h = layerNorm(h, rows, weights.layerNorm.gamma, weights.layerNorm.beta);
  return h;
}

function dense(layer: DenseWeights, x: Float64Array, rows: number): Float64Array {
  const { inSize, outSize, w, b } = layer;
  if (x.length !== rows * inSize) throw new Error(`dense layer expects ${inSize} inputs per row, got ${x.length / rows}`);
  const y = new Float64Array(rows * outSize);
  for (let r = 0; r < rows; r++) {
    const yr = r * outSize;
    for (let o = 0; o < outSize; o++) y[yr + o] = b[o]!;
    for (let i = 0; i < inSize; i++) {
      const xi = x[r * inSize + i]!;
      if (xi === 0) continue;
      const wi = i * outSize;
      for (let o = 0; o < outSize; o++) y[yr + o] = y[yr + o]! + xi * w[wi + o]!;
    }
  }
  return y;
}

function layerNorm(x: Float64Array, rows: number, gamma: Float32Array, beta: Float32Array): Float64Array {
  const width = gamma.length;
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let k = 0; k < width; k++) mean += x[r * width + k]!;
    mean /= width;
    let variance = 0;
    for (let k = 0; k < width; k++) variance += (x[r * width + k]! - mean) ** 2;
    variance /= width;
    const inv = 1 / Math.sqrt(variance + LAYER_NORM_EPSILON);
    for (let k = 0; k < width; k++) y[r * width + k] = (x[r * width + k]! - mean) * inv * gamma[k]! + beta[k]!;
  }
  return y;
}

/** Layer sizes the spec implies: hidden layers of width `latent`, then the output size. */
export function mlpSizes(config: GnsConfig, inSize: number, outSize: number): number[] {
  return [inSize, ...Array.from({ length: config.mlpLayers }, () => config.latent), outSize];
}

/** Input sizes of the five MLP kinds, for building or checking weights. */
export function mlpInputSizes(config: GnsConfig): { nodeEncoder: number; edgeEncoder: number; edge: number; node: number; decoder: number } {
  const l = config.latent;
  return { nodeEncoder: nodeInputSize(config), edgeEncoder: EDGE_INPUT_SIZE, edge: 3 * l, node: 2 * l, decoder: l };
}

/** Throws an Error naming the first array whose size does not match the config. */
export function checkWeights(config: GnsConfig, weights: GnsWeights): void {
  const inputs = mlpInputSizes(config);
  const l = config.latent;
  const expectEmbedding = config.numTypes * config.typeEmbedding;
  if (weights.typeEmbedding.length !== expectEmbedding) {
    throw new Error(`typeEmbedding has ${weights.typeEmbedding.length} values, expected numTypes * typeEmbedding = ${expectEmbedding}`);
  }
  if (weights.processor.length !== config.messagePassingSteps) {
    throw new Error(`processor has ${weights.processor.length} steps, expected messagePassingSteps = ${config.messagePassingSteps}`);
  }
  const check = (name: string, m: MlpWeights, sizes: number[], layerNorm: boolean): void => {
    if (m.layers.length !== sizes.length - 1) throw new Error(`${name} has ${m.layers.length} dense layers, expected ${sizes.length - 1}`);
    m.layers.forEach((d, k) => {
      if (d.inSize !== sizes[k] || d.outSize !== sizes[k + 1] || d.w.length !== d.inSize * d.outSize || d.b.length !== d.outSize) {
        throw new Error(`${name} layer ${k} is ${d.inSize}x${d.outSize} (w ${d.w.length}, b ${d.b.length}), expected ${sizes[k]}x${sizes[k + 1]}`);
      }
    });
    const out = sizes[sizes.length - 1]!;
    if (layerNorm !== (m.layerNorm !== null)) throw new Error(`${name} ${layerNorm ? 'needs' : 'must not have'} a LayerNorm`);
    if (m.layerNorm && (m.layerNorm.gamma.length !== out || m.layerNorm.beta.length !== out)) {
      throw new Error(`${name} LayerNorm has ${m.layerNorm.gamma.length} features, expected ${out}`);
    }
  };
  check('nodeEncoder', weights.nodeEncoder, mlpSizes(config, inputs.nodeEncoder, l), true);
  check('edgeEncoder', weights.edgeEncoder, mlpSizes(config, inputs.edgeEncoder, l), true);
  weights.processor.forEach((step, k) => {
    check(`processor[${k}].edge`, step.edge, mlpSizes(config, inputs.edge, l), true);
    check(`processor[${k}].node`, step.node, mlpSizes(config, inputs.node, l), true);
  });
  check('decoder', weights.decoder, mlpSizes(config, inputs.decoder, 2), false);
}
