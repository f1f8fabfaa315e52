// The denoiser (denoiser.ts) as an ONNX model, so sampling runs in onnxruntime-node: the same
// function as DenoiserNetwork.forward, the time features computed inside the graph.
import { onnx } from 'onnx-proto';
import { LAYER_NORM_EPSILON } from '../nn/ops';
import { floatAttribute, GraphBuilder, intAttribute, valueInfo } from '../onnx-graph';
import { checkDenoiserWeights, conditionSize, timeFrequencies, type DenoiserConfig, type DenoiserWeights } from './denoiser';

export const DENOISER_ONNX_OPSET = 17;
export const DENOISER_ONNX_CONFIG_KEY = 'denoiser.config';

/** Inputs and output (B designs). */
export const DENOISER_ONNX_IO = {
  /** float32 [B, d] noisy designs */
  x: 'x',
  /** float32 [B, 1] timestep (0-based) */
  t: 't',
  /** float32 [B, taskDim + 1] condition (task, cost level) */
  condition: 'condition',
  /** float32 [B, 1]: 1 uses the condition, 0 the null token */
  conditionMask: 'condition_mask',
  /** float32 [B, d] predicted noise */
  epsilon: 'epsilon',
} as const;

const { DataType } = onnx.TensorProto;

export function exportDenoiserOnnx(config: DenoiserConfig, weights: DenoiserWeights, meta: Record<string, string> = {}): Uint8Array {
  checkDenoiserWeights(config, weights);
  const io = DENOISER_ONNX_IO;
  const g = new GraphBuilder();
  g.reserveInputs([io.x, io.t, io.condition, io.conditionMask]);
  const byName = new Map(weights.map((w) => [w.name, w]));
  const init = (name: string): string => {
    const w = byName.get(name)!;
    return g.floatInitializer(name, w.shape, w.values);
  };
  const dense = (x: string, name: string): string => g.op('Add', [g.op('MatMul', [x, init(`${name}/w`)], `${name}/xw`), init(`${name}/b`)], `${name}/out`);
  const silu = (x: string, name: string): string => g.op('Mul', [x, g.op('Sigmoid', [x], `${name}/sigmoid`)], `${name}/silu`);
  const norm = (x: string, name: string): string =>
    g.op('LayerNormalization', [x, init(`${name}/gamma`), init(`${name}/beta`)], `${name}/out`, [intAttribute('axis', -1), floatAttribute('epsilon', LAYER_NORM_EPSILON)]);

  const freqs = timeFrequencies(config.timeEmbedding);
  const angles = g.op('Mul', [io.t, g.floatInitializer('time/frequencies', [1, freqs.length], freqs)], 'time/angles');
  const time = g.op('Concat', [g.op('Sin', [angles], 'time/sin'), g.op('Cos', [angles], 'time/cos')], 'time/features', [intAttribute('axis', 1)]);
  const timeEmb = dense(silu(dense(time, 'time/dense0'), 'time/dense0'), 'time/dense1');
  let h = g.op('Add', [dense(io.x, 'input'), timeEmb], 'h0');
  if (config.conditional) {
    const embedded = dense(io.condition, 'condition');
    const one = g.floatInitializer('one', [1], [1]);
    const notMask = g.op('Sub', [one, io.conditionMask], 'condition/not_mask');
    const nullToken = g.floatInitializer('null_token', [1, config.width], byName.get('null_token')!.values);
    const cond = g.op('Add', [g.op('Mul', [io.conditionMask, embedded], 'condition/kept'), g.op('Mul', [notMask, nullToken], 'condition/null')], 'condition/embedding');
    h = g.op('Add', [h, cond], 'h0_conditioned');
  }
  for (let k = 0; k < config.blocks; k++) {
    const n = norm(h, `block${k}/norm`);
    const r = dense(silu(dense(n, `block${k}/dense0`), `block${k}/dense0`), `block${k}/dense1`);
    h = g.op('Add', [h, r], `block${k}/h`);
  }
  const out = dense(silu(norm(h, 'output/norm'), 'output/norm'), 'output');
  g.op('Identity', [out], io.epsilon);

  const graph = onnx.GraphProto.create({
    name: 'denoiser',
    node: g.nodes,
    initializer: g.initializers,
    input: [
      valueInfo(io.x, DataType.FLOAT, ['B', config.dim]),
      valueInfo(io.t, DataType.FLOAT, ['B', 1]),
      valueInfo(io.condition, DataType.FLOAT, ['B', conditionSize(config)]),
      valueInfo(io.conditionMask, DataType.FLOAT, ['B', 1]),
    ],
    output: [valueInfo(io.epsilon, DataType.FLOAT, ['B', config.dim])],
  });
  const metadata = { [DENOISER_ONNX_CONFIG_KEY]: JSON.stringify(config), ...meta };
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: DENOISER_ONNX_OPSET })],
      producerName: 'inverse-design-workbench',
      graph,
      metadataProps: Object.entries(metadata).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value })),
    }),
  ).finish();
}
