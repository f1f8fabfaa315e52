import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

// Worker threads cannot run TypeScript: bundle the job worker and the test job kinds from the
// current sources once per run, so tests never use a stale build.
export default async function setup(project: TestProject): Promise<() => void> {
  // inside the repo, so the bundle resolves node_modules like the real build does
  const cache = join('node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(process.cwd(), cache, 'idw-test-worker-'));
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', logLevel: 'warning', logOverride: { 'empty-import-meta': 'silent' } } as const;
  await build({ ...common, entryPoints: ['src-main/engine/jobs/worker.ts'], outfile: join(dir, 'worker.js') });
  await build({ ...common, entryPoints: ['src-main/engine/compute/compute-worker.ts'], outfile: join(dir, 'compute-worker.js') });
  await build({ ...common, entryPoints: ['test/fixtures/test-job-kinds.ts'], outfile: join(dir, 'test-job-kinds.js') });
  project.provide('workerFile', join(dir, 'worker.js'));
  project.provide('testKindsFile', join(dir, 'test-job-kinds.js'));
  project.provide('computeWorkerFile', join(dir, 'compute-worker.js'));
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    workerFile: string;
    testKindsFile: string;
    computeWorkerFile: string;
  }
}
