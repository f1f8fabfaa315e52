import type { Rollout } from '../environments';

/** Who asked: every query is stored with its project, method and run. */
export interface QueryContext {
  projectId: number;
  method: string;
  run?: string | null;
}

export interface QueryOutcome {
  queryId: number;
  cost: number;
  capture: number;
  wallMs: number;
}

/**
 * The one interface of the ground truth and the learned simulator: a batch of designs for one
 * task, each design one query, each query stored in simulator_queries.
 */
export interface Simulator {
  readonly kind: 'ground_truth' | 'learned';
  readonly modelId: number | null;
  /** designs: each [d]; task: [task dim] */
  evaluate(designs: readonly Float32Array[], task: Float32Array, ctx: QueryContext): Promise<QueryOutcome[]>;
  /** one query that also returns the trajectory, for playback */
  rollout(design: Float32Array, task: Float32Array, ctx: QueryContext): Promise<QueryOutcome & { rollout: Rollout }>;
  /**
   * The trajectory of a design this simulator already queried, for playback, stored nowhere:
   * the simulators are deterministic, so it is the rollout of that stored query.
   */
  replay(design: Float32Array, task: Float32Array): Promise<Omit<QueryOutcome, 'queryId'> & { rollout: Rollout }>;
}
