import type { ApiEvents, EventName } from '../../src-shared/api';

export type EventListener = <E extends EventName>(event: E, payload: ApiEvents[E]) => void;

/** Workbench events, fanned out to every transport (IPC windows, browser sockets, tests). */
export class EventBus {
  private readonly listeners = new Set<EventListener>();
  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    for (const l of this.listeners) {
      try {
        l(event, payload);
      } catch (err) {
        console.error(`[events] a listener of ${event} failed:`, err);
      }
    }
  }
}
