// Learned rollout: graph inputs, one network step, integration, repeated. The step function is
// the only framework-specific part (TF.js GnsNetwork.predict now, onnxruntime later).
import type { StepInputs } from './features';
import { buildStepInputs, integrate } from './features';
import type { GnsConfig, GnsNormalization } from './spec';

/** One network evaluation: normalized acceleration [N * 2]. */
export type GnsStep = (inputs: StepInputs) => Float32Array | Promise<Float32Array>;

/**
 * initialHistory: [(C+1) * N * 2] oldest first; particleTypes: [N]; kinematicPositions: [N * 2]
 * (positions the kinematic particles take at every predicted frame; others' entries unused), or
 * null to keep them where they are. Returns [frames * N * 2], the given history frames included.
 */
export async function learnedRollout(
  step: GnsStep,
  config: GnsConfig,
  norm: GnsNormalization,
  initialHistory: Float32Array,
  particleTypes: ArrayLike<number>,
  kinematicPositions: Float32Array | null,
  frames: number,
  /** hard constraints of the environment on each new state (walls, obstacles): next [N*2] corrected in place from current [N*2] */
  constrain?: (next: Float32Array, current: Float32Array) => void,
): Promise<Float32Array> {
  const c = config.historyLength;
  const n = particleTypes.length;
  const frame = n * 2;
  if (initialHistory.length !== (c + 1) * frame) {
    throw new Error(`initial history has ${initialHistory.length} values, expected (C+1)*N*2 = ${(c + 1) * frame}`);
  }
  if (frames < c + 1) throw new Error(`a rollout of ${frames} frames is shorter than its C + 1 = ${c + 1} history frames`);
  const out = new Float32Array(frames * frame);
  out.set(initialHistory);
  for (let t = c + 1; t < frames; t++) {
    const history = out.subarray((t - c - 1) * frame, t * frame);
    const acc = await step(buildStepInputs(config, norm, history, particleTypes, n));
    if (acc.length !== frame) throw new Error(`the step function returned ${acc.length} values, expected N*2 = ${frame}`);
    const next = integrate(out.subarray((t - 1) * frame, t * frame), out.subarray((t - 2) * frame, (t - 1) * frame), acc, norm, particleTypes, kinematicPositions);
    constrain?.(next, out.subarray((t - 1) * frame, t * frame));
    out.set(next, t * frame);
  }
  return out;
}
