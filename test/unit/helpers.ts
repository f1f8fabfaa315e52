import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { Workbench, type WorkbenchOptions } from '../../src-main/engine/workbench';
import { OptimizationDatasets } from '../../src-main/engine/datasets/trajectories';
import { seededRandom } from '../../src-main/engine/random';
import type { ApiEnvelope, ApiErrorPayload } from '../../src-shared/errors';

export function tempDir(prefix = 'idw-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The job worker and the test job kinds, bundled from source by global-setup.ts. */
export const FIXTURE_KINDS = inject('testKindsFile');
export const WORKER_ENTRY = { file: inject('workerFile') };
export const COMPUTE_ENTRY = inject('computeWorkerFile');

/** A workbench on a fresh data directory, with the test job kinds loaded into its workers. */
export function testWorkbench(opts: Partial<WorkbenchOptions> = {}): { wb: Workbench; dir: string; dispose(): Promise<void> } {
  const dir = tempDir();
  const wb = new Workbench({
    dataDir: dir.path,
    mode: 'cli',
    ...opts,
    jobs: { entry: WORKER_ENTRY, extraKindsModule: FIXTURE_KINDS, cancelGraceMs: 1500, ...opts.jobs },
    compute: { entry: COMPUTE_ENTRY, ...opts.compute },
  });
  return {
    wb,
    dir: dir.path,
    async dispose() {
      await wb.close();
      dir.remove();
    },
  };
}

export function countRows(wb: Workbench, table: string): number {
  return (wb.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/** The result of a call that must succeed; a failure fails the test with its message. */
export function ok<T>(e: ApiEnvelope<unknown>): T {
  if (!e.ok) throw new Error(`${e.error.code}: ${e.error.message}`);
  return e.result as T;
}

/** The error of a call that must fail. */
export function err(e: ApiEnvelope<unknown>): ApiErrorPayload {
  if (e.ok) throw new Error(`expected an error, got ${JSON.stringify(e.result)}`);
  return e.error;
}

/** The id of a process that has exited: an owner row with it belongs to a dead process. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (!child.pid) throw new Error('could not start a child process');
  return child.pid;
}

/**
 * A small ready optimization dataset for a diffusion prior of a 4-joint project: 8 CEM runs of 8
 * iterations on random tasks, costs falling with the iteration. Returns its id.
 */
export function tinyOptimizationDataset(wb: Workbench, projectId: number, seed: number): number {
  const datasets = new OptimizationDatasets(wb.db);
  const ds = datasets.create(projectId, 'runs', 'test', null);
  const rand = seededRandom(seed);
  const records = [];
  for (let r = 0; r < 8; r++) {
    const task = [0.35 + 0.5 * rand(), 0.05 + 0.04 * rand()];
    for (let i = 0; i < 8; i++) records.push({ run: `run-${r}`, optimizer: 'cem', iteration: i, task, design: [rand() - 0.5, rand() - 0.5, 0.3, -0.3], cost: 0.1 * (1 - i / 8) });
  }
  datasets.append(ds.id, records);
  datasets.finish(ds.id, 'ready');
  return ds.id;
}
