import { ref, type Ref } from 'vue';

/**
 * The state behind a ConfirmDialog that deletes one thing: `ask` opens it for a target, `confirm`
 * runs `remove` and closes it on success, or keeps it open with the failure to show.
 */
export function useDeleteConfirmation<T>(remove: (target: T) => Promise<void>) {
  const target = ref(null) as Ref<T | null>;
  const busy = ref(false);
  const failure = ref<unknown>(null);

  function ask(candidate: T): void {
    failure.value = null;
    target.value = candidate;
  }

  function close(): void {
    target.value = null;
  }

  async function confirm(): Promise<void> {
    const chosen = target.value;
    if (chosen === null || busy.value) return;
    busy.value = true;
    failure.value = null;
    try {
      await remove(chosen);
      target.value = null;
    } catch (error) {
      failure.value = error;
    } finally {
      busy.value = false;
    }
  }

  return { target, busy, failure, ask, close, confirm };
}
