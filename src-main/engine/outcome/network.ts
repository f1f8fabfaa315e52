// The outcome model in TF.js, for training: d -> hidden (tanh) ... -> D, the same function as
// reference.ts (tested). matMuls through graphOps, whose gradients avoid wasm's slow transposes.
import type * as TfModule from '@tensorflow/tfjs';
import { graphOps, type GraphOps } from '../nn/ops';
import type { OutcomeModelConfig, OutcomeWeights } from './spec';

type Tf = typeof TfModule;
let uniqueId = 0;

export class OutcomeNetwork {
  readonly variables: TfModule.Variable[];
  private readonly ops: GraphOps;

  constructor(
    private readonly tf: Tf,
    readonly config: OutcomeModelConfig,
    weights: OutcomeWeights,
  ) {
    this.ops = graphOps(tf);
    const id = uniqueId++;
    this.variables = weights.layers.flatMap((l, k) => [
      tf.variable(tf.tensor2d(l.w, [l.inputs, l.outputs]), true, `outcome/${id}/layer${k}/w`),
      tf.variable(tf.tensor1d(l.b), true, `outcome/${id}/layer${k}/b`),
    ]);
  }

  /** x [B, d] -> normalized outcome [B, D] */
  forward(x: TfModule.Tensor2D): TfModule.Tensor2D {
    const layers = this.variables.length / 2;
    let h = x;
    for (let k = 0; k < layers; k++) {
      h = this.ops.dense(h, this.variables[2 * k]!, this.variables[2 * k + 1]!);
      if (k < layers - 1) h = this.tf.tanh(h);
    }
    return h;
  }

  weights(): OutcomeWeights {
    const layers: OutcomeWeights['layers'] = [];
    for (let k = 0; k < this.variables.length / 2; k++) {
      const w = this.variables[2 * k]!;
      layers.push({ w: Float32Array.from(w.dataSync() as Float32Array), b: Float32Array.from(this.variables[2 * k + 1]!.dataSync() as Float32Array), inputs: w.shape[0]!, outputs: w.shape[1]! });
    }
    return { layers };
  }

  dispose(): void {
    this.tf.dispose(this.variables);
  }
}
