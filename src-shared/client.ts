import { ApiError, type ApiEnvelope } from './errors';
import type { ApiEvents, EventName, MethodInput, MethodName, MethodResult } from './api';

/** What a transport must do: send one call, deliver events. */
export interface Transport {
  call(method: string, args: unknown): Promise<ApiEnvelope<unknown>>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

export interface WorkbenchClient {
  call<M extends MethodName>(method: M, args?: MethodInput<M>): Promise<MethodResult<M>>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/** A typed client over any transport; failures arrive as ApiError. */
export function createClient(transport: Transport): WorkbenchClient {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let unsubscribe: (() => void) | null = null;
  return {
    async call(method, args) {
      const envelope = await transport.call(method, args ?? {});
      if (envelope.ok) return envelope.result as never;
      throw ApiError.fromPayload(envelope.error);
    },
    on(event, listener) {
      if (!unsubscribe) {
        unsubscribe = transport.subscribe((name, payload) => {
          listeners.get(name)?.forEach((l) => l(payload));
        });
      }
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as (payload: unknown) => void;
      set.add(l);
      return () => set.delete(l);
    },
  };
}
