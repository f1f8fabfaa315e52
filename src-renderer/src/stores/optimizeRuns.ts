import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { JobInfo, RefinementResult, SampledDesign } from '@shared/api';
import { useConnection } from '../api/connection';
import { useJobsStore } from './jobs';

/** The jobs whose runs are drawn as best cost against queries: optimizers and diffusion sampling. */
export const RUN_KINDS: readonly JobInfo['kind'][] = ['optimize', 'sample'];

export function isRunJob(job: JobInfo): boolean {
  return RUN_KINDS.includes(job.kind);
}

/**
 * A finished run's result, read defensively: an optimize job's (src-main/engine/jobs/kinds/optimize.ts
 * OptimizeResult) or a sample job's (SampleResult), which adds every final design, cheapest first.
 */
export interface RunResult {
  curve: [number, number][];
  best: { design: number[]; cost: number; capture: number | null; run: string } | null;
  queries: number;
  datasetId: number | null;
  /** a sample job's final designs, cheapest first; empty for an optimizer */
  designs: SampledDesign[];
  /** learned-model evaluations of energy guidance, counted apart from the queries (0 for an optimizer) */
  energyEvaluations: number;
  /** the ground-truth checks of the run's proposals and the outcome model refined on them */
  refinement: RefinementResult | null;
}

function refinementOf(value: unknown): RefinementResult | null {
  const r = value as Partial<RefinementResult> | null;
  if (!r || typeof r !== 'object' || typeof r.checks !== 'number') return null;
  const b = r.best as Partial<NonNullable<RefinementResult['best']>> | null | undefined;
  const best =
    b && Array.isArray(b.design) && typeof b.cost === 'number' && typeof b.queryId === 'number'
      ? { design: b.design, cost: b.cost, capture: typeof b.capture === 'number' ? b.capture : 0, queryId: b.queryId, learnedCost: typeof b.learnedCost === 'number' ? b.learnedCost : null }
      : null;
  return { checks: r.checks, best, refinedModelId: typeof r.refinedModelId === 'number' ? r.refinedModelId : null, skipped: typeof r.skipped === 'string' ? r.skipped : null };
}

function sampledDesign(value: unknown): SampledDesign | null {
  const d = value as Partial<SampledDesign> | null;
  if (!d || typeof d !== 'object' || !Array.isArray(d.design) || typeof d.cost !== 'number' || typeof d.queryId !== 'number') return null;
  return { designId: typeof d.designId === 'number' ? d.designId : 0, queryId: d.queryId, design: d.design, cost: d.cost, capture: typeof d.capture === 'number' ? d.capture : null };
}

export function runResult(job: JobInfo): RunResult | null {
  const r = job.result as { curve?: unknown; best?: unknown; queries?: unknown; datasetId?: unknown; designs?: unknown; run?: unknown; energyEvaluations?: unknown; refinement?: unknown } | null;
  if (!r || typeof r !== 'object' || !Array.isArray(r.curve)) return null;
  const best = (r.best ?? null) as { design?: unknown; cost?: unknown; capture?: unknown; run?: unknown } | null;
  // an optimizer's best names its run; a sampling run names it once, for all its designs
  const run = typeof best?.run === 'string' ? best.run : typeof r.run === 'string' ? r.run : '';
  return {
    curve: r.curve.filter((p): p is [number, number] => Array.isArray(p) && p.length === 2),
    best:
      best && Array.isArray(best.design) && typeof best.cost === 'number'
        ? { design: best.design as number[], cost: best.cost, capture: typeof best.capture === 'number' ? best.capture : null, run }
        : null,
    queries: typeof r.queries === 'number' ? r.queries : 0,
    datasetId: typeof r.datasetId === 'number' ? r.datasetId : null,
    designs: Array.isArray(r.designs) ? r.designs.map(sampledDesign).filter((d): d is SampledDesign => d !== null) : [],
    energyEvaluations: typeof r.energyEvaluations === 'number' ? r.energyEvaluations : 0,
    refinement: refinementOf(r.refinement),
  };
}

/** "queries 12/16 · best 0.3124": the optimize job's progress message, until run.progress is emitted */
const PROGRESS_MESSAGE = /queries (\d+)\/\d+ · best ([-+0-9.eE]+)/;

/**
 * Curves of best cost against queries for optimize and sample jobs: live points from
 * `run.progress` (which sampling emits too, and each optimize job's `job.updated` progress
 * message, which carries the same figures), the job result's whole curve once it has one.
 */
export const useOptimizeRunsStore = defineStore('optimizeRuns', () => {
  const { client } = useConnection();
  const jobs = useJobsStore();
  /** live points by job id, in order of queries */
  const live = ref(new Map<number, [number, number][]>());

  function addPoint(jobId: number, queries: number, bestCost: number): void {
    const points = live.value.get(jobId) ?? [];
    const last = points[points.length - 1];
    if (last && last[0] >= queries) return;
    const next = new Map(live.value);
    next.set(jobId, [...points, [queries, bestCost]]);
    live.value = next;
  }

  client.on('run.progress', (event) => addPoint(event.jobId, event.queries, event.bestCost));
  client.on('job.updated', (job) => {
    if (job.kind !== 'optimize' || !job.message) return;
    const match = PROGRESS_MESSAGE.exec(job.message);
    if (match) addPoint(job.id, Number(match[1]), Number(match[2]));
  });

  /** a job's curve: its result's once finished, else the points seen so far */
  function curve(job: JobInfo): [number, number][] {
    const result = runResult(job);
    if (result && result.curve.length) return result.curve;
    const points = live.value.get(job.id) ?? [];
    if (points.length) return points;
    const match = job.kind === 'optimize' && job.message ? PROGRESS_MESSAGE.exec(job.message) : null;
    return match ? [[Number(match[1]), Number(match[2])]] : [];
  }

  const optimizeJobs = computed(() => (projectId: number) => jobs.jobs.filter((j) => j.kind === 'optimize' && j.projectId === projectId));
  /** the project's optimize and sample jobs, newest first */
  const runJobs = computed(() => (projectId: number) => jobs.jobs.filter((j) => isRunJob(j) && j.projectId === projectId));

  return { live, curve, optimizeJobs, runJobs };
});
