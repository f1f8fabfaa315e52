import type { IdwBridge } from '@shared/bridge';
import type { Transport } from '@shared/client';
import type { ApiEnvelope } from '@shared/errors';

/** Electron: forwards to the preload bridge; IPC failures become 'unavailable' envelopes. */
export function createBridgeTransport(bridge: IdwBridge): Transport {
  return {
    async call(method, args): Promise<ApiEnvelope<unknown>> {
      try {
        return await bridge.invoke(method, args);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        return {
          ok: false,
          error: { code: 'unavailable', message: `The workbench main process did not answer (${reason}).` },
        };
      }
    },
    subscribe: (listener) => bridge.onEvent(listener),
  };
}
