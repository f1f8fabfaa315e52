import { API_PATH, TOKEN_HEADER, WS_PATH } from '@shared/api';
import type { Transport } from '@shared/client';
import type { ApiEnvelope, ApiErrorCode } from '@shared/errors';
import type { EventStreamControl, EventStreamStatus } from './eventStream';

export interface HttpTransportOptions {
  token: string;
  /** e.g. location.host; calls go to the same origin as the page */
  host: string;
  secure: boolean;
  onStatus(status: EventStreamStatus): void;
  /** the socket came back after a drop: events may have been missed */
  onReopen(): void;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

function failure(code: ApiErrorCode, message: string): ApiEnvelope<unknown> {
  return { ok: false, error: { code, message } };
}

function isEnvelope(body: unknown): body is ApiEnvelope<unknown> {
  if (typeof body !== 'object' || body === null || !('ok' in body)) return false;
  const b = body as Record<string, unknown>;
  if (b.ok === true) return 'result' in b;
  const error = b.error as Record<string, unknown> | undefined;
  return b.ok === false && typeof error?.code === 'string' && typeof error.message === 'string';
}

/**
 * Browser mode: POST /api/<method> with the token header; events over one WebSocket that
 * reconnects with exponential back-off while anyone listens.
 */
export function createHttpTransport(options: HttpTransportOptions): Transport & EventStreamControl {
  const listeners = new Set<(event: string, payload: unknown) => void>();
  let socket: WebSocket | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;
  let hasBeenOpen = false;

  async function call(method: string, args: unknown): Promise<ApiEnvelope<unknown>> {
    let response: Response;
    try {
      response = await fetch(`${API_PATH}/${encodeURIComponent(method)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: options.token },
        body: JSON.stringify(args ?? {}),
      });
    } catch {
      return failure(
        'unavailable',
        'The workbench server is not reachable. Check that “idw serve” (or the desktop app) is still running, then try again.',
      );
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    if (isEnvelope(body)) return body;
    const code: ApiErrorCode = response.status === 401 || response.status === 403 ? 'unauthorized' : 'internal';
    return failure(code, `The workbench server answered ${response.status} ${response.statusText} without a readable reply.`);
  }

  function deliver(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const { event, payload } = message as { event?: unknown; payload?: unknown };
    if (typeof event !== 'string') return;
    for (const listener of listeners) listener(event, payload);
  }

  function open(): void {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    const scheme = options.secure ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${options.host}${WS_PATH}?token=${encodeURIComponent(options.token)}`);
    socket = ws;
    if (!hasBeenOpen && failures === 0) options.onStatus({ state: 'connecting', retryAt: null, failures: 0 });
    ws.onopen = () => {
      const reopened = hasBeenOpen || failures > 0;
      hasBeenOpen = true;
      failures = 0;
      options.onStatus({ state: 'open', retryAt: null, failures: 0 });
      if (reopened) options.onReopen();
    };
    ws.onmessage = (e) => deliver(e.data);
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (listeners.size === 0) return;
      const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** failures) * (0.8 + 0.4 * Math.random());
      failures += 1;
      options.onStatus({ state: 'closed', retryAt: Date.now() + delay, failures });
      retryTimer = setTimeout(open, delay);
    };
  }

  function close(): void {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    const ws = socket;
    socket = null;
    ws?.close();
  }

  return {
    call,
    subscribe(listener) {
      listeners.add(listener);
      if (!socket && !retryTimer) open();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) close();
      };
    },
    reconnectNow() {
      if (socket || listeners.size === 0) return;
      open();
    },
  };
}
