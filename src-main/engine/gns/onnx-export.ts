// The learned simulator's one-step network (spec.ts layout) as an ONNX model, so that a trained
// model runs in onnxruntime outside TF.js. The graph is the same function as reference.ts:
// encode, M interaction-network steps with sum aggregation and residuals, decode; the edge MLP's
// first layer is split into edge, sender and receiver parts as in network.ts.

import { onnx } from 'onnx-proto';
import { floatAttribute, GraphBuilder, intAttribute, stringAttribute, valueInfo } from '../onnx-graph';
import { LAYER_NORM_EPSILON } from '../nn/ops';
import { checkWeights } from './reference';
import { EDGE_INPUT_SIZE, type DenseWeights, type GnsConfig, type GnsWeights, type MlpWeights } from './spec';

export const GNS_ONNX_OPSET = 17;
export const GNS_ONNX_IR_VERSION = 8;
export const GNS_ONNX_PRODUCER = 'inverse-design-workbench';
/** metadata_props key holding JSON.stringify(config) */
export const GNS_ONNX_CONFIG_KEY = 'gns.config';

/** Names of the graph's inputs and output (shapes: N particles, E edges, C = historyLength). */
export const GNS_ONNX_IO = {
  /** float32 [N, 2C+4]: velocities and wall distances, without the type embedding */
  nodeFeatures: 'node_features',
  /** int64 [N] */
  particleType: 'particle_type',
  /** float32 [E, 3] */
  edgeFeatures: 'edge_features',
  /** int64 [E] */
  senders: 'senders',
  /** int64 [E] */
  receivers: 'receivers',
  /** float32 [N, 2]: normalized acceleration */
  acceleration: 'acceleration',
} as const;

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

/**
 * x [rows, in] -> [rows, out]: dense layers (MatMul + Add) with Relu between, then LayerNorm if
 * any (sizes checked by checkWeights). `x` may instead compute the first layer's x·W + b itself.
 */
function addMlp(g: GraphBuilder, scope: string, mlp: MlpWeights, x: string | ((dense: DenseWeights, where: string) => string)): string {
  let h = typeof x === 'string' ? x : '';
  mlp.layers.forEach((dense, i) => {
    const where = `${scope}/dense${i}`;
    if (i === 0 && typeof x !== 'string') h = x(dense, where);
    else {
      const w = g.floatInitializer(`${where}/w`, [dense.inSize, dense.outSize], dense.w);
      const b = g.floatInitializer(`${where}/b`, [dense.outSize], dense.b);
      h = g.op('Add', [g.op('MatMul', [h, w], `${where}/xw`), b], `${where}/out`);
    }
    if (i < mlp.layers.length - 1) h = g.op('Relu', [h], `${where}/relu`);
  });
  if (mlp.layerNorm) {
    const width = mlp.layerNorm.gamma.length;
    const gamma = g.floatInitializer(`${scope}/layer_norm/gamma`, [width], mlp.layerNorm.gamma);
    const beta = g.floatInitializer(`${scope}/layer_norm/beta`, [width], mlp.layerNorm.beta);
    h = g.op('LayerNormalization', [h, gamma, beta], `${scope}/layer_norm/out`, [
      intAttribute('axis', -1),
      floatAttribute('epsilon', LAYER_NORM_EPSILON),
    ]);
  }
  return h;
}

/**
 * The ONNX model (opset 17, IR 8) of one step: inputs node_features [N, 2C+4], particle_type [N]
 * (int64), edge_features [E, 3], senders [E], receivers [E] (int64); output acceleration [N, 2].
 * The config goes into metadata_props under GNS_ONNX_CONFIG_KEY, `meta` under its own keys.
 */
export function exportGnsOnnx(config: GnsConfig, weights: GnsWeights, meta: Record<string, string> = {}): Uint8Array {
  const { historyLength, typeEmbedding, numTypes, latent } = config;
  checkWeights(config, weights);
  if (GNS_ONNX_CONFIG_KEY in meta) throw new Error(`exportGnsOnnx: meta key ${GNS_ONNX_CONFIG_KEY} is reserved for the config`);
  const io = GNS_ONNX_IO;
  const g = new GraphBuilder();
  g.reserveInputs([io.nodeFeatures, io.particleType, io.edgeFeatures, io.senders, io.receivers]);
  const featureWidth = 2 * historyLength + 4;

  // encoder: node_input [N, nodeIn] = [node_features, embedding[particle_type]]
  const table = g.floatInitializer('type_embedding/table', [numTypes, typeEmbedding], weights.typeEmbedding);
  const embedded = g.op('Gather', [table, io.particleType], 'type_embedding/rows', [intAttribute('axis', 0)]);
  const nodeInput = g.op('Concat', [io.nodeFeatures, embedded], 'node_input', [intAttribute('axis', 1)]);
  let v = addMlp(g, 'node_encoder', weights.nodeEncoder, nodeInput);
  let e = addMlp(g, 'edge_encoder', weights.edgeEncoder, io.edgeFeatures);

  // the aggregation's zeros [N, latent] and scatter indices [E, 1] are the same for every step
  const zeros = g.op('ConstantOfShape', [g.op('Shape', [v], 'node_latent_shape')], 'aggregation_zeros', [
    onnx.AttributeProto.create({
      name: 'value',
      type: AttributeType.TENSOR,
      t: onnx.TensorProto.create({ dims: [1], dataType: DataType.FLOAT, floatData: [0] }),
    }),
  ]);
  const lastAxis = g.int64Initializer('axes_last', [-1]);
  const receiverIndex = g.op('Unsqueeze', [io.receivers, lastAxis], 'receivers_index');

  weights.processor.forEach((step, k) => {
    const scope = `processor${k}`;
    // the edge MLP's first layer on [e, v_sender, v_receiver] is e·W_e + (v·W_s + b)[senders] +
    // (v·W_r)[receivers]: the node parts are multiplied once per node, not once per edge (a GNS
    // has ~10 edges a node), which takes 40% of the multiply-adds out of every edge MLP; the bias
    // rides on the sender part, and the node parts enter as the Gemm's C, so ORT fuses the Relu
    // into it (measured: 12.4 ms a step at 6,392 edges with the concat, 11.1 with a MatMul and
    // Adds, 10.0 so)
    const eNew = addMlp(g, `${scope}/edge_mlp`, step.edge, (dense, where) => {
      const block = (k: number, name: string) => g.floatInitializer(`${where}/w_${name}`, [latent, dense.outSize], dense.w.subarray(k * latent * dense.outSize, (k + 1) * latent * dense.outSize));
      const b = g.floatInitializer(`${where}/b`, [dense.outSize], dense.b);
      const senderNodes = g.op('Add', [g.op('MatMul', [v, block(1, 'sender')], `${where}/v_ws`), b], `${where}/v_ws_b`);
      const fromSender = g.op('Gather', [senderNodes, io.senders], `${where}/sender_part`, [intAttribute('axis', 0)]);
      const fromReceiver = g.op('Gather', [g.op('MatMul', [v, block(2, 'receiver')], `${where}/v_wr`), io.receivers], `${where}/receiver_part`, [intAttribute('axis', 0)]);
      return g.op('Gemm', [e, block(0, 'edge'), g.op('Add', [fromSender, fromReceiver], `${where}/node_parts`)], `${where}/out`);
    });
    // sum over repeated receivers; ORT's CPU kernel races on them with >1 intra-op thread (see onnx-step.ts)
    const aggregated = g.op('ScatterND', [zeros, receiverIndex, eNew], `${scope}/aggregated`, [stringAttribute('reduction', 'add')]);
    const nodeMlpInput = g.op('Concat', [v, aggregated], `${scope}/node_input`, [intAttribute('axis', 1)]);
    const vNew = addMlp(g, `${scope}/node_mlp`, step.node, nodeMlpInput);
    e = g.op('Add', [e, eNew], `${scope}/e`);
    v = g.op('Add', [v, vNew], `${scope}/v`);
  });

  const decoded = addMlp(g, 'decoder', weights.decoder, v);
  g.op('Identity', [decoded], io.acceleration);

  const graph = onnx.GraphProto.create({
    name: 'gns_step',
    node: g.nodes,
    initializer: g.initializers,
    input: [
      valueInfo(io.nodeFeatures, DataType.FLOAT, ['N', featureWidth]),
      valueInfo(io.particleType, DataType.INT64, ['N']),
      valueInfo(io.edgeFeatures, DataType.FLOAT, ['E', EDGE_INPUT_SIZE]),
      valueInfo(io.senders, DataType.INT64, ['E']),
      valueInfo(io.receivers, DataType.INT64, ['E']),
    ],
    output: [valueInfo(io.acceleration, DataType.FLOAT, ['N', 2])],
  });
  const metadata = { [GNS_ONNX_CONFIG_KEY]: JSON.stringify(config), ...meta };
  const model = onnx.ModelProto.create({
    irVersion: GNS_ONNX_IR_VERSION,
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: GNS_ONNX_OPSET })],
    producerName: GNS_ONNX_PRODUCER,
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}
