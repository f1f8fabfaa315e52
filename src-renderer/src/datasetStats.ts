import type { DatasetInfo } from '@shared/api';

// The statistics a physics dataset carries in DatasetInfo.stats, read defensively: every figure
// may be missing (a dataset still building, an import without designs) and then reads as null.

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

/** "50", or "40–50" where the trajectories differ */
function countOrRange(stats: DatasetInfo['stats'], key: string, minKey: string, maxKey: string): string | null {
  const single = figure(stats, key);
  const min = figure(stats, minKey);
  const max = figure(stats, maxKey);
  if (min !== null && max !== null && min !== max) return `${min}–${max}`;
  return single === null ? null : String(single);
}

function figure(stats: DatasetInfo['stats'], key: string): number | null {
  const value = stats[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function physicsStats(dataset: DatasetInfo): PhysicsDatasetStats {
  const s = dataset.stats;
  return {
    trajectories: figure(s, 'trajectories'),
    frames: countOrRange(s, 'frames', 'framesMin', 'framesMax'),
    particles: countOrRange(s, 'particles', 'particlesMin', 'particlesMax'),
    waterParticles: figure(s, 'waterParticles'),
    toolParticles: figure(s, 'toolParticles'),
    costMean: figure(s, 'meanCost'),
    costMin: figure(s, 'minCost'),
    costMax: figure(s, 'maxCost'),
    captureMean: figure(s, 'meanCapture'),
    bytes: figure(s, 'bytes'),
  };
}

/** Particles per trajectory (water and tool), the largest where trajectories differ; null when unknown. */
export function particleCount(dataset: DatasetInfo): number | null {
  return figure(dataset.stats, 'particlesMax') ?? figure(dataset.stats, 'particles');
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

function histogram(value: unknown): OptimizationStats['histogram'] {
  if (!value || typeof value !== 'object') return null;
  const { edges, counts } = value as { edges?: unknown; counts?: unknown };
  if (!Array.isArray(edges) || !Array.isArray(counts) || edges.length !== counts.length + 1) return null;
  return { edges: edges.map(Number), counts: counts.map(Number) };
}

export function optimizationStats(dataset: DatasetInfo): OptimizationStats {
  const s = dataset.stats;
  return {
    rows: figure(s, 'rows'),
    runs: figure(s, 'runs'),
    tasks: figure(s, 'tasks'),
    optimizers: figure(s, 'optimizers'),
    costMin: figure(s, 'minCost'),
    costMean: figure(s, 'meanCost'),
    costMax: figure(s, 'maxCost'),
    histogram: histogram((s as Record<string, unknown>).costHistogram),
  };
}
