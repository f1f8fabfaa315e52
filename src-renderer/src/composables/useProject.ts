import { onBeforeUnmount, ref, watch, type Ref } from 'vue';
import type { ProjectSummary } from '@shared/api';
import { ApiError } from '@shared/errors';
import { useConnection } from '../api/connection';

export interface ProjectState {
  project: Ref<ProjectSummary | null>;
  /** the id names no project (never did, or it was deleted) */
  notFound: Ref<boolean>;
  loading: Ref<boolean>;
  loadError: Ref<unknown>;
  reload(): Promise<void>;
}

const CONTENTS_RELOAD_MS = 300;

/** One project by id from the route, reloaded when `projects.changed` concerns it. */
export function useProject(id: Ref<number | null>): ProjectState {
  const { client, onResync } = useConnection();
  const project = ref<ProjectSummary | null>(null);
  const notFound = ref(false);
  const loading = ref(false);
  const loadError = ref<unknown>(null);
  let latestRequest = 0;

  async function reload(): Promise<void> {
    const request = ++latestRequest;
    const projectId = id.value;
    if (projectId === null) {
      project.value = null;
      notFound.value = true;
      return;
    }
    loading.value = true;
    try {
      const result = await client.call('projects.get', { id: projectId });
      if (request !== latestRequest) return;
      project.value = result;
      notFound.value = false;
      loadError.value = null;
    } catch (error) {
      if (request !== latestRequest) return;
      if (error instanceof ApiError && error.code === 'not_found') {
        project.value = null;
        notFound.value = true;
        loadError.value = null;
      } else {
        loadError.value = error;
      }
    } finally {
      if (request === latestRequest) loading.value = false;
    }
  }

  watch(
    id,
    (next, previous) => {
      if (next !== previous) project.value = null;
      void reload();
    },
    { immediate: true },
  );
  const stopChanged = client.on('projects.changed', ({ projectId }) => {
    if (projectId === null || projectId === id.value) void reload();
  });
  // new queries, datasets and models change the summary's counts and best cost; a dataset job
  // adds queries in bursts and a training reports every evaluation, so such reloads are gathered into one
  let contentsTimer: ReturnType<typeof setTimeout> | null = null;
  function contentsChanged({ projectId }: { projectId: number }): void {
    if (projectId !== id.value || contentsTimer) return;
    contentsTimer = setTimeout(() => {
      contentsTimer = null;
      void reload();
    }, CONTENTS_RELOAD_MS);
  }
  const stopQueries = client.on('queries.added', contentsChanged);
  const stopDatasets = client.on('datasets.changed', contentsChanged);
  const stopModels = client.on('models.changed', contentsChanged);
  const stopResync = onResync(() => void reload());
  onBeforeUnmount(() => {
    stopChanged();
    stopQueries();
    stopDatasets();
    stopModels();
    stopResync();
    if (contentsTimer) clearTimeout(contentsTimer);
  });

  return { project, notFound, loading, loadError, reload };
}
