import { defineStore } from 'pinia';
import { ref } from 'vue';
import { describeError } from '../validation';

export interface Notice {
  id: number;
  tone: 'error' | 'info';
  title: string;
  detail: string;
}

const INFO_LIFETIME_MS = 5000;

/** Toasts: every failed call that has no inline place to go is reported here. */
export const useNoticesStore = defineStore('notices', () => {
  const notices = ref<Notice[]>([]);
  let nextId = 1;

  function push(notice: Omit<Notice, 'id'>): number {
    const id = nextId++;
    notices.value = [...notices.value.slice(-4), { id, ...notice }];
    if (notice.tone === 'info') setTimeout(() => dismiss(id), INFO_LIFETIME_MS);
    return id;
  }

  /** `action` says what failed, e.g. "Could not cancel job 3". Errors stay until dismissed. */
  function reportError(action: string, error: unknown): void {
    push({ tone: 'error', title: action, detail: describeError(error) });
  }

  function inform(title: string, detail = ''): void {
    push({ tone: 'info', title, detail });
  }

  function dismiss(id: number): void {
    notices.value = notices.value.filter((n) => n.id !== id);
  }

  return { notices, reportError, inform, dismiss };
});
