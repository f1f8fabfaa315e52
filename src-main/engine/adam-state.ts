// Adam over TF.js variables with its moments kept as tensors, so a checkpoint can hold them and a
// resumed training continues on the same loss curve (the GNS's and the denoiser's training).
import type * as TfModule from '@tensorflow/tfjs';

type Tf = typeof TfModule;

/** Adam moments and step count, flat: enough to resume training exactly. */
export interface AdamSnapshot {
  version: 1;
  /** Adam steps taken */
  step: number;
  /** first moments of all variables, concatenated in the variables' order */
  m: Float32Array;
  /** second moments, same layout */
  v: Float32Array;
}

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class VariableAdam {
  private stepCount = 0;
  private m: TfModule.Tensor[];
  private v: TfModule.Tensor[];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(
    private readonly tf: Tf,
    private readonly variables: readonly TfModule.Variable[],
    opts: AdamOptions = {},
  ) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    this.m = variables.map((x) => tf.zerosLike(x));
    this.v = variables.map((x) => tf.zerosLike(x));
  }

  get stepsTaken(): number {
    return this.stepCount;
  }

  /** One update with the gradients of variableGrads (by variable name); disposes them. */
  apply(grads: TfModule.NamedTensorMap, learningRate: number): void {
    const tf = this.tf;
    this.stepCount += 1;
    const t = this.stepCount;
    const lr = (learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    this.variables.forEach((x, k) => {
      const g = grads[x.name];
      if (!g) throw new Error(`no gradient for variable ${x.name}`);
      const [m, v] = tf.tidy(() => {
        const m = tf.add(tf.mul(this.m[k]!, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[k]!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        x.assign(tf.sub(x, tf.mul(lr, tf.div(m, tf.add(tf.sqrt(v), this.epsilon)))));
        return [m, v];
      });
      this.m[k]!.dispose();
      this.v[k]!.dispose();
      this.m[k] = m!;
      this.v[k] = v!;
    });
    tf.dispose(grads);
  }

  snapshot(): AdamSnapshot {
    return { version: 1, step: this.stepCount, m: flatTensors(this.m), v: flatTensors(this.v) };
  }

  restore(state: AdamSnapshot): void {
    const size = this.variables.reduce((a, x) => a + x.size, 0);
    if (state.version !== 1) throw new Error(`unknown optimizer state version ${String(state.version)}`);
    if (state.m.length !== size || state.v.length !== size) {
      throw new Error(`optimizer state has ${state.m.length}/${state.v.length} moments, the network has ${size} parameters`);
    }
    const split = (flat: Float32Array): TfModule.Tensor[] => splitFlat(flat, this.variables, 'optimizer moments').map((part, k) => this.tf.tensor(part, this.variables[k]!.shape));
    this.tf.dispose([...this.m, ...this.v]);
    this.m = split(state.m);
    this.v = split(state.v);
    this.stepCount = state.step;
  }

  dispose(): void {
    this.tf.dispose([...this.m, ...this.v]);
  }
}

/**
 * The inverse of flatTensors: `flat` cut into one view per tensor, in their order, each of that
 * tensor's size; `what` names the buffer when its length does not match.
 */
export function splitFlat(flat: Float32Array, like: readonly TfModule.Tensor[], what: string): Float32Array[] {
  const total = like.reduce((a, x) => a + x.size, 0);
  if (flat.length !== total) throw new Error(`${what} have ${flat.length} values, the network ${total}`);
  let at = 0;
  return like.map((x) => flat.subarray(at, (at += x.size)));
}

/** The tensors' values concatenated in their order, as one float32 buffer. */
export function flatTensors(ts: readonly TfModule.Tensor[]): Float32Array {
  const out = new Float32Array(ts.reduce((a, x) => a + x.size, 0));
  let at = 0;
  for (const x of ts) {
    out.set(x.dataSync() as Float32Array, at);
    at += x.size;
  }
  return out;
}

/**
 * What every trainer (diffusion, outcome, GNS) shares: one VariableAdam over its network's
 * variables, snapshotted into checkpoints, restored on resume, disposed at the end.
 */
export abstract class AdamTrainer {
  protected abstract readonly adam: VariableAdam;

  get stepsTaken(): number {
    return this.adam.stepsTaken;
  }

  optimizerState(): AdamSnapshot {
    return this.adam.snapshot();
  }

  restoreOptimizerState(state: AdamSnapshot): void {
    this.adam.restore(state);
  }

  dispose(): void {
    this.adam.dispose();
  }
}
