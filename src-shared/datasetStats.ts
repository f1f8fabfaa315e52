import type { PhysicsDatasetStats } from './api';

// Reading a physics dataset's stored statistics (src-main/engine/datasets/physics.ts writes them):
// one copy for every reader.

/** "50", or "40–50" where the trajectories differ (single: the one count; min, max: the range when they differ). */
export function countOrRange(single: number | null | undefined, min: number | undefined, max: number | undefined): string | null {
  if (min !== undefined && max !== undefined && min !== max) return `${min}–${max}`;
  return single === null || single === undefined ? null : String(single);
}

/** Frames per trajectory: one number, or a range for imports of mixed lengths. */
export function framesOf(s: PhysicsDatasetStats): string | null {
  return countOrRange(s.frames, s.framesMin, s.framesMax);
}

/** Particles per trajectory: one number, or a range where trajectories differ. */
export function particlesOf(s: PhysicsDatasetStats): string | null {
  return countOrRange(s.particles, s.particlesMin, s.particlesMax);
}

/** Particles per trajectory (water and tool), the largest where trajectories differ; null when unknown. */
export function particleCountOf(s: PhysicsDatasetStats): number | null {
  return s.particlesMax ?? s.particles ?? null;
}
