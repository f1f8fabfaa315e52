import { onBeforeUnmount } from 'vue';
import type { EventName } from '@shared/api';
import { useConnection } from '../api/connection';

/**
 * Runs `reload` after an event of the project (`projectId()`), at most once every `delayMs`:
 * events of a run going on come in bursts, and one read after the burst does. Unsubscribes when
 * the component unmounts.
 */
export function useProjectEvent<E extends EventName>(event: E, projectId: () => number, reload: () => unknown, delayMs: number): void {
  const { client } = useConnection();
  let pending: ReturnType<typeof setTimeout> | null = null;
  const unsubscribe = client.on(event, (payload) => {
    if ((payload as { projectId?: number }).projectId !== projectId() || pending) return;
    pending = setTimeout(() => {
      pending = null;
      void reload();
    }, delayMs);
  });
  onBeforeUnmount(() => {
    unsubscribe();
    if (pending) clearTimeout(pending);
  });
}
