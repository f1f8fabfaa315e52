import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_PATH, TOKEN_COOKIE, TOKEN_HEADER, WS_PATH } from '../../src-shared/api';
import type { ApiErrorCode, ApiEnvelope } from '../../src-shared/errors';
import { TOKEN_META } from '../../src-shared/bridge';
import type { Dispatcher } from '../api/dispatch';
import type { EventBus } from '../engine/events';

// Browser mode: the same handlers over HTTP + WebSocket on loopback only. A random token made
// at launch is required on every request and socket, so no other page or process can drive it.

export const LOOPBACK = '127.0.0.1';
// large enough for an NPZ dataset upload as base64
const MAX_BODY = 256 * 1024 * 1024;

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

const STATUS: Record<ApiErrorCode, number> = {
  invalid_argument: 400,
  unauthorized: 401,
  not_found: 404,
  unknown_method: 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};

export interface BrowserServerOptions {
  dispatch: Dispatcher;
  events: EventBus;
  /** the built renderer (out/renderer) */
  staticDir: string;
  port?: number;
  token?: string;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** decodeURIComponent, or null for malformed percent-encoding (`%`, `%E0%A4%A`). */
function decoded(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return decoded(v.join('='));
  }
  return null;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function send(res: ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(body);
}

function sendEnvelope(res: ServerResponse, envelope: ApiEnvelope<unknown>): void {
  const status = envelope.ok ? 200 : STATUS[envelope.error.code] ?? 500;
  send(res, status, JSON.stringify(envelope), 'application/json; charset=utf-8');
}

function refuse(res: ServerResponse, code: ApiErrorCode, message: string): void {
  sendEnvelope(res, { ok: false, error: { code, message } });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error(`it is larger than ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(UTF8.decode(Buffer.concat(chunks)));
      } catch {
        // a replaced byte would silently change what the caller sent (a name, a value)
        reject(new Error('it is not valid UTF-8'));
      }
    });
    req.on('error', reject);
  });
}

export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  let port = 0;
  const hostAllowed = (req: IncomingMessage): boolean =>
    req.headers.host === `${LOOPBACK}:${port}` || req.headers.host === `localhost:${port}`;

  const indexHtml = (): string | null => {
    const file = join(opts.staticDir, 'index.html');
    if (!existsSync(file)) return null;
    return readFileSync(file, 'utf8').replace(
      /<meta name="idw-token" content="[^"]*"\s*\/?>/,
      `<meta name="${TOKEN_META}" content="${token}">`,
    );
  };

  const server = createServer((req, res) => {
    void (async () => {
      // DNS rebinding: only our own loopback origin may talk to us
      if (!hostAllowed(req)) return send(res, 403, 'Forbidden host', 'text/plain; charset=utf-8');
      const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);

      if (url.pathname.startsWith(`${API_PATH}/`)) {
        if (req.method !== 'POST') return refuse(res, 'invalid_argument', 'API calls must use POST.');
        if (!sameToken(req.headers[TOKEN_HEADER] as string | undefined, token)) {
          return refuse(res, 'unauthorized', `Missing or wrong ${TOKEN_HEADER} header.`);
        }
        if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
          return refuse(res, 'invalid_argument', 'API calls must send application/json.');
        }
        let body: string;
        try {
          body = await readBody(req);
        } catch (err) {
          return refuse(res, 'invalid_argument', `The request body is refused: ${(err as Error).message}.`);
        }
        let args: unknown;
        try {
          args = body.trim() ? JSON.parse(body) : {};
        } catch (err) {
          return refuse(res, 'invalid_argument', `The request body is not valid JSON: ${(err as Error).message}`);
        }
        const method = decoded(url.pathname.slice(API_PATH.length + 1));
        if (method === null) return refuse(res, 'invalid_argument', 'The API method in the URL has malformed percent-encoding.');
        return sendEnvelope(res, await opts.dispatch(method, args));
      }

      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed', 'text/plain; charset=utf-8');

      // the printed link carries the token once; a cookie carries it for the page's assets
      const fromQuery = url.searchParams.get('token');
      if (fromQuery !== null) {
        if (!sameToken(fromQuery, token)) return send(res, 401, 'Wrong token: use the link that "idw serve" printed.', 'text/plain; charset=utf-8');
        url.searchParams.delete('token');
        return send(res, 302, '', 'text/plain', {
          location: url.pathname + (url.search || ''),
          'set-cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        });
      }
      if (!sameToken(cookieToken(req), token)) {
        return send(res, 401, 'This workbench needs its access link: open the URL that "idw serve" or "npm start" printed (it carries a token).', 'text/plain; charset=utf-8');
      }
      const path = url.pathname === '/' ? '/index.html' : decoded(url.pathname);
      if (path === null) return send(res, 400, 'Bad request: the path has malformed percent-encoding.', 'text/plain; charset=utf-8');
      if (path === '/index.html') {
        const html = indexHtml();
        return html === null
          ? send(res, 500, 'The renderer is not built: run "npm run build".', 'text/plain; charset=utf-8')
          : send(res, 200, html, CONTENT_TYPES['.html']!);
      }
      const file = normalize(join(opts.staticDir, path));
      if (!file.startsWith(normalize(opts.staticDir) + sep) || !existsSync(file) || !statSync(file).isFile()) {
        return send(res, 404, 'Not found', 'text/plain; charset=utf-8');
      }
      return send(res, 200, readFileSync(file), CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', {
        'cache-control': 'private, max-age=3600',
      });
    })().catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `Internal error: ${(err as Error).message}`, 'text/plain; charset=utf-8');
    });
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  // Keep idle keep-alive connections open well beyond Node's 5 s default: a client (a browser, a
  // script's HTTP agent) that sends its next POST on a socket the server is closing at that moment
  // gets ECONNRESET, and POSTs are not retried. Headers must still arrive within their timeout.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
    const origin = req.headers.origin;
    const originOk = origin === undefined || origin === `http://${LOOPBACK}:${port}` || origin === `http://localhost:${port}`;
    if (!hostAllowed(req) || url.pathname !== WS_PATH || !originOk || !sameToken(url.searchParams.get('token'), token)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
  });
  const clients = new Set<WebSocket>();
  sockets.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
  });
  const unsubscribe = opts.events.on((event, payload) => {
    const text = JSON.stringify({ event, payload });
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, LOOPBACK, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${LOOPBACK}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
