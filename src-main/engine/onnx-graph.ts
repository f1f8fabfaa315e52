// Building ONNX graphs node by node (onnx-proto): the learned simulator's and the denoiser's exports.
import { onnx } from 'onnx-proto';

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;


/** Builds the graph node by node; every node and tensor gets a readable, unique name. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`onnx graph: duplicate tensor name ${name}`);
    this.used.add(name);
    return name;
  }

  reserveInputs(names: string[]): void {
    for (const name of names) this.claim(name);
  }

  /** Float32 initializer, raw_data little-endian. */
  floatInitializer(name: string, dims: number[], values: ArrayLike<number>): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (values.length !== count) {
      throw new Error(`onnx graph: ${name} has ${values.length} values, expected ${count} for [${dims.join(', ')}]`);
    }
    const raw = new Uint8Array(4 * count);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < count; i++) view.setFloat32(4 * i, values[i]!, true);
    this.initializers.push(onnx.TensorProto.create({ name: this.claim(name), dims, dataType: DataType.FLOAT, rawData: raw }));
    return name;
  }

  int64Initializer(name: string, values: number[]): string {
    const raw = new Uint8Array(8 * values.length);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
    this.initializers.push(onnx.TensorProto.create({ name: this.claim(name), dims: [values.length], dataType: DataType.INT64, rawData: raw }));
    return name;
  }

  /** Adds a node with one output named `output` (the node itself is named after it). */
  op(opType: string, inputs: string[], output: string, attributes: onnx.IAttributeProto[] = []): string {
    this.nodes.push(onnx.NodeProto.create({ name: `${output}/${opType}`, opType, input: inputs, output: [this.claim(output)], attribute: attributes }));
    return output;
  }
}

export const intAttribute = (name: string, i: number): onnx.IAttributeProto => onnx.AttributeProto.create({ name, type: AttributeType.INT, i });
export const floatAttribute = (name: string, f: number): onnx.IAttributeProto => onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f });
export const stringAttribute = (name: string, s: string): onnx.IAttributeProto =>
  onnx.AttributeProto.create({ name, type: AttributeType.STRING, s: new TextEncoder().encode(s) });

export function valueInfo(name: string, elemType: onnx.TensorProto.DataType, dims: (number | string)[]): onnx.IValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        }),
      }),
    }),
  });
}

