import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** What `idw serve --json` prints as its first stdout line. */
interface ServeAnnouncement {
  url: string;
  port: number;
  token: string;
}

const root = join(__dirname, '..', '..');
const STARTUP_TIMEOUT_MS = 30_000;

/**
 * Starts one `idw serve` on a fresh data directory for the whole run and hands its URL, token and
 * data directory to the tests through IDW_E2E_URL / IDW_E2E_ORIGIN / IDW_E2E_TOKEN /
 * IDW_E2E_DATA_DIR. Returns the teardown.
 */
export default async function startWorkbenchServer(): Promise<() => Promise<void>> {
  for (const built of ['out/main/cli.js', 'out/renderer/index.html']) {
    if (!existsSync(join(root, built))) throw new Error(`${built} is missing: run "npm run build" before the e2e tests.`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'idw-e2e-'));
  const server = spawn(
    process.execPath,
    [join(root, 'bin', 'idw.mjs'), 'serve', '--port', '0', '--data-dir', dataDir, '--json', '--no-seed'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.stderr.on('data', (chunk: Buffer) => process.stderr.write(`[idw serve] ${chunk.toString()}`));

  const announcement = await new Promise<ServeAnnouncement>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('idw serve printed no URL within 30 s')), STARTUP_TIMEOUT_MS);
    const lines = createInterface({ input: server.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as ServeAnnouncement);
      } catch {
        reject(new Error(`idw serve's first line is not JSON: ${line}`));
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`idw serve exited with code ${code} before printing its URL`));
    });
  });

  process.env.IDW_E2E_URL = announcement.url;
  process.env.IDW_E2E_ORIGIN = new URL(announcement.url).origin;
  process.env.IDW_E2E_TOKEN = announcement.token;
  process.env.IDW_E2E_DATA_DIR = dataDir;

  return async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
}
