import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server';
import { countRows, testWorkbench } from './helpers';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

function socket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with HTTP ${res.statusCode}`)));
  });
}

describe('browser-mode server', () => {
  let t: ReturnType<typeof testWorkbench>;
  let server: BrowserServer;
  const api = (method: string, args: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
    http(server.port, `/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-idw-token': server.token, ...headers },
      body: JSON.stringify(args),
    });

  beforeEach(async () => {
    t = testWorkbench();
    const staticDir = join(t.dir, 'renderer');
    mkdirSync(join(staticDir, 'assets'), { recursive: true });
    writeFileSync(join(staticDir, 'index.html'), '<html><head><meta name="idw-token" content=""></head><body>app</body></html>');
    writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    const handlers = createHandlers(t.wb);
    server = await startBrowserServer({ dispatch: (m, a) => dispatch(handlers, m, a), events: t.wb.events, staticDir });
  });
  afterEach(async () => {
    await server.close();
    await t.dispose();
  });

  it('listens on 127.0.0.1 and prints a URL with a long random token', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=`));
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('is not reachable on the machine\'s other addresses', async (ctx) => {
    const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) {
      console.log('skipped: this machine has no non-loopback IPv4 address to try');
      ctx.skip();
      return;
    }
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ host: external.address, port: server.port });
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('refuses API calls without the token or with a wrong one, and runs nothing', async () => {
    const none = await http(server.port, '/api/projects.create', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sneaky' }),
    });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const wrong = await api('projects.create', { name: 'sneaky' }, { 'x-idw-token': 'x'.repeat(server.token.length) });
    expect(wrong.status).toBe(401);
    expect(countRows(t.wb, 'projects')).toBe(0);
  });

  it('serves the API with the token, with typed errors as HTTP statuses', async () => {
    const ok = await api('projects.create', { name: 'Via HTTP' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, result: { name: 'Via HTTP' } });
    const invalid = await api('projects.create', { name: 'x', settings: { joints: 1 } });
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body).error.issues[0].path).toBe('settings.joints');
    expect((await api('projects.create', { name: 'via http' })).status).toBe(409);
    expect((await api('projects.get', { id: 99 })).status).toBe(404);
    expect((await api('no.such', {})).status).toBe(404);
    const notJson = await http(server.port, '/api/projects.list', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-idw-token': server.token },
      body: '{"name": ',
    });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).error.message).toMatch(/not valid JSON/);
    const form = await http(server.port, '/api/projects.list', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-idw-token': server.token },
      body: '{}',
    });
    expect(form.status).toBe(400);
  });

  it('refuses requests whose Host is not its own loopback address (DNS rebinding)', async () => {
    const r = await http(server.port, '/api/app.ping', {
      method: 'POST',
      headers: { host: `evil.example:${server.port}`, 'content-type': 'application/json', 'x-idw-token': server.token },
      body: '{}',
    });
    expect(r.status).toBe(403);
  });

  it('serves the page only with the token, then by an HttpOnly SameSite cookie, with the token injected', async () => {
    expect((await http(server.port, '/')).status).toBe(401);
    expect((await http(server.port, '/assets/app.js')).status).toBe(401);
    expect((await http(server.port, '/?token=wrong')).status).toBe(401);
    const login = await http(server.port, `/?token=${server.token}`);
    expect(login.status).toBe(302);
    expect(login.headers.location).toBe('/');
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await http(server.port, '/', { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<meta name="idw-token" content="${server.token}">`);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    const asset = await http(server.port, '/assets/app.js', { headers: { cookie: cookie.split(';')[0]! } });
    expect(asset.status).toBe(200);
    const escape = await http(server.port, '/../../etc/passwd', { headers: { cookie: cookie.split(';')[0]! } });
    expect(escape.status).toBe(404);
  });

  it('refuses sockets without the token or from a foreign origin; streams events to the rest', async () => {
    const base = `ws://127.0.0.1:${server.port}/events`;
    await expect(socket(base)).rejects.toThrow(/401/);
    await expect(socket(`${base}?token=nope`)).rejects.toThrow(/401/);
    await expect(socket(`${base}?token=${server.token}`, { origin: 'http://evil.example' })).rejects.toThrow(/401/);
    const ws = await socket(`${base}?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
    const message = new Promise<unknown>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    await api('projects.create', { name: 'Evented' });
    expect(await message).toEqual({ event: 'projects.changed', payload: { projectId: 1 } });
    ws.close();
  });
});
