// Fitting the outcome model: weighted MSE on normalized outcomes (the cost entries weigh as much
// as the whole density), Adam with an optional exponential decay, batches drawn per step from a
// seed so a resumed training draws the same ones.
import type * as TfModule from '@tensorflow/tfjs';
import { AdamTrainer, VariableAdam } from '../adam-state';
import type { OutcomeNetwork } from './network';
import type { OutcomeNormalization } from './spec';

type Tf = typeof TfModule;

/** Designs [n * d] and their normalized outcomes [n * D]. */
export interface OutcomeExamples {
  n: number;
  designs: Float32Array;
  targets: Float32Array;
}

export function normalizeOutcomes(outcomes: Float32Array, n: number, norm: OutcomeNormalization): Float32Array {
  const d = norm.mean.length;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) out[i * d + k] = (outcomes[i * d + k]! - norm.mean[k]!) / norm.std[k]!;
  return out;
}

/** Per-entry loss weights [D]: the cost entries share weight 1, the rest share `restWeight`. */
export function lossWeights(outcomeDim: number, costEntries: number, restWeight: number): Float32Array {
  const rest = outcomeDim - costEntries;
  return Float32Array.from({ length: outcomeDim }, (_, k) => (k < costEntries ? 1 / costEntries : restWeight / Math.max(1, rest)));
}

/**
 * `size` example indices drawn with replacement; a `focus` share of them from `focus` (examples a
 * fine-tune should weigh more: the new ground-truth checks where an optimizer went).
 */
export function drawBatch(n: number, size: number, rand: () => number, focus: readonly number[] = [], focusShare = 0): number[] {
  return Array.from({ length: size }, () => (focus.length && rand() < focusShare ? focus[Math.min(focus.length - 1, Math.floor(rand() * focus.length))]! : Math.min(n - 1, Math.floor(rand() * n))));
}

export class OutcomeTrainer extends AdamTrainer {
  protected readonly adam: VariableAdam;
  private readonly weights: TfModule.Tensor2D;

  constructor(
    private readonly tf: Tf,
    private readonly network: OutcomeNetwork,
    private readonly opts: { learningRate: number; decaySteps?: number; restWeight: number },
  ) {
    super();
    this.adam = new VariableAdam(tf, network.variables);
    const c = network.config;
    this.weights = tf.tensor2d(lossWeights(c.outcomeDim, c.costEntries, opts.restWeight), [c.outcomeDim, 1]);
  }

  /** the learning rate at a step: falls tenfold every decaySteps */
  learningRateAt(step: number): number {
    return this.opts.decaySteps ? this.opts.learningRate * 10 ** (-step / this.opts.decaySteps) : this.opts.learningRate;
  }

  /** One Adam step on the examples `idx` of data; returns the batch's loss before the update. */
  step(data: OutcomeExamples, idx: number[]): number {
    const batch = gather(data, idx);
    const { value, grads } = this.tf.variableGrads(() => this.lossTensor(batch), this.network.variables);
    const loss = value.dataSync()[0]!;
    value.dispose();
    this.adam.apply(grads, this.learningRateAt(this.adam.stepsTaken));
    return loss;
  }

  /** the loss over all of `data`, in chunks; also the loss of the cost entries alone */
  evaluate(data: OutcomeExamples, chunk = 1024): { loss: number; costLoss: number } {
    const c = this.network.config;
    let loss = 0;
    let costLoss = 0;
    for (let s = 0; s < data.n; s += chunk) {
      const idx = Array.from({ length: Math.min(chunk, data.n - s) }, (_, i) => s + i);
      const batch = gather(data, idx);
      const [l, cl] = this.tf.tidy(() => {
        const err = this.tf.square(this.tf.sub(this.network.forward(this.tf.tensor2d(batch.designs, [batch.n, c.designDim])), this.tf.tensor2d(batch.targets, [batch.n, c.outcomeDim])));
        const costErr = this.tf.slice(err, [0, 0], [batch.n, c.costEntries]);
        return [this.tf.sum(this.tf.matMul(err as TfModule.Tensor2D, this.weights)), this.tf.sum(costErr)];
      });
      loss += l!.dataSync()[0]!;
      costLoss += cl!.dataSync()[0]!;
      this.tf.dispose([l!, cl!]);
    }
    return { loss: loss / data.n, costLoss: costLoss / (data.n * c.costEntries) };
  }

  override dispose(): void {
    super.dispose();
    this.weights.dispose();
  }

  /** mean over the batch of sum_k weight_k (prediction_k - target_k)^2 */
  private lossTensor(batch: OutcomeExamples): TfModule.Scalar {
    const tf = this.tf;
    const c = this.network.config;
    const err = tf.square(tf.sub(this.network.forward(tf.tensor2d(batch.designs, [batch.n, c.designDim])), tf.tensor2d(batch.targets, [batch.n, c.outcomeDim]))) as TfModule.Tensor2D;
    return tf.mean(tf.matMul(err, this.weights)) as TfModule.Scalar;
  }
}

function gather(data: OutcomeExamples, idx: number[]): OutcomeExamples {
  const d = data.designs.length / data.n;
  const D = data.targets.length / data.n;
  const designs = new Float32Array(idx.length * d);
  const targets = new Float32Array(idx.length * D);
  idx.forEach((e, i) => {
    designs.set(data.designs.subarray(e * d, (e + 1) * d), i * d);
    targets.set(data.targets.subarray(e * D, (e + 1) * D), i * D);
  });
  return { n: idx.length, designs, targets };
}
