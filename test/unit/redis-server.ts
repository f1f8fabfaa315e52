import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A private redis-server for the queue tests, as the end-to-end tests use Debian's Chromium:
// started on a free loopback port in a temporary folder, stopped after. `.ci/run` installs it.

const CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'];

/** The redis-server binary, or null with the reason the queue tests print when they skip. */
export function redisServerBinary(): { path: string | null; reason: string } {
  for (const p of CANDIDATES) if (existsSync(p)) return { path: p, reason: '' };
  const which = spawnSync('which', ['redis-server'], { encoding: 'utf8' });
  const found = which.status === 0 ? which.stdout.trim() : '';
  if (found) return { path: found, reason: '' };
  return { path: null, reason: 'redis-server is not installed (apt-get install redis-server; .ci/run installs it): the queue tests are skipped' };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServerOptions {
  password?: string;
  /** append-only file on, so a restart keeps the queue (the restart test) */
  appendOnly?: boolean;
  port?: number;
  dir?: string;
  /** TLS only (no plain port): the server's certificate and key; the URL becomes rediss:// */
  tls?: { certFile: string; keyFile: string };
}

export interface TestRedis {
  port: number;
  dir: string;
  url: string;
  proc: ChildProcess;
  /** stops the server (SIGTERM, then SIGKILL after 3 s); the folder stays for a restart */
  stop(): Promise<void>;
  /** stops it and removes its folder */
  dispose(): Promise<void>;
}

export async function startRedis(opts: RedisServerOptions = {}): Promise<TestRedis> {
  const bin = redisServerBinary().path;
  if (!bin) throw new Error('redis-server is not installed');
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'idw-redis-'));
  const listen = opts.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', opts.tls.certFile, '--tls-key-file', opts.tls.keyFile, '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const args = [...listen, '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', opts.appendOnly ? 'yes' : 'no', '--daemonize', 'no', '--loglevel', 'warning'];
  if (opts.password) args.push('--requirepass', opts.password);
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  // ready when the port accepts a connection
  const started = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited at start: ${log}`);
    if (await accepts(port)) break;
    if (Date.now() - started > 10_000) {
      proc.kill('SIGKILL');
      throw new Error(`redis-server did not listen on ${port} within 10 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return {
    port,
    dir,
    url: `${opts.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`,
    proc,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * A self-signed certificate for 127.0.0.1 made with openssl in `dir` (cert.pem, key.pem), or null
 * with the reason the TLS test prints when it skips.
 */
export function selfSignedCertificate(dir: string): { certFile: string; keyFile: string } | { reason: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (made.error || made.status !== 0) return { reason: `openssl could not make a test certificate (${made.error?.message ?? made.stderr.trim()}); apt-get install openssl (.ci/run installs it): the TLS queue test is skipped` };
  return { certFile, keyFile };
}
