// The outcome model in plain TypeScript: the executable definition the TF.js network and the
// ONNX export are tested against, and what the app evaluates, since a forward pass and the
// design gradient of an MLP this small take microseconds (no tensor runtime in the hot loop).
import type { OutcomeModelConfig, OutcomeNormalization, OutcomeWeights } from './spec';

/** Hidden activations of one design x [d], layer by layer (tanh), and the outcome [D]. */
function forward(weights: OutcomeWeights, norm: OutcomeNormalization, x: ArrayLike<number>, outputs: number): { hidden: Float64Array[]; outcome: Float32Array } {
  const hidden: Float64Array[] = [];
  let h: ArrayLike<number> = x;
  const layers = weights.layers;
  for (let l = 0; l < layers.length; l++) {
    const { w, b, inputs } = layers[l]!;
    const last = l === layers.length - 1;
    // the last layer only as far as asked: the cost needs its leading entries only
    const n = last ? outputs : layers[l]!.outputs;
    const width = layers[l]!.outputs;
    const y = Float64Array.from(b.subarray(0, n));
    for (let i = 0; i < inputs; i++) {
      const hi = h[i]!;
      if (hi === 0) continue;
      const row = i * width;
      for (let j = 0; j < n; j++) y[j]! += hi * w[row + j]!;
    }
    if (!last) {
      for (let j = 0; j < n; j++) y[j] = Math.tanh(y[j]!);
      hidden.push(y);
    }
    h = y;
  }
  const outcome = new Float32Array(outputs);
  for (let k = 0; k < outputs; k++) outcome[k] = h[k]! * norm.std[k]! + norm.mean[k]!;
  return { hidden, outcome };
}

/** The predicted outcome [D] of a design [d]. */
export function predictOutcome(config: OutcomeModelConfig, weights: OutcomeWeights, norm: OutcomeNormalization, design: ArrayLike<number>): Float32Array {
  return forward(weights, norm, design, config.outcomeDim).outcome;
}

/**
 * The gradient of f(outcome) with respect to the design, where dF [D'] is df/d(outcome) of the
 * leading D' entries (the others must not enter f): backpropagation through the MLP.
 * Returns the leading D' outcome entries and dF/dx [d].
 */
export function outcomeVjp(
  config: OutcomeModelConfig,
  weights: OutcomeWeights,
  norm: OutcomeNormalization,
  design: ArrayLike<number>,
  upstream: (leading: Float32Array) => ArrayLike<number>,
  leadingEntries = config.costEntries,
): { leading: Float32Array; gradient: Float32Array } {
  const { hidden, outcome } = forward(weights, norm, design, leadingEntries);
  const dOut = upstream(outcome);
  const layers = weights.layers;
  // d/d(normalized output) = d/d(outcome) * std
  let g = Float64Array.from({ length: leadingEntries }, (_, k) => dOut[k]! * norm.std[k]!);
  for (let l = layers.length - 1; l >= 0; l--) {
    const { w, inputs, outputs } = layers[l]!;
    const n = g.length;
    const back = new Float64Array(inputs);
    for (let i = 0; i < inputs; i++) {
      const row = i * outputs;
      let s = 0;
      for (let j = 0; j < n; j++) s += w[row + j]! * g[j]!;
      back[i] = s;
    }
    if (l > 0) {
      const h = hidden[l - 1]!;
      for (let i = 0; i < inputs; i++) back[i]! *= 1 - h[i]! * h[i]!;
    }
    g = back;
  }
  return { leading: outcome, gradient: Float32Array.from(g) };
}
