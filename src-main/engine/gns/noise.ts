// Training noise (learning_to_simulate's noise_utils.py): a random walk on the input positions,
// so the model sees the drift its own rollouts produce and learns to correct it.
import { gaussian } from '../random';
import { isKinematic } from './features';

export interface NoisyWindow {
  /** [(C+1) * N * 2], oldest frame first; the oldest frame carries no noise */
  history: Float32Array;
  /** [N * 2] raw target acceleration (box units per frame^2) from the noisy history to the true next position shifted by the last frame's noise */
  targetAcceleration: Float32Array;
}

/**
 * history: [(C+1) * N * 2] oldest first; next: [N * 2]; particleTypes: [N].
 * Velocity noise ~ N(0, noiseStd^2 / C) per step, summed, so the newest position's noise has std
 * noiseStd. Kinematic particles get none. `uniform` draws from [0, 1).
 */
export function randomWalkNoise(
  history: Float32Array,
  next: Float32Array,
  particleTypes: ArrayLike<number>,
  n: number,
  historyLength: number,
  noiseStd: number,
  uniform: () => number,
): NoisyWindow {
  const c = historyLength;
  if (history.length !== (c + 1) * n * 2) throw new Error(`history has ${history.length} values, expected (C+1)*N*2 = ${(c + 1) * n * 2}`);
  const noisy = Float32Array.from(history);
  const targetAcceleration = new Float32Array(n * 2);
  const stepStd = c > 0 ? noiseStd / Math.sqrt(c) : 0;
  const normal = gaussian(uniform);
  for (let i = 0; i < n; i++) {
    const still = isKinematic(particleTypes[i]!);
    for (let d = 0; d < 2; d++) {
      let walk = 0;
      let lastStep = 0;
      for (let f = 1; f <= c; f++) {
        lastStep = still ? 0 : normal() * stepStd;
        walk += lastStep;
        const k = (f * n + i) * 2 + d;
        noisy[k] = history[k]! + walk;
      }
      // next + noise_C - 2 (x_C + noise_C) + (x_{C-1} + noise_{C-1}) = true acceleration - last velocity noise
      const kC = (c * n + i) * 2 + d;
      const kP = ((c - 1) * n + i) * 2 + d;
      targetAcceleration[2 * i + d] = next[2 * i + d]! - 2 * history[kC]! + history[kP]! - lastStep;
    }
  }
  return { history: noisy, targetAcceleration };
}
