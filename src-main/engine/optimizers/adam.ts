import type { Optimizer, Search } from './optimizer';

export interface AdamSettings {
  learningRate: number;
  /** independent runs from new random starts; the budget is shared equally among them */
  restarts: number;
  /** λ of the optional smoothness penalty λ · Σ_j (x_{j+1} − x_j)², added to the gradient only */
  smoothness: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Adam's state over unconstrained parameters u [d]; t steps taken. */
export interface AdamState {
  u: Float64Array;
  m: Float64Array;
  v: Float64Array;
  t: number;
}

/** One Adam step on dE/du (Kingma & Ba 2015, with bias correction); returns the new state. */
export function adamStep(state: AdamState, gradU: ArrayLike<number>, lr: number, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8): AdamState {
  const t = state.t + 1;
  const m = Float64Array.from(state.m, (mi, i) => beta1 * mi + (1 - beta1) * gradU[i]!);
  const v = Float64Array.from(state.v, (vi, i) => beta2 * vi + (1 - beta2) * gradU[i]! ** 2);
  const u = Float64Array.from(state.u, (ui, i) => ui - (lr * (m[i]! / (1 - beta1 ** t))) / (Math.sqrt(v[i]! / (1 - beta2 ** t)) + epsilon));
  return { u, m, v, t };
}

/**
 * dE/du for x = tanh(u): (dE/dx + dP/dx) ⊙ (1 − x²), P the smoothness penalty
 * λ Σ (x_{j+1} − x_j)². x and gradX [d].
 */
export function tanhGradient(x: ArrayLike<number>, gradX: ArrayLike<number>, smoothness: number): Float64Array {
  const d = x.length;
  return Float64Array.from({ length: d }, (_, j) => {
    let g = gradX[j]!;
    if (smoothness > 0) {
      if (j > 0) g += 2 * smoothness * (x[j]! - x[j - 1]!);
      if (j < d - 1) g -= 2 * smoothness * (x[j + 1]! - x[j]!);
    }
    return g * (1 - x[j]! ** 2);
  });
}

/**
 * Adam on E through the differentiable learned simulator (docs/method.md §5), after Allen et al.
 * 2022: unconstrained u, x = tanh(u) always inside (−1, 1)^d; one query per step; each restart
 * from x uniform in (−0.9, 0.9)^d. The cost a query reports is E alone; the penalty only steers.
 */
export class Adam implements Optimizer {
  readonly name = 'adam' as const;
  readonly needsGradient = true;

  constructor(readonly settings: AdamSettings) {
    if (!(settings.restarts >= 1)) throw new Error(`Adam needs at least 1 restart, got ${settings.restarts}`);
  }

  async run(search: Search, rand: () => number): Promise<void> {
    const { learningRate, restarts, smoothness, beta1, beta2, epsilon } = this.settings;
    const d = search.dim;
    const budget = search.remaining;
    for (let r = 0; r < restarts && search.remaining > 0; r++) {
      // restart r takes its equal share of the budget; the first ones take the remainder
      const steps = Math.floor(budget / restarts) + (r < budget % restarts ? 1 : 0);
      let state: AdamState = { u: Float64Array.from({ length: d }, () => Math.atanh(0.9 * (2 * rand() - 1))), m: new Float64Array(d), v: new Float64Array(d), t: 0 };
      for (let i = 0; i < steps && search.remaining > 0; i++) {
        const x = Float32Array.from(state.u, Math.tanh);
        const [e] = await search.evaluate([x], i, r);
        if (!e) return;
        state = adamStep(state, tanhGradient(x, e.gradient!, smoothness), learningRate, beta1, beta2, epsilon);
      }
    }
  }
}
