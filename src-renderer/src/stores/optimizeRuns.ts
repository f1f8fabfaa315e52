import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { JobInfo } from '@shared/api';
import { useWorkbench } from '../api/workbench';
import { useJobsStore } from './jobs';

/** A finished optimize job's result (src-main/engine/jobs/kinds/optimize.ts OptimizeResult), read defensively. */
export interface OptimizeRunResult {
  curve: [number, number][];
  best: { design: number[]; cost: number; capture: number | null; run: string } | null;
  queries: number;
  datasetId: number | null;
}

export function optimizeResult(job: JobInfo): OptimizeRunResult | null {
  const r = job.result as Partial<OptimizeRunResult> | null;
  if (!r || typeof r !== 'object' || !Array.isArray(r.curve)) return null;
  return {
    curve: r.curve.filter((p): p is [number, number] => Array.isArray(p) && p.length === 2),
    best: r.best && Array.isArray(r.best.design) ? r.best : null,
    queries: typeof r.queries === 'number' ? r.queries : 0,
    datasetId: typeof r.datasetId === 'number' ? r.datasetId : null,
  };
}

/** "queries 12/16 · best 0.3124": the optimize job's progress message, until optimize.progress is emitted */
const PROGRESS_MESSAGE = /queries (\d+)\/\d+ · best ([-+0-9.eE]+)/;

/**
 * Curves of best cost against queries for optimize jobs: live points from `optimize.progress`
 * (and from each `job.updated` progress message, which carries the same figures), the job
 * result's whole curve once it has one.
 */
export const useOptimizeRunsStore = defineStore('optimizeRuns', () => {
  const { client } = useWorkbench();
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

  client.on('optimize.progress', (event) => addPoint(event.jobId, event.queries, event.bestCost));
  client.on('job.updated', (job) => {
    if (job.kind !== 'optimize' || !job.message) return;
    const match = PROGRESS_MESSAGE.exec(job.message);
    if (match) addPoint(job.id, Number(match[1]), Number(match[2]));
  });

  /** a job's curve: its result's once finished, else the points seen so far */
  function curve(job: JobInfo): [number, number][] {
    const result = optimizeResult(job);
    if (result && result.curve.length) return result.curve;
    const points = live.value.get(job.id) ?? [];
    if (points.length) return points;
    const match = job.message ? PROGRESS_MESSAGE.exec(job.message) : null;
    return match ? [[Number(match[1]), Number(match[2])]] : [];
  }

  const optimizeJobs = computed(() => (projectId: number) => jobs.jobs.filter((j) => j.kind === 'optimize' && j.projectId === projectId));

  return { live, curve, optimizeJobs };
});
