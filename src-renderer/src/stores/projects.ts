import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { MethodInput, ProjectSummary } from '@shared/api';
import { useConnection } from '../api/connection';
import { useLatestLoad } from '../composables/useLatestLoad';

const CONTENTS_REFRESH_MS = 500;

/** The project list, kept current by the `projects.changed` event. */
export const useProjectsStore = defineStore('projects', () => {
  const { client, onResync } = useConnection();
  const projects = ref<ProjectSummary[]>([]);
  const { loaded, loading, loadError, load } = useLatestLoad();

  const byId = computed(() => new Map(projects.value.map((p) => [p.id, p])));

  /** Reloads the list; only the newest of overlapping requests is applied. */
  async function refresh(): Promise<void> {
    await load(
      () => client.call('projects.list'),
      (list) => {
        projects.value = list;
      },
    );
  }

  function ensureLoaded(): void {
    if (!loaded.value && !loading.value) void refresh();
  }

  /** keeps the server's order for projects.list: newest first */
  function upsert(project: ProjectSummary): void {
    const rest = projects.value.filter((p) => p.id !== project.id);
    projects.value = [...rest, project].sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
  }

  /** Throws ApiError; the dialog that asked shows it next to the fields. */
  async function create(input: MethodInput<'projects.create'>): Promise<ProjectSummary> {
    const project = await client.call('projects.create', input);
    upsert(project);
    return project;
  }

  async function rename(id: number, name: string): Promise<ProjectSummary> {
    const project = await client.call('projects.rename', { id, name });
    upsert(project);
    return project;
  }

  async function remove(id: number): Promise<void> {
    await client.call('projects.delete', { id });
    projects.value = projects.value.filter((p) => p.id !== id);
  }

  client.on('projects.changed', () => void refresh());
  // the list shows each project's best cost and counts: follow new queries, datasets and models, in batches
  let contentsTimer: ReturnType<typeof setTimeout> | null = null;
  function contentsChanged(): void {
    if (!loaded.value || contentsTimer) return;
    contentsTimer = setTimeout(() => {
      contentsTimer = null;
      void refresh();
    }, CONTENTS_REFRESH_MS);
  }
  client.on('queries.added', contentsChanged);
  client.on('datasets.changed', contentsChanged);
  client.on('models.changed', contentsChanged);
  onResync(() => void refresh());

  return { projects, loaded, loading, loadError, byId, refresh, ensureLoaded, create, rename, remove };
});
