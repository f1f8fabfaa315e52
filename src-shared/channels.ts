// Transport names, kept free of imports so the sandboxed preload bundles nothing else.

/** Electron IPC channels (the preload forwards exactly these). */
export const IPC_INVOKE = 'idw:invoke';
export const IPC_EVENT = 'idw:event';

/** Browser mode: POST {API_PATH}/<method>, events over the socket at WS_PATH. */
export const API_PATH = '/api';
export const WS_PATH = '/events';
export const TOKEN_HEADER = 'x-idw-token';
export const TOKEN_COOKIE = 'idw_token';
