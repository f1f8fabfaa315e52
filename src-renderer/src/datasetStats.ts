import type { DatasetInfo } from '@shared/api';
import { framesOf, particleCountOf, particlesOf } from '@shared/datasetStats';

// The statistics a dataset carries in DatasetInfo.stats (typed in src-shared/api.ts): every
// figure may be missing (a dataset still building, an import without designs) and then reads as null.

export interface PhysicsDatasetStats {
  trajectories: number | null;
  /** frames per trajectory: one number, or a range for imports of mixed lengths */
  frames: string | null;
  particles: string | null;
  waterParticles: number | null;
  toolParticles: number | null;
  costMean: number | null;
  costMin: number | null;
  costMax: number | null;
  captureMean: number | null;
  bytes: number | null;
}

export function physicsStats(dataset: DatasetInfo): PhysicsDatasetStats {
  const s = dataset.stats;
  return {
    trajectories: s.trajectories ?? null,
    frames: framesOf(s),
    particles: particlesOf(s),
    waterParticles: s.waterParticles ?? null,
    toolParticles: s.toolParticles ?? null,
    costMean: s.meanCost ?? null,
    costMin: s.minCost ?? null,
    costMax: s.maxCost ?? null,
    captureMean: s.meanCapture ?? null,
    bytes: s.bytes ?? null,
  };
}

/** Particles per trajectory (water and tool), the largest where trajectories differ; null when unknown. */
export function particleCount(dataset: DatasetInfo): number | null {
  return particleCountOf(dataset.stats);
}

/** The statistics an optimization dataset carries (src-main/engine/datasets/trajectories.ts OptimizationDatasetStats). */
export interface OptimizationStats {
  rows: number | null;
  runs: number | null;
  tasks: number | null;
  optimizers: number | null;
  costMin: number | null;
  costMean: number | null;
  costMax: number | null;
  /** edges has one more entry than counts */
  histogram: { edges: number[]; counts: number[] } | null;
}

export function optimizationStats(dataset: DatasetInfo): OptimizationStats {
  const s = dataset.stats;
  return {
    rows: s.rows ?? null,
    runs: s.runs ?? null,
    tasks: s.tasks ?? null,
    optimizers: s.optimizers ?? null,
    costMin: s.minCost ?? null,
    costMean: s.meanCost ?? null,
    costMax: s.maxCost ?? null,
    histogram: s.costHistogram ?? null,
  };
}
