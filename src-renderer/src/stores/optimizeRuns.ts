import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { JobInfo, JobOfKind, RefinementResult, SampledDesign } from '@shared/api';
import { useConnection } from '../api/connection';
import { useJobsStore } from './jobs';

/** The jobs whose runs are drawn as best cost against queries: optimizers and diffusion sampling. */
export const RUN_KINDS: readonly JobInfo['kind'][] = ['optimize', 'sample'];

/** An optimize or sample job. */
export type RunJob = JobOfKind<'optimize'> | JobOfKind<'sample'>;

export function isRunJob(job: JobInfo): job is RunJob {
  return RUN_KINDS.includes(job.kind);
}

/**
 * A finished run's result as the runs table and gallery read it: an optimize job's
 * (OptimizeResult) or a sample job's (SampleResult), which adds every final design, cheapest first.
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

export function runResult(job: RunJob): RunResult | null {
  if (job.kind === 'sample') {
    const r = job.result;
    if (!r) return null;
    // a sampling run names its run once, for all its designs
    const best = r.best ? { design: r.best.design, cost: r.best.cost, capture: r.best.capture, run: r.run } : null;
    return { curve: r.curve, best, queries: r.queries, datasetId: null, designs: r.designs, energyEvaluations: r.energyEvaluations ?? 0, refinement: r.refinement ?? null };
  }
  const r = job.result;
  if (!r) return null;
  const best = r.best ? { design: r.best.design, cost: r.best.cost, capture: r.best.capture, run: r.best.run } : null;
  return { curve: r.curve, best, queries: r.queries, datasetId: r.datasetId, designs: [], energyEvaluations: 0, refinement: r.refinement ?? null };
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
  function curve(job: RunJob): [number, number][] {
    const result = runResult(job);
    if (result && result.curve.length) return result.curve;
    const points = live.value.get(job.id) ?? [];
    if (points.length) return points;
    const match = job.kind === 'optimize' && job.message ? PROGRESS_MESSAGE.exec(job.message) : null;
    return match ? [[Number(match[1]), Number(match[2])]] : [];
  }

  const optimizeJobs = computed(() => (projectId: number) => jobs.jobs.filter((j): j is JobOfKind<'optimize'> => j.kind === 'optimize' && j.projectId === projectId));
  /** the project's optimize and sample jobs, newest first */
  const runJobs = computed(() => (projectId: number) => jobs.jobs.filter((j): j is RunJob => isRunJob(j) && j.projectId === projectId));

  return { live, curve, optimizeJobs, runJobs };
});
