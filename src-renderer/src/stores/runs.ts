import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { JobInfo, RunNote } from '@shared/api';
import { useConnection } from '../api/connection';
import { useLatestLoad } from '../composables/useLatestLoad';
import { isRunJob, type RunJob } from './optimizeRuns';

/** how many of a project's jobs the Runs tab reads (the jobs panel keeps only the newest 100 of all) */
const RUNS_LIMIT = 1000;

/**
 * The open project's runs (optimize and sample jobs, every target) with the user's names and
 * notes, live through `job.updated`; the Runs tab's table reads them.
 */
export const useRunsStore = defineStore('runs', () => {
  const { client, onResync } = useConnection();
  const projectId = ref<number | null>(null);
  const runs = ref<RunJob[]>([]);
  const notes = ref(new Map<number, RunNote>());
  const { loaded, loading, loadError, load, reset } = useLatestLoad();

  async function refresh(): Promise<void> {
    const id = projectId.value;
    if (id === null) return;
    await load(
      () => Promise.all([client.call('jobs.list', { projectId: id, limit: RUNS_LIMIT }), client.call('runs.notes', { projectId: id })]),
      ([jobs, list]) => {
        if (id !== projectId.value) return false;
        runs.value = jobs.filter(isRunJob);
        notes.value = new Map(list.map((n) => [n.jobId, n]));
      },
    );
  }

  function show(id: number): Promise<void> {
    if (projectId.value !== id) {
      projectId.value = id;
      runs.value = [];
      notes.value = new Map();
      reset();
    }
    return refresh();
  }

  function upsert(job: JobInfo): void {
    if (!isRunJob(job) || job.projectId !== projectId.value) return;
    const rest = runs.value.filter((j) => j.id !== job.id);
    runs.value = [job, ...rest].sort((a, b) => b.id - a.id);
  }

  /** saves a run's name and note (blank clears one); the stored note comes back */
  async function annotate(jobId: number, name: string, note: string): Promise<RunNote> {
    const saved = await client.call('runs.annotate', { jobId, name: name.trim() || null, note: note.trim() || null });
    const next = new Map(notes.value);
    if (saved.name === null && saved.note === null) next.delete(jobId);
    else next.set(jobId, saved);
    notes.value = next;
    return saved;
  }

  const byId = computed(() => new Map(runs.value.map((r) => [r.id, r])));

  client.on('job.updated', upsert);
  onResync(() => void refresh());

  return { projectId, runs, notes, byId, loaded, loading, loadError, show, refresh, annotate };
});
