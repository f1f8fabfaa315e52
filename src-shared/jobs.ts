import type { z } from 'zod';
import type { JobKind, JobParams, JobStatus, OptimizationDatasetStats, PhysicsDatasetStats, RefinementResult, SampleResult } from './api';
import type { OutcomeFidelity } from './models';

// What each job kind returns (its row's `result`), as the runners in src-main/engine/jobs/kinds
// write it. A job has no result until it has succeeded; rows written by older versions may lack
// the newer fields, which are optional here.

/** selfcheck: the database and the TF.js backend reached, a matrix product timed */
export interface SelfcheckResult {
  integrity: string;
  backend: string;
  matmulSize: number;
  matmulMedianMs: number;
  gflops: number;
}

/** dataset.physics */
export interface PhysicsDatasetResult {
  datasetId: number;
  trajectories: number;
  stats: PhysicsDatasetStats;
}

/** dataset.optimization: one entry per optimizer run */
export interface OptimizationDatasetResult {
  datasetId: number;
  runs: { run: number; optimizer: string; task: number[]; bestCost: number | null; queries: number }[];
  stats: Partial<OptimizationDatasetStats>;
}

/** What every training returns. */
export interface TrainingResult {
  modelId: number;
  steps: number;
  bestValLoss: number | null;
  stoppedEarly: boolean;
}

/** gns.train */
export interface GnsTrainResult extends TrainingResult {
  /** mean distance of the water to the ground truth by frame */
  positionError: Record<string, number | null>;
  spearman: number | null;
}

/** outcome.train */
export interface OutcomeTrainResult extends TrainingResult {
  /** ground-truth outcomes it learned from (training and held out) */
  examples: number;
  fidelity: Pick<OutcomeFidelity, 'spearmanMean' | 'spearmanWorst' | 'bestQuarterMean' | 'pickRankWorst' | 'designs' | 'tasks'>;
}

/** diffusion.train */
export interface DiffusionTrainResult extends TrainingResult {
  /** designs it learned from (training and held out) */
  examples: number;
}

/** optimize (src-main/engine/jobs/kinds/optimize.ts runOptimization) */
export interface OptimizeResult {
  /** [cumulative queries, best cost so far] */
  curve: [number, number][];
  /** designId: the best design's row in the designs table; queryId: the simulator query that found it (what exports call query_id) */
  best: { design: number[]; cost: number; capture: number | null; run: string; designId: number; queryId: number | null } | null;
  queries: number;
  datasetId: number;
  /** the runs' names (one per Adam restart) */
  runs: string[];
  /** Adam through an outcome model: its best proposals checked on the ground truth, the model refined (absent in rows older than refinement) */
  refinement?: RefinementResult | null;
}

export interface JobResults {
  selfcheck: SelfcheckResult;
  'dataset.physics': PhysicsDatasetResult;
  'gns.train': GnsTrainResult;
  'outcome.train': OutcomeTrainResult;
  optimize: OptimizeResult;
  'dataset.optimization': OptimizationDatasetResult;
  'diffusion.train': DiffusionTrainResult;
  sample: SampleResult;
}
export type JobResult<K extends JobKind = JobKind> = JobResults[K];

/** A job's parameters as stored: validated (defaults filled in) when it was started; older rows may lack newer ones. */
export type StoredJobParams<K extends JobKind> = Partial<z.output<(typeof JobParams)[K]>>;

interface JobInfoBase {
  id: number;
  projectId: number | null;
  status: JobStatus;
  /** 0..1 */
  progress: number;
  message: string | null;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

/** A job of one kind: its result is that kind's, once it has succeeded (null before). */
export type JobOfKind<K extends JobKind> = JobInfoBase & { kind: K; params: StoredJobParams<K>; result: JobResults[K] | null };
export type JobInfo = { [K in JobKind]: JobOfKind<K> }[JobKind];

/** A finished job's result, typed by its kind: throws when the job is of another kind or has no result. */
export function jobResult<K extends JobKind>(job: JobInfo, kind: K): JobResults[K] {
  if (job.kind !== kind || job.result === null) throw new Error(`Job ${job.id} (${job.kind}, ${job.status}) has no ${kind} result.`);
  return job.result as JobResults[K];
}
