import type { EnvironmentId, FluidTool2DSettings } from '../../../src-shared/environments';
import { createEnvironment, type Environment, type Rollout } from '../environments';
import { partGradient } from '../gns/train';

// Pure functions a compute worker can run. Arguments and results are structured-cloned;
// large arrays go back as transferables.

export interface RolloutArgs {
  environment: EnvironmentId;
  settings: FluidTool2DSettings;
  design: Float32Array;
  task: Float32Array;
  /** return the trajectory too (playback, datasets), not only cost and capture */
  keepRollout: boolean;
  /** states recorded per frame (a learned simulator's training data); default 1 */
  stepsPerFrame?: number;
}

export interface RolloutOutcome {
  cost: number;
  capture: number;
  /** wall time of the simulation itself */
  wallMs: number;
  /** the environment's task-independent outcome of the rollout [outcomeSpec.dim] */
  outcome: Float32Array;
  rollout: Rollout | null;
}

const environments = new Map<string, Environment>();
function environmentFor(id: EnvironmentId, settings: FluidTool2DSettings): Environment {
  const key = `${id}:${JSON.stringify(settings)}`;
  let env = environments.get(key);
  if (!env) {
    if (environments.size > 8) environments.clear();
    env = createEnvironment(id, settings);
    environments.set(key, env);
  }
  return env;
}

export function runRollout(args: RolloutArgs): RolloutOutcome {
  const env = environmentFor(args.environment, args.settings);
  const t0 = performance.now();
  const rollout = env.rollout(args.design, { stepsPerFrame: args.stepsPerFrame });
  const { cost, capture } = env.evaluate(rollout, args.task);
  const outcome = env.outcome(rollout);
  const wallMs = performance.now() - t0;
  return { cost, capture, wallMs, outcome, rollout: args.keepRollout ? rollout : null };
}

/** rollout: one ground-truth rollout; gnsPartGradient: half of a data-parallel GNS training step (async: TF.js) */
export const COMPUTE_FUNCTIONS = { rollout: runRollout, gnsPartGradient: partGradient } as const;
export type ComputeFunction = keyof typeof COMPUTE_FUNCTIONS;

/** Buffers in a result that can be moved, not copied, to the caller's thread. */
export function transferables(result: unknown): ArrayBuffer[] {
  const r = result as RolloutOutcome & { grads?: Float32Array };
  if (r?.grads instanceof Float32Array) return [r.grads.buffer as ArrayBuffer];
  const outcome = r?.outcome instanceof Float32Array ? [r.outcome.buffer as ArrayBuffer] : [];
  return r?.rollout ? [...outcome, r.rollout.positions.buffer as ArrayBuffer, r.rollout.particleTypes.buffer as ArrayBuffer] : outcome;
}
