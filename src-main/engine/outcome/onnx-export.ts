// The outcome model as ONNX (opset 17): design [B, d] -> outcome [B, D], the same function as
// reference.ts, normalization included, for onnxruntime and for users' own tools.
import { onnx } from 'onnx-proto';
import { GraphBuilder, valueInfo } from '../onnx-graph';
import type { OutcomeModelConfig, OutcomeNormalization, OutcomeWeights } from './spec';

export const OUTCOME_ONNX_IO = { design: 'design', outcome: 'outcome' } as const;
const { DataType } = onnx.TensorProto;

export function exportOutcomeOnnx(config: OutcomeModelConfig, weights: OutcomeWeights, norm: OutcomeNormalization, meta: Record<string, string> = {}): Uint8Array {
  const g = new GraphBuilder();
  g.reserveInputs([OUTCOME_ONNX_IO.design]);
  let h: string = OUTCOME_ONNX_IO.design;
  weights.layers.forEach((l, k) => {
    const w = g.floatInitializer(`layer${k}/w`, [l.inputs, l.outputs], l.w);
    const b = g.floatInitializer(`layer${k}/b`, [l.outputs], l.b);
    h = g.op('Gemm', [h, w, b], `layer${k}/out`);
    if (k < weights.layers.length - 1) h = g.op('Tanh', [h], `layer${k}/tanh`);
  });
  const std = g.floatInitializer('norm/std', [config.outcomeDim], norm.std);
  const mean = g.floatInitializer('norm/mean', [config.outcomeDim], norm.mean);
  g.op('Add', [g.op('Mul', [h, std], 'scaled'), mean], OUTCOME_ONNX_IO.outcome);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'inverse-design-workbench',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 17 })],
    metadataProps: Object.entries({ ...meta, 'outcome.config': JSON.stringify(config) }).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value })),
    graph: onnx.GraphProto.create({
      name: 'outcome_model',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(OUTCOME_ONNX_IO.design, DataType.FLOAT, ['batch', config.designDim])],
      output: [valueInfo(OUTCOME_ONNX_IO.outcome, DataType.FLOAT, ['batch', config.outcomeDim])],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
