// Dataset statistics for the features and targets (learning_to_simulate's metadata
// vel_mean/vel_std/acc_mean/acc_std), per dimension, over the particles the model predicts.
import { isKinematic } from './features';
import type { GnsConfig, GnsNormalization } from './spec';

/** The fields of a physics trajectory the statistics read. */
export interface TrajectoryPositions {
  /** [frames * particles * 2] */
  positions: Float32Array;
  frames: number;
  particles: number;
  /** [particles] */
  particleTypes: ArrayLike<number>;
}

/** Smallest std a statistic may have, so that a degenerate dataset cannot divide by zero. */
export const MIN_STD = 1e-6;

/**
 * Means and stds of velocities (x_t - x_{t-1}) and accelerations (x_{t+1} - 2 x_t + x_{t-1}) of
 * non-kinematic particles. As in learning_to_simulate's train.py, each std is combined with the
 * training noise: sqrt(std^2 + noiseStd^2), then floored at MIN_STD.
 */
export function computeNormalization(trajectories: readonly TrajectoryPositions[], config: GnsConfig): GnsNormalization {
  if (trajectories.length === 0) throw new Error('cannot compute GNS normalization: the dataset has no trajectories');
  const minFrames = config.historyLength + 2;
  const vel = new Moments();
  const acc = new Moments();
  trajectories.forEach((t, index) => {
    const { frames, particles: n, positions } = t;
    if (frames < minFrames) {
      throw new Error(`trajectory ${index} has ${frames} frames; the GNS needs at least C + 2 = ${minFrames} (history ${config.historyLength} velocities and one target)`);
    }
    if (positions.length !== frames * n * 2) {
      throw new Error(`trajectory ${index} has ${positions.length} position values, expected frames * particles * 2 = ${frames * n * 2}`);
    }
    if (t.particleTypes.length !== n) throw new Error(`trajectory ${index} has ${t.particleTypes.length} particle types for ${n} particles`);
    for (let k = 0; k < positions.length; k++) {
      if (!Number.isFinite(positions[k])) {
        throw new Error(`trajectory ${index} has a non-finite position (frame ${Math.floor(k / (2 * n))}, particle ${Math.floor(k / 2) % n})`);
      }
    }
    for (let i = 0; i < n; i++) {
      if (isKinematic(t.particleTypes[i]!)) continue;
      for (let d = 0; d < 2; d++) {
        const at = (f: number): number => positions[(f * n + i) * 2 + d]!;
        for (let f = 1; f < frames; f++) vel.add(d, at(f) - at(f - 1));
        for (let f = 1; f < frames - 1; f++) acc.add(d, at(f + 1) - 2 * at(f) + at(f - 1));
      }
    }
  });
  if (vel.count === 0) throw new Error('cannot compute GNS normalization: the dataset has no non-kinematic particles');
  const std = (m: Moments, d: number): number => Math.max(MIN_STD, Math.sqrt(m.variance(d) + config.noiseStd ** 2));
  return {
    velocityMean: [vel.mean(0), vel.mean(1)],
    velocityStd: [std(vel, 0), std(vel, 1)],
    accelerationMean: [acc.mean(0), acc.mean(1)],
    accelerationStd: [std(acc, 0), std(acc, 1)],
  };
}

/** Running mean and variance per dimension (Welford), in float64. */
class Moments {
  private readonly n = [0, 0];
  private readonly mu = [0, 0];
  private readonly m2 = [0, 0];

  get count(): number {
    return this.n[0]!;
  }

  add(d: number, x: number): void {
    const count = ++this.n[d]!;
    const delta = x - this.mu[d]!;
    this.mu[d]! += delta / count;
    this.m2[d]! += delta * (x - this.mu[d]!);
  }

  mean(d: number): number {
    return this.mu[d]!;
  }

  /** population variance */
  variance(d: number): number {
    return this.n[d]! > 0 ? this.m2[d]! / this.n[d]! : 0;
  }
}
