import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface WorkerBundles {
  dir: string;
  jobWorker: string;
  computeWorker: string;
  testJobKinds: string;
  remove(): void;
}

/**
 * Worker threads cannot run TypeScript: tests and benches bundle the worker entries from the
 * current sources (never a stale build), inside the repo so they resolve node_modules.
 */
export async function bundleWorkers(root: string): Promise<WorkerBundles> {
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'idw-workers-'));
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    logOverride: { 'empty-import-meta': 'silent' },
  } as const;
  const out = {
    jobWorker: join(dir, 'worker.js'),
    computeWorker: join(dir, 'compute-worker.js'),
    testJobKinds: join(dir, 'test-job-kinds.js'),
  };
  await Promise.all([
    build({ ...common, entryPoints: [join(root, 'src-main/engine/jobs/worker.ts')], outfile: out.jobWorker }),
    build({ ...common, entryPoints: [join(root, 'src-main/engine/compute/compute-worker.ts')], outfile: out.computeWorker }),
    build({ ...common, entryPoints: [join(root, 'test/fixtures/test-job-kinds.ts')], outfile: out.testJobKinds }),
  ]);
  return { dir, ...out, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
