// The design optimizers (docs/method.md §5) behind one interface. An optimizer proposes batches of
// designs in [-1, 1]^d through a Search; the Search spends the query budget, keeps the best
// design and the best-cost-against-queries curve (docs/method.md §9), the same for every method.
// The objective behind it evaluates a whole batch through a Simulator, so every query is stored.

export type OptimizerName = 'adam' | 'cem' | 'cmaes' | 'random';

/** One batch handed to the objective: designs [B][d], which iteration and restart of the run. */
export interface Batch {
  designs: Float32Array[];
  iteration: number;
  restart: number;
}

export interface Evaluation {
  cost: number;
  /** dE/dx [d]; only when the optimizer needs it (Optimizer.needsGradient) */
  gradient?: Float32Array;
}

/** Evaluates a batch, one query per design, in the designs' order. */
export type Objective = (batch: Batch) => Promise<Evaluation[]>;

/** What an optimizer sees of a run: the dimension, what is left of the budget, and the objective. */
export interface Search {
  readonly dim: number;
  /** queries left; an optimizer stops when this is 0 */
  readonly remaining: number;
  /**
   * Evaluates designs (each in [-1, 1]^d, else it throws). A batch larger than what is left of
   * the budget is cut to it: the result then has fewer entries than designs were given.
   */
  evaluate(designs: Float32Array[], iteration: number, restart?: number): Promise<Evaluation[]>;
}

export interface Optimizer {
  readonly name: OptimizerName;
  /** the objective must return dE/dx with each cost */
  readonly needsGradient: boolean;
  /** proposes batches until search.remaining is 0 */
  run(search: Search, rand: () => number): Promise<void>;
}

export interface BestDesign {
  design: Float32Array;
  cost: number;
  /** 1-based query number at which it was found */
  query: number;
  restart: number;
}

export interface OptimizationResult {
  best: BestDesign | null;
  /** [cumulative queries, best cost so far], one point per batch; best cost never increases */
  curve: [number, number][];
  queries: number;
}

export interface OptimizeOptions {
  dim: number;
  /** most queries the run may make */
  budget: number;
  rand: () => number;
  /** after each batch: what was evaluated and the run so far (for progress, live curves) */
  onBatch?: (batch: Batch, evaluations: Evaluation[], sofar: OptimizationResult) => void;
}

/** Runs an optimizer on an objective within a query budget. */
export async function optimize(optimizer: Optimizer, objective: Objective, opts: OptimizeOptions): Promise<OptimizationResult> {
  if (!Number.isInteger(opts.budget) || opts.budget < 1) throw new Error(`budget must be a positive integer, got ${opts.budget}`);
  const state: OptimizationResult = { best: null, curve: [], queries: 0 };
  const search: Search = {
    dim: opts.dim,
    get remaining() {
      return opts.budget - state.queries;
    },
    async evaluate(designs, iteration, restart = 0) {
      const take = designs.slice(0, Math.max(0, opts.budget - state.queries));
      if (!take.length) return [];
      take.forEach((x, i) => checkInBounds(x, opts.dim, i));
      const batch: Batch = { designs: take, iteration, restart };
      const evaluations = await objective(batch);
      if (evaluations.length !== take.length) throw new Error(`the objective returned ${evaluations.length} evaluations for ${take.length} designs`);
      evaluations.forEach((e, i) => {
        if (!Number.isFinite(e.cost)) throw new Error(`design ${i} of iteration ${iteration}: cost is ${e.cost}`);
        if (optimizer.needsGradient && e.gradient?.length !== opts.dim) throw new Error(`${optimizer.name} needs a gradient of length ${opts.dim} with each cost`);
        if (!state.best || e.cost < state.best.cost) state.best = { design: Float32Array.from(take[i]!), cost: e.cost, query: state.queries + i + 1, restart };
      });
      state.queries += take.length;
      state.curve.push([state.queries, state.best!.cost]);
      opts.onBatch?.(batch, evaluations, state);
      return evaluations;
    },
  };
  await optimizer.run(search, opts.rand);
  return state;
}

function checkInBounds(x: Float32Array, dim: number, i: number): void {
  if (x.length !== dim) throw new Error(`design ${i} has ${x.length} entries, expected ${dim}`);
  for (let j = 0; j < dim; j++) {
    const v = x[j]!;
    if (!(v >= -1 && v <= 1)) throw new Error(`design ${i} entry ${j} is ${v}, outside [-1, 1]`);
  }
}

/** Clips every entry into [-1, 1], as float32. */
export function clipDesign(x: ArrayLike<number>): Float32Array {
  return Float32Array.from(x, (v) => Math.min(1, Math.max(-1, v)));
}
