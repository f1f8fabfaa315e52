import { reactive, readonly } from 'vue';
import { createClient, type Transport, type WorkbenchClient } from '@shared/client';
import { TOKEN_META } from '@shared/bridge';
import { createBridgeTransport } from './bridgeTransport';
import { createHttpTransport } from './httpTransport';
import type { EventStreamControl, EventStreamStatus } from './eventStream';

export type TransportMode = 'electron' | 'browser';

/** The server writes the token into a meta tag; the launch URL's ?token= is the fallback. */
function readToken(): string {
  const meta = document.querySelector<HTMLMetaElement>(`meta[name="${TOKEN_META}"]`)?.content.trim();
  if (meta) return meta;
  return new URLSearchParams(location.search).get('token') ?? '';
}

const status = reactive<EventStreamStatus>({ state: 'connecting', retryAt: null, failures: 0 });
const resyncListeners = new Set<() => void>();

function createTransport(): { mode: TransportMode; transport: Transport; control: EventStreamControl | null } {
  if (window.idw) {
    status.state = 'open';
    return { mode: 'electron', transport: createBridgeTransport(window.idw), control: null };
  }
  const http = createHttpTransport({
    token: readToken(),
    host: location.host,
    secure: location.protocol === 'https:',
    onStatus(next) {
      Object.assign(status, next);
    },
    onReopen() {
      resyncListeners.forEach((l) => l());
    },
  });
  return { mode: 'browser', transport: http, control: http };
}

const { mode, transport, control } = createTransport();

/** The one typed client of this window. */
export const client: WorkbenchClient = createClient(transport);

/** This window's connection to the engine: the typed client and the event channel's state. */
export interface ApiConnection {
  client: WorkbenchClient;
  mode: TransportMode;
  eventStream: Readonly<EventStreamStatus>;
  reconnectNow(): void;
  /** run after the event channel reconnects, to reload state whose events were missed */
  onResync(listener: () => void): () => void;
}

const connection: ApiConnection = {
  client,
  mode,
  eventStream: readonly(status),
  reconnectNow: () => control?.reconnectNow(),
  onResync(listener) {
    resyncListeners.add(listener);
    return () => resyncListeners.delete(listener);
  },
};

export function useConnection(): ApiConnection {
  return connection;
}
