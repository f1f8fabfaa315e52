// Denoising training of the diffusion prior (docs/method.md §2): E ||eps - eps_theta(x_t, t, y)||^2
// with x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t uniform, the condition y replaced by the
// null token with probability `conditionDropout`; Adam.
import type * as TfModule from '@tensorflow/tfjs';
import { AdamTrainer, VariableAdam } from '../adam-state';
import { gaussian } from '../random';
import { seededRandom } from '../random';
import type { DiffusionExamples } from './training-data';
import { conditionSize, timeFeatures, type DenoiserNetwork } from './denoiser';
import type { Schedule } from './schedule';

type Tf = typeof TfModule;

/** A batch as arrays: noisy designs, their timesteps, noise, conditions and masks. */
export interface DenoisingBatch {
  b: number;
  /** [b*d] */
  xt: Float32Array;
  /** [b] */
  t: Int32Array;
  /** [b*d] */
  eps: Float32Array;
  /** [b*(k+1)] */
  conditions: Float32Array;
  /** [b] 1 keeps the condition, 0 takes the null token */
  mask: Float32Array;
}

/** `size` examples drawn with replacement, noised at uniform timesteps; the same rand, the same batch. */
export function denoisingBatch(examples: DiffusionExamples, schedule: Schedule, size: number, conditionDropout: number, rand: () => number): DenoisingBatch {
  if (examples.n === 0) throw new Error('no training examples');
  const d = examples.dim;
  const k = examples.conditions.length / Math.max(1, examples.n);
  const normal = gaussian(rand);
  const batch: DenoisingBatch = {
    b: size,
    xt: new Float32Array(size * d),
    t: new Int32Array(size),
    eps: new Float32Array(size * d),
    conditions: new Float32Array(size * k),
    mask: new Float32Array(size),
  };
  for (let i = 0; i < size; i++) {
    const e = Math.min(examples.n - 1, Math.floor(rand() * examples.n));
    const t = Math.min(schedule.timesteps - 1, Math.floor(rand() * schedule.timesteps));
    const ab = schedule.alphaBars[t]!;
    const a = Math.sqrt(ab);
    const s = Math.sqrt(1 - ab);
    batch.t[i] = t;
    for (let j = 0; j < d; j++) {
      const z = normal();
      batch.eps[i * d + j] = z;
      batch.xt[i * d + j] = a * examples.designs[e * d + j]! + s * z;
    }
    batch.conditions.set(examples.conditions.subarray(e * k, (e + 1) * k), i * k);
    batch.mask[i] = rand() < conditionDropout ? 0 : 1;
  }
  return batch;
}

export class DiffusionTrainer extends AdamTrainer {
  learningRate: number;
  protected readonly adam: VariableAdam;

  constructor(
    private readonly tf: Tf,
    private readonly network: DenoiserNetwork,
    opts: { learningRate: number },
  ) {
    super();
    this.learningRate = opts.learningRate;
    this.adam = new VariableAdam(tf, network.variables);
  }

  /** One Adam step; returns the batch's loss before the update. */
  step(batch: DenoisingBatch): number {
    const { value, grads } = this.tf.variableGrads(() => this.lossTensor(batch), this.network.variables);
    const loss = value.dataSync()[0]!;
    value.dispose();
    this.adam.apply(grads, this.learningRate);
    return loss;
  }

  loss(batch: DenoisingBatch): number {
    const value = this.tf.tidy(() => this.lossTensor(batch));
    const loss = value.dataSync()[0]!;
    value.dispose();
    return loss;
  }

  /** mean over batch and dimensions of (eps_theta - eps)^2 */
  private lossTensor(batch: DenoisingBatch): TfModule.Scalar {
    const tf = this.tf;
    const c = this.network.config;
    const k = conditionSize(c);
    const b = batch.b;
    const pred = this.network.forward(
      tf.tensor2d(batch.xt, [b, c.dim]),
      tf.tensor2d(timeFeatures(batch.t, c.timeEmbedding), [b, c.timeEmbedding]),
      c.conditional ? tf.tensor2d(batch.conditions, [b, k]) : null,
      c.conditional ? tf.tensor2d(batch.mask, [b, 1]) : null,
    );
    return tf.mean(tf.square(tf.sub(pred, tf.tensor2d(batch.eps, [b, c.dim])))) as TfModule.Scalar;
  }
}

/** Step k's batch depends only on (seed, k): a resumed training draws the same batches. */
export function stepRandom(seed: number, step: number): () => number {
  let h = Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2f) ^ Math.imul(step + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca77);
  return seededRandom((h ^ (h >>> 13)) >>> 0);
}
