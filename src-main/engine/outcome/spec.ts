// The learned outcome model's configuration, normalization and weights (docs/method.md §8b in the
// README): an MLP from a design to the environment's outcome vector, cost by exact algebra.

import type { OutcomeNetworkConfig } from '../../../src-shared/models';

/** The network (declared in src-shared/models.ts, where a model row's config holds it). */
export type OutcomeModelConfig = OutcomeNetworkConfig;

/** outcome = normalized output * std + mean, entry by entry: [D] each */
export interface OutcomeNormalization {
  mean: number[];
  std: number[];
}

/** Dense layers in order: w [in, out] row-major, b [out]. */
export interface OutcomeWeights {
  layers: { w: Float32Array; b: Float32Array; inputs: number; outputs: number }[];
}

export function layerSizes(c: OutcomeModelConfig): [number, number][] {
  const widths = [c.designDim, ...c.hidden, c.outcomeDim];
  return widths.slice(1).map((out, i) => [widths[i]!, out]);
}

export function checkOutcomeConfig(c: OutcomeModelConfig): void {
  const ok = (n: number): boolean => Number.isInteger(n) && n >= 1;
  if (!ok(c.designDim) || !ok(c.outcomeDim) || !ok(c.costEntries) || c.costEntries > c.outcomeDim || !c.hidden.length || !c.hidden.every(ok)) {
    throw new Error(`invalid outcome model config: ${JSON.stringify(c)}`);
  }
}

export function parameterCount(c: OutcomeModelConfig): number {
  return layerSizes(c).reduce((a, [i, o]) => a + i * o + o, 0);
}

/** The weights as one flat array, layer by layer (w then b): weights.bin and checkpoints. */
export function flattenOutcomeWeights(w: OutcomeWeights): Float32Array {
  const out = new Float32Array(w.layers.reduce((a, l) => a + l.w.length + l.b.length, 0));
  let at = 0;
  for (const l of w.layers) {
    out.set(l.w, at);
    at += l.w.length;
    out.set(l.b, at);
    at += l.b.length;
  }
  return out;
}

export function unflattenOutcomeWeights(c: OutcomeModelConfig, flat: Float32Array): OutcomeWeights {
  const expected = parameterCount(c);
  if (flat.length !== expected) throw new Error(`outcome model weights have ${flat.length} values; the config needs ${expected}`);
  let at = 0;
  const take = (n: number): Float32Array => {
    const part = flat.slice(at, at + n);
    at += n;
    return part;
  };
  return { layers: layerSizes(c).map(([inputs, outputs]) => ({ w: take(inputs * outputs), b: take(outputs), inputs, outputs })) };
}

/** Glorot-uniform weights, zero biases, from a seed. */
export function initialOutcomeWeights(c: OutcomeModelConfig, rand: () => number): OutcomeWeights {
  return {
    layers: layerSizes(c).map(([inputs, outputs]) => {
      const limit = Math.sqrt(6 / (inputs + outputs));
      return { w: Float32Array.from({ length: inputs * outputs }, () => (2 * rand() - 1) * limit), b: new Float32Array(outputs), inputs, outputs };
    }),
  };
}

/** Outcome statistics of training examples [n * D]: per entry for the cost entries, one shared std for the rest. */
export function outcomeNormalization(outcomes: Float32Array, n: number, c: OutcomeModelConfig): OutcomeNormalization {
  const d = c.outcomeDim;
  const mean = new Array<number>(d).fill(0);
  const variance = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k]! += outcomes[i * d + k]! / n;
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) variance[k]! += (outcomes[i * d + k]! - mean[k]!) ** 2 / n;
  // cells rarely reached would get a tiny std and huge normalized noise: the rest share one scale
  const rest = d - c.costEntries;
  const shared = rest > 0 ? Math.sqrt(variance.slice(c.costEntries).reduce((a, v) => a + v, 0) / rest) : 1;
  const std = variance.map((v, k) => Math.max(1e-6, k < c.costEntries ? Math.sqrt(v) : shared));
  return { mean, std };
}
