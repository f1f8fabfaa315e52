import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { JobInfo, JobParams, MethodResult } from '@shared/api';
import type { z } from 'zod';
import { useConnection } from '../api/connection';
import { useJobsStore } from './jobs';

export type SampleParams = z.input<(typeof JobParams)['sample']>;
export type BenchmarkName = 'paper' | 'diffusion';
export type Benchmark = MethodResult<'benchmarks.get'>;

/**
 * Diffusion sampling: a sampling run is a `sample` job (its curve is tracked with the optimizer
 * runs'); its designs are simulator queries, exported by id; the target placed for it; and the
 * stored benchmark figures.
 */
const TARGET_KEY = 'idw.target.';

export const useSamplingStore = defineStore('sampling', () => {
  const { client } = useConnection();
  const jobs = useJobsStore();

  function sample(projectId: number, params: SampleParams): Promise<JobInfo> {
    return jobs.start({ kind: 'sample', projectId, params });
  }

  /** These designs (by their queries' ids) as CSV or JSON, cheapest first. */
  function exportDesigns(projectId: number, queryIds: number[], format: 'csv' | 'json'): Promise<MethodResult<'designs.export'>> {
    return client.call('designs.export', { projectId, from: 'queries', ids: queryIds, topK: Math.max(1, queryIds.length), format });
  }

  /**
   * The target placed on each project's Sample tab, kept while the user visits other tabs and,
   * per project, in localStorage (`idw.target.<project id>`), so a reload finds it again.
   */
  const targets = ref(new Map<number, [number, number]>());
  function placeTarget(projectId: number, target: [number, number]): void {
    targets.value = new Map(targets.value).set(projectId, [target[0], target[1]]);
    try {
      localStorage.setItem(`${TARGET_KEY}${projectId}`, JSON.stringify([target[0], target[1]]));
    } catch {
      // storage full or disabled: the target is still kept for this session
    }
  }
  /** the target placed on a project's Sample tab, this session or stored from an earlier one; null when none (or not two finite numbers) */
  function placedTarget(projectId: number): [number, number] | null {
    const known = targets.value.get(projectId);
    if (known) return known;
    try {
      const stored = JSON.parse(localStorage.getItem(`${TARGET_KEY}${projectId}`) ?? 'null') as unknown;
      if (Array.isArray(stored) && stored.length === 2 && stored.every((v) => typeof v === 'number' && Number.isFinite(v))) return [stored[0] as number, stored[1] as number];
    } catch {
      // unreadable: as if none was stored
    }
    return null;
  }

  const benchmarks = ref<Partial<Record<BenchmarkName, Benchmark>>>({});
  const benchmarkErrors = ref<Partial<Record<BenchmarkName, unknown>>>({});

  /** A benchmark's stored results and plot; fetched once, again when asked. */
  async function loadBenchmark(name: BenchmarkName, again = false): Promise<void> {
    if (benchmarks.value[name] && !again) return;
    try {
      const result = await client.call('benchmarks.get', { name });
      benchmarks.value = { ...benchmarks.value, [name]: result };
      benchmarkErrors.value = { ...benchmarkErrors.value, [name]: undefined };
    } catch (error) {
      benchmarkErrors.value = { ...benchmarkErrors.value, [name]: error };
    }
  }

  return { sample, exportDesigns, targets, placeTarget, placedTarget, benchmarks, benchmarkErrors, loadBenchmark };
});
