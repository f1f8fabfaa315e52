import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import type { DatasetInfo, JobInfo } from '../../src-shared/api';
import type { ApiEnvelope } from '../../src-shared/errors';
import { countRows, ok, testWorkbench } from './helpers';


describe('trajectory-dataset generation', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  beforeEach(() => {
    t = testWorkbench({ compute: { size: 2 } });
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
    projectId = t.wb.projects.create({ name: 'Opt', environment: 'fluidtool-2d', settings: { particles: 36, frames: 14, joints: 4 } }).id;
  });
  afterEach(() => t.dispose());

  it('runs the optimizers in turn on sampled tasks into one optimization dataset', async () => {
    const started = ok<JobInfo>(await call('jobs.start', { kind: 'dataset.optimization', projectId, params: { runs: 3, optimizers: ['cem', 'random'], budget: 8, seed: 4 } }));
    const job = await t.wb.jobs.whenFinished(started.id);
    expect(job.error).toBeNull();
    const result = job.result as { datasetId: number; runs: { optimizer: string; queries: number; task: number[] }[] };
    expect(result.runs.map((r) => r.optimizer)).toEqual(['cem', 'random', 'cem']);
    expect(result.runs.every((r) => r.queries === 8)).toBe(true);
    expect(new Set(result.runs.map((r) => r.task.join(','))).size).toBe(3);
    const ds = ok<DatasetInfo[]>(await call('datasets.list', { projectId })).find((d) => d.id === result.datasetId)!;
    expect(ds).toMatchObject({ kind: 'optimization', status: 'ready' });
    expect(ds.stats).toMatchObject({ rows: 24, runs: 3, tasks: 3, optimizers: 2 });
    expect(countRows(t.wb, 'simulator_queries')).toBe(24);
    expect(countRows(t.wb, 'designs')).toBe(3);
    const runs = t.wb.db.prepare('SELECT DISTINCT run FROM optimization_records WHERE dataset_id = ? ORDER BY run').all(result.datasetId) as { run: string }[];
    expect(runs.map((r) => r.run)).toEqual([`cem-${job.id}-1`, `cem-${job.id}-3`, `random-${job.id}-2`]);
  });

  it('refuses Adam without a learned simulator before any job exists', async () => {
    const r = await call('jobs.start', { kind: 'dataset.optimization', projectId, params: { optimizers: ['cem', 'adam'] } });
    expect(!r.ok && r.error.message).toMatch(/no ready learned model yet/);
    expect(countRows(t.wb, 'jobs')).toBe(0);
    expect(countRows(t.wb, 'datasets')).toBe(0);
  });
});
