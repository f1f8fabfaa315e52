import type { ApiEnvelope } from './errors';

/** What the Electron preload exposes on `window.idw` through contextBridge: forwarding only. */
export interface IdwBridge {
  readonly transport: 'electron';
  invoke(method: string, args: unknown): Promise<ApiEnvelope<unknown>>;
  /** subscribe to every workbench event; returns an unsubscribe function */
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
}

/** Browser-mode server injects the per-launch token into index.html under this meta name. */
export const TOKEN_META = 'idw-token';
