import type { EnvironmentId, FluidTool2DSettings } from '../../../src-shared/environments';
import { createEnvironment, type Environment, type Rollout } from '../environments';
import { registerComputeFunction } from './registry';

// One ground-truth rollout as a compute-pool function: arguments and results are
// structured-cloned; the outcome and trajectory go back as transferables.

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

declare module './registry' {
  interface ComputeFunctions {
    /** one ground-truth rollout */
    rollout: typeof runRollout;
  }
}
registerComputeFunction('rollout', runRollout, (r) => [
  r.outcome.buffer as ArrayBuffer,
  ...(r.rollout ? [r.rollout.positions.buffer as ArrayBuffer, r.rollout.particleTypes.buffer as ArrayBuffer] : []),
]);
