import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DatasetInfo, JobInfo, JobParams, MethodResult, OptimizationDatasetInfo, TrajectoryMapping, TrajectoryPreview } from '@shared/api';
import type { z } from 'zod';
import { useConnection } from '../api/connection';
import { useLatestLoad } from '../composables/useLatestLoad';
import { base64ToBytes, bytesToBase64 } from '../base64';
import { useJobsStore } from './jobs';

export type PhysicsDatasetParams = z.input<(typeof JobParams)['dataset.physics']>;

/** One project's datasets, kept current by `datasets.changed`; generation runs as a job. */
export const useDatasetsStore = defineStore('datasets', () => {
  const { client, onResync } = useConnection();
  const jobs = useJobsStore();
  const projectId = ref<number | null>(null);
  const datasets = ref<DatasetInfo[]>([]);
  const { loaded, loading, loadError, load, reset } = useLatestLoad();

  async function refresh(): Promise<void> {
    const id = projectId.value;
    if (id === null) return;
    await load(
      () => client.call('datasets.list', { projectId: id }),
      (list) => {
        datasets.value = list;
      },
    );
  }

  function show(id: number): Promise<void> {
    if (projectId.value !== id) {
      projectId.value = id;
      datasets.value = [];
      reset();
    }
    return refresh();
  }

  /** Starts a `dataset.physics` job; the dataset appears as "building" once the job writes it. */
  function generate(project: number, params: PhysicsDatasetParams): Promise<JobInfo> {
    return jobs.start({ kind: 'dataset.physics', projectId: project, params });
  }

  async function remove(id: number): Promise<void> {
    await client.call('datasets.delete', { id });
    datasets.value = datasets.value.filter((d) => d.id !== id);
  }

  /** Throws ApiError whose message names the bad array and its shape. */
  async function importPhysics(project: number, name: string, fileName: string, npz: Uint8Array): Promise<DatasetInfo> {
    const dataset = await client.call('datasets.importPhysics', {
      projectId: project,
      name,
      fileName,
      npzBase64: bytesToBase64(npz),
    });
    if (project === projectId.value) void refresh();
    return dataset;
  }

  async function exportPhysics(id: number): Promise<{ fileName: string; bytes: Uint8Array }> {
    const { fileName, npzBase64 } = await client.call('datasets.exportPhysics', { id });
    return { fileName, bytes: base64ToBytes(npzBase64) };
  }

  /** The first rows of a trajectory file and its detected mapping; nothing is stored. */
  async function previewOptimizationImport(project: number, fileName: string, bytes: Uint8Array): Promise<TrajectoryPreview> {
    return client.call('datasets.previewImport', { projectId: project, source: { fileName, base64: bytesToBase64(bytes) } });
  }

  /** An optimization dataset from a trajectory file; all or nothing, errors name row and column. */
  async function importOptimization(project: number, name: string, fileName: string, bytes: Uint8Array, mapping: TrajectoryMapping): Promise<OptimizationDatasetInfo> {
    const dataset = await client.call('datasets.importOptimization', {
      projectId: project,
      name,
      source: { fileName, base64: bytesToBase64(bytes) },
      mapping,
    });
    if (project === projectId.value) void refresh();
    return dataset;
  }

  function exportOptimization(id: number, format: 'csv' | 'json'): Promise<{ fileName: string; content: string; rows: number }> {
    return client.call('datasets.exportOptimization', { id, format });
  }

  /** each run's cost against iteration (the cheapest record of each iteration), the first maxRuns runs */
  function runCurves(id: number, maxRuns = 24): Promise<MethodResult<'datasets.runCurves'>> {
    return client.call('datasets.runCurves', { id, maxRuns });
  }

  client.on('datasets.changed', (event) => {
    if (event.projectId === projectId.value) void refresh();
  });
  onResync(() => void refresh());

  return {
    projectId,
    datasets,
    loaded,
    loading,
    loadError,
    show,
    refresh,
    generate,
    remove,
    importPhysics,
    exportPhysics,
    previewOptimizationImport,
    importOptimization,
    exportOptimization,
    runCurves,
  };
});
