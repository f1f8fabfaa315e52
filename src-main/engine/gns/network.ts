// Encode-process-decode GNS in TF.js (learning_to_simulate's graph_network.py); reference.ts
// defines the same computation in plain float64 and the tests hold the two together.
// Wasm-backend speed rules (README, "TF.js backend"): matMul gradients without transpose flags, gatherND /
// scatterND pairs instead of gather + unsortedSegmentSum.
import type * as TfModule from '@tensorflow/tfjs';
import { splitFlat } from '../adam-state';
import { seededRandom, standardNormal } from '../random';
import type { StepInputs } from './features';
import { nodeFeatureSize } from './features';
import { graphOps, type GraphOps } from '../nn/ops';
import { checkWeights, mlpInputSizes, mlpSizes } from './reference';
import type { GnsConfig, GnsWeights, MlpWeights } from './spec';
import { EDGE_INPUT_SIZE } from './spec';

type Tf = typeof TfModule;
type Tensor = TfModule.Tensor;
type Tensor2D = TfModule.Tensor2D;
type Variable = TfModule.Variable;

/** StepInputs as tensors (float32 features, int32 indices). */
export interface StepTensors {
  /** [N, 2C + 4] */
  nodeFeatures: Tensor2D;
  /** [N] int32 */
  particleTypes: TfModule.Tensor1D;
  /** [E, 3] */
  edgeFeatures: Tensor2D;
  /** [E] int32 */
  senders: TfModule.Tensor1D;
  /** [E] int32 */
  receivers: TfModule.Tensor1D;
}

interface MlpVariables {
  layers: { w: Variable; b: Variable }[];
  layerNorm: { gamma: Variable; beta: Variable } | null;
}

interface NetworkVariables {
  typeEmbedding: Variable;
  nodeEncoder: MlpVariables;
  edgeEncoder: MlpVariables;
  processor: { edge: MlpVariables; node: MlpVariables }[];
  decoder: MlpVariables;
}

export class GnsNetwork {
  /** every trainable variable in a fixed order (embedding, encoders, processor, decoder) */
  readonly variables: Variable[];
  private readonly ops: GraphOps;

  private constructor(
    private readonly tf: Tf,
    readonly config: GnsConfig,
    private readonly vars: NetworkVariables,
  ) {
    const mlps = [vars.nodeEncoder, vars.edgeEncoder, ...vars.processor.flatMap((s) => [s.edge, s.node]), vars.decoder];
    this.variables = [
      vars.typeEmbedding,
      ...mlps.flatMap((m) => [...m.layers.flatMap((d) => [d.w, d.b]), ...(m.layerNorm ? [m.layerNorm.gamma, m.layerNorm.beta] : [])]),
    ];
    this.ops = graphOps(tf);
  }

  static create(tf: Tf, config: GnsConfig, seed: number): GnsNetwork {
    return GnsNetwork.fromWeights(tf, config, initialWeights(config, seed));
  }

  static fromWeights(tf: Tf, config: GnsConfig, weights: GnsWeights): GnsNetwork {
    checkWeights(config, weights);
    const mlp = (m: MlpWeights): MlpVariables => ({
      layers: m.layers.map((d) => ({
        w: variable(tf, tf.tensor2d(d.w, [d.inSize, d.outSize])),
        b: variable(tf, tf.tensor1d(d.b)),
      })),
      layerNorm: m.layerNorm
        ? { gamma: variable(tf, tf.tensor1d(m.layerNorm.gamma)), beta: variable(tf, tf.tensor1d(m.layerNorm.beta)) }
        : null,
    });
    const vars: NetworkVariables = {
      typeEmbedding: variable(tf, tf.tensor2d(weights.typeEmbedding, [config.numTypes, config.typeEmbedding])),
      nodeEncoder: mlp(weights.nodeEncoder),
      edgeEncoder: mlp(weights.edgeEncoder),
      processor: weights.processor.map((s) => ({ edge: mlp(s.edge), node: mlp(s.node) })),
      decoder: mlp(weights.decoder),
    };
    return new GnsNetwork(tf, config, vars);
  }

  /** Typed-array inputs to tensors; the caller disposes them (or creates them inside a tidy). */
  toTensors(inputs: StepInputs): StepTensors {
    const tf = this.tf;
    return {
      nodeFeatures: tf.tensor2d(inputs.nodeFeatures, [inputs.n, nodeFeatureSize(this.config)]),
      particleTypes: tf.tensor1d(inputs.particleTypes, 'int32'),
      edgeFeatures: tf.tensor2d(inputs.edgeFeatures, [inputs.e, EDGE_INPUT_SIZE]),
      senders: tf.tensor1d(inputs.senders, 'int32'),
      receivers: tf.tensor1d(inputs.receivers, 'int32'),
    };
  }

  /**
   * Normalized acceleration [N, 2], differentiable w.r.t. the variables and the feature tensors.
   * Typed-array inputs become tensors owned by the surrounding tidy / gradient scope.
   */
  forward(inputs: StepInputs | StepTensors): Tensor2D {
    const tf = this.tf;
    const t = isTensors(inputs) ? inputs : this.toTensors(inputs);
    const { gatherRows, sumOntoRows, dense } = this.ops;
    const n = t.nodeFeatures.shape[0];
    const e = t.edgeFeatures.shape[0];
    const l = this.config.latent;
    const senders = tf.reshape(t.senders, [e, 1]) as Tensor2D;
    const receivers = tf.reshape(t.receivers, [e, 1]) as Tensor2D;
    const types = tf.reshape(t.particleTypes, [n, 1]) as Tensor2D;

    const embedding = gatherRows(this.vars.typeEmbedding, types, this.config.numTypes);
    let v = this.mlp(this.vars.nodeEncoder, tf.concat([t.nodeFeatures, embedding], 1));
    let edges = this.mlp(this.vars.edgeEncoder, t.edgeFeatures);
    for (const step of this.vars.processor) {
      // [e, v_s, v_r] W = e W_e + (v W_s)[senders] + (v W_r)[receivers]: node-side products are N x L, not E x L
      const first = step.edge.layers[0]!;
      const wE = tf.slice(first.w, [0, 0], [l, -1]) as Tensor2D;
      const wS = tf.slice(first.w, [l, 0], [l, -1]) as Tensor2D;
      const wR = tf.slice(first.w, [2 * l, 0], [l, -1]) as Tensor2D;
      let h =
        e === 0
          ? (tf.zeros([0, l]) as Tensor2D)
          : (tf.add(
              tf.add(dense(edges, wE, first.b), gatherRows(dense(v, wS, null), senders, n)),
              gatherRows(dense(v, wR, null), receivers, n),
            ) as Tensor2D);
      const edgesNew = this.mlpRest(step.edge, h);
      const aggregated = e === 0 ? (tf.zeros([n, l]) as Tensor2D) : sumOntoRows(edgesNew, receivers, n);
      const firstNode = step.node.layers[0]!;
      const wV = tf.slice(firstNode.w, [0, 0], [l, -1]) as Tensor2D;
      const wA = tf.slice(firstNode.w, [l, 0], [l, -1]) as Tensor2D;
      h = tf.add(dense(v, wV, firstNode.b), dense(aggregated, wA, null)) as Tensor2D;
      const vNew = this.mlpRest(step.node, h);
      edges = tf.add(edges, edgesNew);
      v = tf.add(v, vNew);
    }
    return this.mlp(this.vars.decoder, v);
  }

  /** One step for a rollout: normalized acceleration [N * 2] read back, no tensors left behind. */
  predict(inputs: StepInputs): Float32Array {
    const out = this.tf.tidy(() => this.forward(inputs));
    const values = out.dataSync() as Float32Array;
    out.dispose();
    return Float32Array.from(values);
  }

  /** Sets every variable from one flat buffer in the variables' order (serialize.ts's layout). */
  setFlatWeights(flat: Float32Array): void {
    splitFlat(flat, this.variables, 'flat weights').forEach((values, k) => {
      const v = this.variables[k]!;
      this.tf.tidy(() => v.assign(this.tf.tensor(values, v.shape)));
    });
  }

  /** Copies the variables out as plain weights (spec.ts layout). */
  weights(): GnsWeights {
    const read = (v: Variable): Float32Array => Float32Array.from(v.dataSync() as Float32Array);
    const mlp = (m: MlpVariables): MlpWeights => ({
      layers: m.layers.map((d) => ({ inSize: d.w.shape[0]!, outSize: d.w.shape[1]!, w: read(d.w), b: read(d.b) })),
      layerNorm: m.layerNorm ? { gamma: read(m.layerNorm.gamma), beta: read(m.layerNorm.beta) } : null,
    });
    return {
      typeEmbedding: read(this.vars.typeEmbedding),
      nodeEncoder: mlp(this.vars.nodeEncoder),
      edgeEncoder: mlp(this.vars.edgeEncoder),
      processor: this.vars.processor.map((s) => ({ edge: mlp(s.edge), node: mlp(s.node) })),
      decoder: mlp(this.vars.decoder),
    };
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }

  /** x: [rows, inSize] -> [rows, outSize]. */
  private mlp(m: MlpVariables, x: Tensor2D): Tensor2D {
    const first = m.layers[0]!;
    const last = m.layers.length === 1;
    const h = this.ops.dense(x, first.w, first.b, !last);
    return this.mlpFrom(m, h, 1);
  }

  /** The MLP after its first layer's affine part h [rows, width of layer 0] (ReLU not yet applied). */
  private mlpRest(m: MlpVariables, h: Tensor2D): Tensor2D {
    return this.mlpFrom(m, m.layers.length > 1 ? this.tf.relu(h) : h, 1);
  }

  /** Layers `from`.. of the MLP on x (already activated), then its LayerNorm. */
  private mlpFrom(m: MlpVariables, x: Tensor2D, from: number): Tensor2D {
    let h = x;
    for (let k = from; k < m.layers.length; k++) {
      const layer = m.layers[k]!;
      h = this.ops.dense(h, layer.w, layer.b, k < m.layers.length - 1);
    }
    return m.layerNorm ? this.ops.layerNorm(h, m.layerNorm.gamma, m.layerNorm.beta) : h;
  }
}


/** A trainable variable that owns its value (the initial tensor is released). */
function variable(tf: Tf, initial: Tensor): Variable {
  const v = tf.variable(initial);
  initial.dispose();
  return v;
}

function isTensors(inputs: StepInputs | StepTensors): inputs is StepTensors {
  return !(inputs.nodeFeatures instanceof Float32Array);
}

/**
 * Fresh weights, framework-free: Glorot-uniform dense weights, zero biases, LayerNorm gamma 1 and
 * beta 0, type embedding ~ N(0, 1 / typeEmbedding). Same seed, same weights.
 */
export function initialWeights(config: GnsConfig, seed: number): GnsWeights {
  const uniform = seededRandom(seed);
  const normal = (): number => standardNormal(uniform);
  const mlp = (sizes: number[], withNorm: boolean): MlpWeights => {
    const out = sizes[sizes.length - 1]!;
    return {
      layers: sizes.slice(1).map((outSize, k) => {
        const inSize = sizes[k]!;
        const limit = Math.sqrt(6 / (inSize + outSize));
        const w = Float32Array.from({ length: inSize * outSize }, () => (2 * uniform() - 1) * limit);
        return { inSize, outSize, w, b: new Float32Array(outSize) };
      }),
      layerNorm: withNorm ? { gamma: new Float32Array(out).fill(1), beta: new Float32Array(out) } : null,
    };
  };
  const inputs = mlpInputSizes(config);
  const l = config.latent;
  const std = Math.sqrt(1 / config.typeEmbedding);
  return {
    typeEmbedding: Float32Array.from({ length: config.numTypes * config.typeEmbedding }, () => normal() * std),
    nodeEncoder: mlp(mlpSizes(config, inputs.nodeEncoder, l), true),
    edgeEncoder: mlp(mlpSizes(config, inputs.edgeEncoder, l), true),
    processor: Array.from({ length: config.messagePassingSteps }, () => ({
      edge: mlp(mlpSizes(config, inputs.edge, l), true),
      node: mlp(mlpSizes(config, inputs.node, l), true),
    })),
    decoder: mlp(mlpSizes(config, inputs.decoder, 2), false),
  };
}
