// The denoiser eps_theta(x_t, t, y) of the diffusion prior (docs/method.md §2): an MLP with a
// sinusoidal time embedding, residual blocks (LayerNorm, SiLU) and, when conditional, an
// embedding of y = (task c, cost level e) that a learned null token replaces (condition dropout).
// The network only (diffusers' model): schedules live in schedule.ts, sampling in samplers/.
import type * as TfModule from '@tensorflow/tfjs';
import type { DenoiserNetworkConfig } from '../../../src-shared/models';
import { graphOps, type GraphOps } from '../nn/ops';
import { seededRandom, standardNormal } from '../random';

type Tf = typeof TfModule;
type Tensor2D = TfModule.Tensor2D;
type Variable = TfModule.Variable;

/** The denoiser (declared in src-shared/models.ts, where a model row's config holds it). */
export type DenoiserConfig = DenoiserNetworkConfig;

export const TIME_EMBEDDING_DEFAULT = 64;

/** TF.js variable names must be unique across networks */
let uniqueId = 0;

export function conditionSize(c: DenoiserConfig): number {
  return c.taskDim + 1;
}

/** One named weight array; a denoiser's weights are the list denoiserLayout() gives, in order. */
export interface NamedArray {
  name: string;
  shape: number[];
  values: Float32Array;
}
export type DenoiserWeights = NamedArray[];

/** Names and shapes of every weight, in the order they are stored and trained. */
export function denoiserLayout(c: DenoiserConfig): { name: string; shape: number[] }[] {
  checkConfig(c);
  const W = c.width;
  const dense = (name: string, inSize: number, outSize: number) => [
    { name: `${name}/w`, shape: [inSize, outSize] },
    { name: `${name}/b`, shape: [outSize] },
  ];
  const norm = (name: string) => [
    { name: `${name}/gamma`, shape: [W] },
    { name: `${name}/beta`, shape: [W] },
  ];
  return [
    ...dense('time/dense0', c.timeEmbedding, W),
    ...dense('time/dense1', W, W),
    ...dense('input', c.dim, W),
    ...(c.conditional ? [...dense('condition', conditionSize(c), W), { name: 'null_token', shape: [W] }] : []),
    ...Array.from({ length: c.blocks }, (_, k) => [...norm(`block${k}/norm`), ...dense(`block${k}/dense0`, W, W), ...dense(`block${k}/dense1`, W, W)]).flat(),
    ...norm('output/norm'),
    ...dense('output', W, c.dim),
  ];
}

export function checkConfig(c: DenoiserConfig): void {
  const positive = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`denoiser ${name} must be a positive integer, got ${v}`);
  };
  positive(c.dim, 'dim');
  positive(c.taskDim, 'taskDim');
  positive(c.width, 'width');
  positive(c.blocks, 'blocks');
  positive(c.timeEmbedding, 'timeEmbedding');
  if (c.timeEmbedding % 2 !== 0) throw new Error(`denoiser timeEmbedding must be even, got ${c.timeEmbedding}`);
}

/** Fresh weights, framework-free: Glorot-uniform dense weights, zero biases, LayerNorm 1/0, null token ~ N(0, 0.02²). */
export function initialDenoiserWeights(c: DenoiserConfig, seed: number): DenoiserWeights {
  const uniform = seededRandom(seed);
  return denoiserLayout(c).map(({ name, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (name.endsWith('/w')) {
      const limit = Math.sqrt(6 / (shape[0]! + shape[1]!)) * (name === 'output/w' ? 0.1 : 1);
      for (let i = 0; i < size; i++) values[i] = (2 * uniform() - 1) * limit;
    } else if (name.endsWith('/gamma')) values.fill(1);
    else if (name === 'null_token') for (let i = 0; i < size; i++) values[i] = 0.02 * standardNormal(uniform);
    return { name, shape, values };
  });
}

/** Checks weights against the config's layout (names, order, sizes); throws naming the first mismatch. */
export function checkDenoiserWeights(c: DenoiserConfig, weights: DenoiserWeights): void {
  const layout = denoiserLayout(c);
  if (weights.length !== layout.length) throw new Error(`denoiser weights: ${weights.length} arrays, the config needs ${layout.length}`);
  layout.forEach((l, i) => {
    const w = weights[i]!;
    const size = l.shape.reduce((a, b) => a * b, 1);
    if (w.name !== l.name || w.values.length !== size) throw new Error(`denoiser weights: entry ${i} is ${w.name} with ${w.values.length} values, expected ${l.name} [${l.shape.join(', ')}]`);
  });
}

/** All weights as one float32 buffer, in layout order. */
export function flattenWeights(weights: DenoiserWeights): Float32Array {
  const out = new Float32Array(weights.reduce((a, w) => a + w.values.length, 0));
  let at = 0;
  for (const w of weights) {
    out.set(w.values, at);
    at += w.values.length;
  }
  return out;
}

export function unflattenWeights(c: DenoiserConfig, flat: Float32Array): DenoiserWeights {
  const layout = denoiserLayout(c);
  const total = layout.reduce((a, l) => a + l.shape.reduce((x, y) => x * y, 1), 0);
  if (flat.length !== total) throw new Error(`denoiser weights file has ${flat.length} values, the config needs ${total}`);
  let at = 0;
  return layout.map(({ name, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = flat.slice(at, at + size);
    at += size;
    return { name, shape, values };
  });
}

/** Frequencies of the sinusoidal time features: exp(-ln(10000) k / (E/2)), k = 0..E/2-1. */
export function timeFrequencies(timeEmbedding: number): Float32Array {
  const half = timeEmbedding / 2;
  return Float32Array.from({ length: half }, (_, k) => Math.exp((-Math.log(10000) * k) / half));
}

/** [B, E] features of timesteps t [B]: [sin(t f_k)..., cos(t f_k)...], f = timeFrequencies(E). */
export function timeFeatures(t: ArrayLike<number>, timeEmbedding: number): Float32Array {
  const f = timeFrequencies(timeEmbedding);
  const half = f.length;
  const out = new Float32Array(t.length * timeEmbedding);
  for (let i = 0; i < t.length; i++) {
    for (let k = 0; k < half; k++) {
      // as float32 products, like the ONNX graph's Mul
      const a = Math.fround(Math.fround(t[i]!) * f[k]!);
      out[i * timeEmbedding + k] = Math.sin(a);
      out[i * timeEmbedding + half + k] = Math.cos(a);
    }
  }
  return out;
}

/** A moving average of a denoiser's weights (DenoiserNetwork.movingAverage). */
export interface WeightAverage {
  update(step: number): void;
  flat(): Float32Array;
  dispose(): void;
}

/** The denoiser in TF.js, for training (its variables) and as the reference for the ONNX export. */
export class DenoiserNetwork {
  readonly variables: Variable[];
  private readonly byName: Map<string, Variable>;
  private readonly ops: GraphOps;

  private constructor(
    private readonly tf: Tf,
    readonly config: DenoiserConfig,
    weights: DenoiserWeights,
  ) {
    checkDenoiserWeights(config, weights);
    this.variables = weights.map((w) => tf.variable(tf.tensor(w.values, w.shape), true, `denoiser/${w.name}/${uniqueId++}`));
    this.byName = new Map(weights.map((w, i) => [w.name, this.variables[i]!]));
    this.ops = graphOps(tf);
  }

  static create(tf: Tf, config: DenoiserConfig, seed: number): DenoiserNetwork {
    return new DenoiserNetwork(tf, config, initialDenoiserWeights(config, seed));
  }

  static fromWeights(tf: Tf, config: DenoiserConfig, weights: DenoiserWeights): DenoiserNetwork {
    return new DenoiserNetwork(tf, config, weights);
  }

  private v(name: string): Variable {
    const v = this.byName.get(name);
    if (!v) throw new Error(`denoiser has no weight ${name}`);
    return v;
  }

  private dense(x: Tensor2D, name: string): Tensor2D {
    return this.ops.dense(x, this.v(`${name}/w`), this.v(`${name}/b`));
  }

  private silu(x: Tensor2D): Tensor2D {
    return this.tf.mul(x, this.tf.sigmoid(x));
  }

  /**
   * x [B, d], time [B, E] (timeFeatures), condition [B, taskDim + 1] and mask [B, 1] (1: use the
   * condition, 0: the null token; both ignored by an unconditional denoiser) -> eps [B, d].
   */
  forward(x: Tensor2D, time: Tensor2D, condition: Tensor2D | null, mask: Tensor2D | null): Tensor2D {
    const tf = this.tf;
    const c = this.config;
    let h = tf.add(this.dense(x, 'input'), this.dense(this.silu(this.dense(time, 'time/dense0')), 'time/dense1')) as Tensor2D;
    if (c.conditional) {
      if (!condition || !mask) throw new Error('a conditional denoiser needs a condition and a mask (0 rows take the null token)');
      const embedded = this.dense(condition, 'condition');
      const nullToken = tf.reshape(this.v('null_token'), [1, c.width]);
      h = tf.add(h, tf.add(tf.mul(mask, embedded), tf.mul(tf.sub(1, mask), nullToken))) as Tensor2D;
    }
    for (let k = 0; k < c.blocks; k++) {
      const n = this.ops.layerNorm(h, this.v(`block${k}/norm/gamma`), this.v(`block${k}/norm/beta`));
      h = tf.add(h, this.dense(this.silu(this.dense(n, `block${k}/dense0`)), `block${k}/dense1`)) as Tensor2D;
    }
    const n = this.ops.layerNorm(h, this.v('output/norm/gamma'), this.v('output/norm/beta'));
    return this.dense(this.silu(n), 'output');
  }

  /** eps for a batch given as arrays (x [B*d], t [B], condition [B*(taskDim+1)] or null for the null token). */
  predict(x: Float32Array, t: ArrayLike<number>, condition: Float32Array | null): Float32Array {
    const tf = this.tf;
    const c = this.config;
    const b = t.length;
    const out = tf.tidy(() => {
      const cond = c.conditional ? tf.tensor2d(condition ?? new Float32Array(b * conditionSize(c)), [b, conditionSize(c)]) : null;
      const mask = c.conditional ? tf.fill([b, 1], condition ? 1 : 0) as Tensor2D : null;
      return this.forward(tf.tensor2d(x, [b, c.dim]), tf.tensor2d(timeFeatures(t, c.timeEmbedding), [b, c.timeEmbedding]), cond, mask);
    });
    const values = out.dataSync() as Float32Array;
    out.dispose();
    return values;
  }

  weights(): DenoiserWeights {
    return denoiserLayout(this.config).map(({ name, shape }) => ({ name, shape, values: Float32Array.from(this.v(name).dataSync() as Float32Array) }));
  }

  /** Sets every weight from flat values laid out as flattenWeights lays them. */
  assignFlat(flat: Float32Array): void {
    for (const w of unflattenWeights(this.config, flat)) this.tf.tidy(() => this.v(w.name).assign(this.tf.tensor(w.values, w.shape)));
  }

  /**
   * An exponential moving average of the weights (Polyak averaging, as diffusion models are
   * usually sampled from): `update` after every optimizer step folds the weights in with
   * decay min(decay, (1 + step) / (10 + step)), so early steps are not dominated by the
   * initialization. Its own variables, in the layout's order; `flat()` reads it as flattenWeights would.
   */
  movingAverage(decay: number, start?: Float32Array): WeightAverage {
    const layout = denoiserLayout(this.config);
    const initial = start ? unflattenWeights(this.config, start) : null;
    const shadow = layout.map(({ name, shape }, i) => this.tf.variable(initial ? this.tf.tensor(initial[i]!.values, shape) : this.v(name).clone(), false, `denoiser-ema/${name}/${uniqueId++}`));
    const live = layout.map(({ name }) => this.v(name));
    const tf = this.tf;
    return {
      update(step: number): void {
        const d = Math.min(decay, (1 + step) / (10 + step));
        tf.tidy(() => shadow.forEach((s, i) => s.assign(tf.add(tf.mul(s, d), tf.mul(live[i]!, 1 - d)))));
      },
      flat: () => flattenWeights(layout.map(({ name, shape }, i) => ({ name, shape, values: shadow[i]!.dataSync() as Float32Array }))),
      dispose: () => tf.dispose(shadow),
    };
  }

  dispose(): void {
    this.tf.dispose(this.variables);
  }
}

