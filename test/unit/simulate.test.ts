import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { runRollout } from '../../src-main/engine/compute/rollout';
import type { ApiEnvelope } from '../../src-shared/errors';
import { asDatasetKind, type DatasetInfo, type JobInfo, type PhysicsDatasetInfo, type SimulationResult } from '../../src-shared/api';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import { countRows, err, ok, testWorkbench } from './helpers';


// a small project keeps these tests quick: 64 particles, 20 frames
const SMALL = { particles: 64, frames: 20, joints: 6 };

describe('simulator interface and simulate.run', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  beforeEach(() => {
    t = testWorkbench({ compute: { size: 2 } });
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
    projectId = t.wb.projects.create({ name: 'Sim', environment: 'fluidtool-2d', settings: SMALL }).id;
  });
  afterEach(() => t.dispose());

  it('replays a stored query: the same rollout, cost and capture, and no new query; refuses a query of another project or of an outcome model', async () => {
    const design = Array.from({ length: 6 }, (_, i) => Math.cos(i) * 0.7);
    const first = ok<SimulationResult>(await call('simulate.run', { projectId, design, task: [0.5, 0.07] }));
    const rows = countRows(t.wb, 'simulator_queries');
    const again = ok<SimulationResult>(await call('simulate.replay', { projectId, queryId: first.queryId }));
    expect(countRows(t.wb, 'simulator_queries')).toBe(rows);
    expect(again.queryId).toBe(first.queryId);
    expect([again.cost, again.capture, again.design, again.task]).toEqual([first.cost, first.capture, first.design, first.task]);
    expect(again.rollout.positions).toBe(first.rollout.positions);
    const other = t.wb.projects.create({ name: 'Other', environment: 'fluidtool-2d', settings: SMALL }).id;
    expect(err(await call('simulate.replay', { projectId: other, queryId: first.queryId }))).toMatchObject({ code: 'not_found', message: expect.stringMatching(new RegExp(`no simulator query ${first.queryId}`)) });
    expect(err(await call('simulate.replay', { projectId, queryId: 987_654 })).code).toBe('not_found');
    expect(countRows(t.wb, 'simulator_queries')).toBe(rows);
  });

  it('evaluates a batch over the workers: one stored query per design, costs equal to a single-thread run', async () => {
    const env = t.wb.environment(projectId);
    const designs = [0, 1, 2, 3, 4].map((k) => Float32Array.from({ length: 6 }, (_, i) => Math.sin(k + i)));
    const task = Float32Array.of(0.5, 0.2);
    const outcomes = await t.wb.simulator(projectId).evaluate(designs, task, { projectId, method: 'test', run: 'batch-1' });
    expect(outcomes).toHaveLength(5);
    expect(countRows(t.wb, 'simulator_queries')).toBe(5);
    const settings = { ...FLUIDTOOL2D_DEFAULTS, ...SMALL };
    designs.forEach((design, i) => {
      const inline = runRollout({ environment: env.id, settings, design, task, keepRollout: false });
      expect(outcomes[i]!.cost).toBe(inline.cost);
      expect(outcomes[i]!.capture).toBe(inline.capture);
    });
    const stored = t.wb.queries.list(projectId, 10, 0).reverse();
    expect(stored.map((q) => q.id)).toEqual(outcomes.map((o) => o.queryId));
    expect(stored.map((q) => q.cost)).toEqual(outcomes.map((o) => o.cost));
    expect(stored.every((q) => q.method === 'test' && q.run === 'batch-1' && q.simulator === 'ground_truth' && q.wallMs > 0)).toBe(true);
    expect(Array.from(stored[2]!.design)).toEqual(Array.from(designs[2]!));
  });

  it('simulate.run returns a playable rollout, stores the query and lists it first', async () => {
    const r = ok<SimulationResult>(await call('simulate.run', { projectId, design: [0.1, 0, 0, -0.3, 0, 0], task: [0.4, 0.07] }));
    expect(r.rollout.frames).toBe(20);
    const positions = new Float32Array(Buffer.from(r.rollout.positions, 'base64').buffer.slice(0));
    expect(positions.length).toBe(r.rollout.frames * r.rollout.particles * 2);
    expect(r.rollout.particleTypes.filter((x) => x === 5)).toHaveLength(64);
    expect(r.cost).toBeGreaterThan(0);
    expect(r.capture).toBeGreaterThanOrEqual(0);
    const list = ok<{ total: number; rows: { id: number; cost: number; method: string }[] }>(await call('queries.list', { projectId }));
    expect(list.total).toBe(1);
    expect(list.rows[0]).toMatchObject({ id: r.queryId, cost: r.cost, method: 'manual' });
  });

  it.each([
    ['the wrong number of joints', { design: [0, 0, 0] }, /has 3 entries; this project's designs have 6/],
    ['an entry out of [-1, 1]', { design: [0, 0, 1.5, 0, 0, 0] }, /design\[2\] is 1.5/],
    ['a task outside the task range', { design: [0, 0, 0, 0, 0, 0], task: [0.5, 0.9] }, /outside this project's task range/],
    ['a non-numeric entry', { design: [0, 'a', 0, 0, 0, 0] }, /design\.1: must be a number/],
  ])('simulate.run refuses %s and stores no query', async (_label, args, message) => {
    const e = err(await call('simulate.run', { projectId, ...args }));
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toMatch(message);
    expect(countRows(t.wb, 'simulator_queries')).toBe(0);
  });

  it('pages queries newest first', async () => {
    const designs = Array.from({ length: 7 }, (_, k) => Float32Array.from({ length: 6 }, () => k / 10));
    await t.wb.simulator(projectId).evaluate(designs, Float32Array.of(0.5, 0.2), { projectId, method: 'test' });
    const page = ok<{ total: number; rows: { id: number }[] }>(await call('queries.list', { projectId, limit: 3, offset: 3 }));
    expect(page.total).toBe(7);
    expect(page.rows.map((r) => r.id)).toEqual([4, 3, 2]);
  });
});

describe('physics dataset job', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  beforeEach(() => {
    t = testWorkbench({ compute: { size: 2 } });
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
    projectId = t.wb.projects.create({ name: 'Data', environment: 'fluidtool-2d', settings: SMALL }).id;
  });
  afterEach(() => t.dispose());

  it('generates N trajectories with their queries, reproducibly from the seed', async () => {
    const job = ok<JobInfo>(await call('jobs.start', { kind: 'dataset.physics', projectId, params: { count: 6, seed: 3, name: 'six' } }));
    const done = await t.wb.jobs.whenFinished(job.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    const [ds] = ok<PhysicsDatasetInfo[]>(await call('datasets.list', { projectId }));
    expect(ds).toMatchObject({ name: 'six', kind: 'physics', status: 'ready', source: 'generated', jobId: job.id });
    expect(ds!.stats.trajectories).toBe(6);
    expect(ds!.stats.frames).toBe(20);
    expect(countRows(t.wb, 'physics_trajectories')).toBe(6);
    const queries = t.wb.queries.list(projectId, 100, 0);
    expect(queries).toHaveLength(6);
    expect(queries.every((q) => q.method === 'dataset.physics' && q.run === `dataset-${ds!.id}`)).toBe(true);
    // the same seed gives the same designs and tasks
    const again = ok<JobInfo>(await call('jobs.start', { kind: 'dataset.physics', projectId, params: { count: 6, seed: 3 } }));
    await t.wb.jobs.whenFinished(again.id);
    const [second, first] = ok<DatasetInfo[]>(await call('datasets.list', { projectId }));
    const a = t.wb.datasets.trajectories(first!.id);
    const b = t.wb.datasets.trajectories(second!.id);
    expect(b.map((x) => Array.from(x.design))).toEqual(a.map((x) => Array.from(x.design)));
    expect(b.map((x) => x.cost)).toEqual(a.map((x) => x.cost));
  });

  it('keeps what a cancelled job wrote, marked incomplete', async () => {
    const job = ok<JobInfo>(await call('jobs.start', { kind: 'dataset.physics', projectId, params: { count: 400 } }));
    await new Promise<void>((resolve) => {
      const off = t.wb.events.on((event, payload) => {
        if (event === 'job.updated' && (payload as JobInfo).progress > 0) {
          off();
          resolve();
        }
      });
    });
    t.wb.jobs.cancel(job.id);
    expect((await t.wb.jobs.whenFinished(job.id)).status).toBe('cancelled');
    const [ds] = t.wb.datasets.list(projectId);
    expect(ds!.status).toBe('incomplete');
    const n = t.wb.datasets.count(ds!.id);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(400);
    expect(asDatasetKind(ds!, 'physics').stats.trajectories).toBe(n);
    expect(t.wb.queries.count(projectId)).toBe(n);
  });

  it('refuses a dataset job without a project or with a bad count, writing nothing', async () => {
    expect(err(await call('jobs.start', { kind: 'dataset.physics', params: { count: 3 } })).message).toMatch(/give projectId/);
    expect(err(await call('jobs.start', { kind: 'dataset.physics', projectId, params: { count: 0 } })).message).toMatch(/params\.count: must be at least 1/);
    expect(countRows(t.wb, 'jobs')).toBe(0);
    expect(countRows(t.wb, 'datasets')).toBe(0);
  });

  it('exports a generated dataset as NPZ and imports it back identically', async () => {
    const job = ok<JobInfo>(await call('jobs.start', { kind: 'dataset.physics', projectId, params: { count: 2 } }));
    await t.wb.jobs.whenFinished(job.id);
    const [ds] = t.wb.datasets.list(projectId);
    const exported = ok<{ fileName: string; npzBase64: string }>(await call('datasets.exportPhysics', { id: ds!.id }));
    expect(exported.fileName).toMatch(/\.npz$/);
    const imported = ok<DatasetInfo>(await call('datasets.importPhysics', { projectId, name: 'back', npzBase64: exported.npzBase64, fileName: exported.fileName }));
    expect(imported.source).toBe(`imported:${exported.fileName}`);
    const a = t.wb.datasets.trajectories(ds!.id);
    const b = t.wb.datasets.trajectories(imported.id);
    expect(b.map((x) => Buffer.from(x.positions.buffer).toString('base64'))).toEqual(a.map((x) => Buffer.from(x.positions.buffer).toString('base64')));
    // the design and task travel with the data, so the import knows each trajectory's cost again
    expect(b.map((x) => x.cost)).toEqual(a.map((x) => x.cost));
    expect(imported.stats.meanCost).toBeCloseTo(ds!.stats.meanCost as number, 10);
    const bad = err(await call('datasets.importPhysics', { projectId, name: 'junk', npzBase64: Buffer.from('not a zip').toString('base64') }));
    expect(bad.code).toBe('invalid_argument');
    expect(t.wb.datasets.list(projectId)).toHaveLength(2);
  });
});
