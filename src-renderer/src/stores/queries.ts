import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { QueryInfo } from '@shared/api';
import { useConnection } from '../api/connection';
import { useLatestLoad } from '../composables/useLatestLoad';

export const QUERY_PAGE_SIZE = 25;

/** One project's simulator queries, a page at a time, newest first; live through `queries.added`. */
export const useQueriesStore = defineStore('queries', () => {
  const { client, onResync } = useConnection();
  const projectId = ref<number | null>(null);
  const offset = ref(0);
  const rows = ref<QueryInfo[]>([]);
  const total = ref(0);
  const { loaded, loading, loadError, load, reset } = useLatestLoad();

  const hasPrevious = computed(() => offset.value > 0);
  const hasNext = computed(() => offset.value + rows.value.length < total.value);

  async function refresh(): Promise<void> {
    const id = projectId.value;
    if (id === null) return;
    await load(
      () => client.call('queries.list', { projectId: id, limit: QUERY_PAGE_SIZE, offset: offset.value }),
      (page) => {
        // rows may have gone (a deleted project's, a shrunk list): fall back to the last page there is
        if (!page.rows.length && page.total > 0 && offset.value > 0) {
          offset.value = Math.floor((page.total - 1) / QUERY_PAGE_SIZE) * QUERY_PAGE_SIZE;
          void refresh();
          return false;
        }
        rows.value = page.rows;
        total.value = page.total;
      },
    );
  }

  /** Shows a project's queries from the first page; keeps the page when it is the same project. */
  function show(id: number): Promise<void> {
    if (projectId.value !== id) {
      projectId.value = id;
      offset.value = 0;
      rows.value = [];
      total.value = 0;
      reset();
    }
    return refresh();
  }

  function goTo(nextOffset: number): Promise<void> {
    offset.value = Math.max(0, nextOffset);
    return refresh();
  }

  const nextPage = (): Promise<void> => goTo(offset.value + QUERY_PAGE_SIZE);
  const previousPage = (): Promise<void> => goTo(offset.value - QUERY_PAGE_SIZE);

  client.on('queries.added', (event) => {
    if (event.projectId === projectId.value) void refresh();
  });
  onResync(() => void refresh());

  return {
    projectId,
    offset,
    rows,
    total,
    loaded,
    loading,
    loadError,
    hasPrevious,
    hasNext,
    show,
    refresh,
    nextPage,
    previousPage,
  };
});
