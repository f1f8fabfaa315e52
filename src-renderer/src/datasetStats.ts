import type { DatasetInfo } from '@shared/api';
import { framesOf, particleCountOf, particlesOf } from '@shared/datasetStats';

// The statistics a dataset carries in DatasetInfo.stats (typed per kind in src-shared/api.ts), as
// the tables show them: every figure may be missing (a dataset still building, an import without
// designs, a figure the other kind has not) and then reads as null.

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

/** A physics dataset's figures; of an optimization dataset, only its costs. */
export function physicsStats(dataset: DatasetInfo): PhysicsDatasetStats {
  const costs = { costMean: dataset.stats.meanCost ?? null, costMin: dataset.stats.minCost ?? null, costMax: dataset.stats.maxCost ?? null };
  if (dataset.kind !== 'physics') return { trajectories: null, frames: null, particles: null, waterParticles: null, toolParticles: null, ...costs, captureMean: null, bytes: null };
  const s = dataset.stats;
  return {
    trajectories: s.trajectories ?? null,
    frames: framesOf(s),
    particles: particlesOf(s),
    waterParticles: s.waterParticles ?? null,
    toolParticles: s.toolParticles ?? null,
    ...costs,
    captureMean: s.meanCapture ?? null,
    bytes: s.bytes ?? null,
  };
}

/** Particles per trajectory (water and tool), the largest where trajectories differ; null when unknown. */
export function particleCount(dataset: DatasetInfo): number | null {
  return dataset.kind === 'physics' ? particleCountOf(dataset.stats) : null;
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

/** An optimization dataset's figures; all null for a physics dataset. */
export function optimizationStats(dataset: DatasetInfo): OptimizationStats {
  const s = dataset.kind === 'optimization' ? dataset.stats : {};
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
