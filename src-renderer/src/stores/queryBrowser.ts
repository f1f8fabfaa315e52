import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import type { MethodInput, QueryInfo } from '@shared/api';
import { useConnection } from '../api/connection';
import { useLatestLoad } from '../composables/useLatestLoad';

export const DESIGN_PAGE_SIZE = 50;

export interface DesignFilters {
  sort: 'newest' | 'cost';
  method: string;
  simulator: '' | 'ground_truth' | 'learned';
  /** at most this cost; null: any */
  costMax: number | null;
  /** tasks within radius of (x, y); null: any */
  task: { x: number; y: number; radius: number } | null;
}

/**
 * Every evaluated design of one project (its simulator queries), sorted and filtered on the
 * server, one page of 50 fetched at a time; the selection is kept across pages by query id.
 */
export const useQueryBrowserStore = defineStore('queryBrowser', () => {
  const { client, onResync } = useConnection();
  const projectId = ref<number | null>(null);
  const filters = reactive<DesignFilters>({ sort: 'newest', method: '', simulator: '', costMax: null, task: null });
  const offset = ref(0);
  const rows = ref<QueryInfo[]>([]);
  const total = ref(0);
  const methods = ref<{ method: string; count: number }[]>([]);
  const selected = ref(new Set<number>());
  const { loaded, loading, loadError, load, reset } = useLatestLoad();

  function request(id: number): MethodInput<'queries.list'> {
    return {
      projectId: id,
      limit: DESIGN_PAGE_SIZE,
      offset: offset.value,
      sort: filters.sort,
      ...(filters.method ? { method: filters.method } : {}),
      ...(filters.simulator ? { simulator: filters.simulator } : {}),
      ...(filters.costMax !== null ? { costMax: filters.costMax } : {}),
      ...(filters.task ? { task: { ...filters.task } } : {}),
    };
  }

  async function refresh(): Promise<void> {
    const id = projectId.value;
    if (id === null) return;
    await load(
      () => Promise.all([client.call('queries.list', request(id)), client.call('queries.methods', { projectId: id })]),
      ([page, counts]) => {
        if (!page.rows.length && page.total > 0 && offset.value > 0) {
          offset.value = Math.floor((page.total - 1) / DESIGN_PAGE_SIZE) * DESIGN_PAGE_SIZE;
          void refresh();
          return false;
        }
        rows.value = page.rows;
        total.value = page.total;
        methods.value = counts;
      },
    );
  }

  function show(id: number): Promise<void> {
    if (projectId.value !== id) {
      projectId.value = id;
      Object.assign(filters, { sort: 'newest', method: '', simulator: '', costMax: null, task: null });
      offset.value = 0;
      rows.value = [];
      total.value = 0;
      selected.value = new Set();
      reset();
    }
    return refresh();
  }

  // a new sort or filter starts from the first page
  watch(
    () => JSON.stringify(filters),
    () => {
      offset.value = 0;
      void refresh();
    },
  );

  function goTo(next: number): Promise<void> {
    offset.value = Math.max(0, next);
    return refresh();
  }

  function toggle(id: number, on: boolean): void {
    const next = new Set(selected.value);
    if (on) next.add(id);
    else next.delete(id);
    selected.value = next;
  }
  const pageSelected = computed(() => rows.value.length > 0 && rows.value.every((r) => selected.value.has(r.id)));
  function selectPage(on: boolean): void {
    const next = new Set(selected.value);
    for (const r of rows.value) {
      if (on) next.add(r.id);
      else next.delete(r.id);
    }
    selected.value = next;
  }
  function clearSelection(): void {
    selected.value = new Set();
  }

  function exportDesigns(input: Omit<MethodInput<'designs.export'>, 'projectId' | 'from'>): Promise<{ fileName: string; content: string; rows: number }> {
    return client.call('designs.export', { projectId: projectId.value!, from: 'queries', ...input });
  }

  // new queries arrive in bursts (an optimizer's batch): one reload per burst
  let timer: ReturnType<typeof setTimeout> | null = null;
  client.on('queries.added', (event) => {
    if (event.projectId !== projectId.value || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void refresh();
    }, 300);
  });
  onResync(() => void refresh());

  return {
    projectId,
    filters,
    offset,
    rows,
    total,
    methods,
    selected,
    loaded,
    loading,
    loadError,
    pageSelected,
    show,
    refresh,
    nextPage: () => goTo(offset.value + DESIGN_PAGE_SIZE),
    previousPage: () => goTo(offset.value - DESIGN_PAGE_SIZE),
    toggle,
    selectPage,
    clearSelection,
    exportDesigns,
  };
});
