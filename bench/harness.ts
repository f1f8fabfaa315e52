// What the job-driven benchmarks share: a workbench on a fresh data directory with the bundled
// workers, the API called as the app calls it, and its envelopes unwrapped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandlers } from '../src-main/api/handlers';
import { dispatch } from '../src-main/api/dispatch';
import { Workbench } from '../src-main/engine/workbench';
import type { ApiEnvelope } from '../src-shared/errors';
import { bundleWorkers } from '../scripts/lib/bundle-workers';

export function ok<T>(e: ApiEnvelope<unknown>): T {
  if (!e.ok) throw new Error(`${e.error.code}: ${e.error.message}`);
  return e.result as T;
}

export interface BenchWorkbench {
  wb: Workbench;
  call(method: string, args: unknown): Promise<ApiEnvelope<unknown>>;
  close(): Promise<void>;
}

export async function benchWorkbench(name: string): Promise<BenchWorkbench> {
  const bundles = await bundleWorkers(join(__dirname, '..'));
  const dataDir = mkdtempSync(join(tmpdir(), `idw-bench-${name}-`));
  const wb = new Workbench({ dataDir, mode: 'cli', jobs: { entry: { file: bundles.jobWorker } }, compute: { entry: bundles.computeWorker } });
  const handlers = createHandlers(wb);
  return {
    wb,
    call: (m, a) => dispatch(handlers, m, a),
    async close() {
      await wb.close();
      bundles.remove();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
