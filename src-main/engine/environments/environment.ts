import type { DesignSpace, EnvironmentId, TaskSpace } from '../../../src-shared/environments';

/** A trajectory: every particle's position at every frame. */
export interface Rollout {
  frames: number;
  particles: number;
  /** [frames * particles * 2] */
  positions: Float32Array;
  /** [particles], GNS particle types */
  particleTypes: Uint8Array;
  /** simulated seconds between frames */
  frameDt: number;
}

export interface Evaluation {
  cost: number;
  capture: number;
}

/**
 * What the workbench needs of an environment: its spaces, random designs and tasks, the
 * geometry a design makes, a ground-truth rollout, and the cost of a trajectory for a task.
 */
export interface Environment {
  readonly id: EnvironmentId;
  readonly designSpace: DesignSpace;
  readonly taskSpace: TaskSpace;
  sampleDesign(rand: () => number): Float32Array;
  sampleTask(rand: () => number): Float32Array;
  /** the task used when none is given: the centre of the task range */
  defaultTask(): Float32Array;
  /** throws an ApiError naming the entry when a design is the wrong size, not finite or out of bounds */
  checkDesign(design: ArrayLike<number>, field?: string): Float32Array;
  checkTask(task: ArrayLike<number>, field?: string): Float32Array;
  /** the state at frame 0 for a design: every particle's position [N * 2] and type [N] */
  initialState(design: Float32Array): { positions: Float32Array; particleTypes: Uint8Array };
  readonly frames: number;
  readonly frameDt: number;
  /**
   * The environment's hard constraints (walls, no passing through the design's obstacles) for
   * states made by a learned simulator: corrects next [N*2] in place from current [N*2].
   */
  constraint(design: Float32Array): (next: Float32Array, current: Float32Array) => void;
  /** the ground-truth simulation of one design; stepsPerFrame k records k states per frame */
  rollout(design: Float32Array, opts?: { stepsPerFrame?: number }): Rollout;
  /** cost and capture of a trajectory for a task (docs/method.md §7) */
  evaluate(rollout: Rollout, task: Float32Array): Evaluation;
  /**
   * The outcome of a trajectory: a small, task-independent summary of its final state from which
   * evaluateOutcome gives cost and capture for any task (what a learned outcome model predicts).
   */
  readonly outcomeSpec: OutcomeSpec;
  outcome(rollout: Rollout): Float32Array;
  /** cost and capture for a task from an outcome [outcomeSpec.dim]; the cost's gradient dCost/d(outcome) too */
  evaluateOutcome(outcome: ArrayLike<number>, task: ArrayLike<number>): Evaluation & { costGradient: Float32Array };
  /** the cost alone, from the outcome's first outcomeSpec.costEntries entries (the rest may be absent) */
  outcomeCost(head: ArrayLike<number>, task: ArrayLike<number>): number;
}

/** What an environment's outcome vector holds. */
export interface OutcomeSpec {
  dim: number;
  /** a version of the summary's definition: models trained on another one are refused */
  version: string;
  /** the leading entries the cost depends on (a learned model weights them in its loss) */
  costEntries: number;
  /** short names of the leading entries, for tables */
  names: string[];
}
