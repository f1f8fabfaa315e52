import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectDir } from '../../src-main/engine/paths';
import { fromFloat32Blob, toFloat32Blob } from '../../src-main/engine/storage/blob';
import { DatasetStore } from '../../src-main/engine/storage/datasets';
import { DesignStore } from '../../src-main/engine/storage/designs';
import { MetaStore } from '../../src-main/engine/storage/meta';
import { ModelRows } from '../../src-main/engine/storage/models';
import { OptimizationRecordStore } from '../../src-main/engine/storage/optimization-records';
import { OwnerStore } from '../../src-main/engine/storage/owners';
import { PhysicsTrajectoryStore } from '../../src-main/engine/storage/physics-trajectories';
import { statement } from '../../src-main/engine/storage/statements';
import { countRows, testWorkbench } from './helpers';

describe('storage', () => {
  let t: ReturnType<typeof testWorkbench>;
  beforeEach(() => {
    t = testWorkbench();
  });
  afterEach(() => t.dispose());

  it('round-trips float32 vectors through BLOBs', () => {
    const v = Float32Array.from([0.5, -1, 1e-7, 3.25]);
    const back = fromFloat32Blob(toFloat32Blob(v));
    expect(Array.from(back)).toEqual(Array.from(v));
    // unaligned Buffers (as SQLite returns them) still decode
    const unaligned = Buffer.concat([Buffer.alloc(1), toFloat32Blob(v)]).subarray(1);
    expect(Array.from(fromFloat32Blob(unaligned))).toEqual(Array.from(v));
    expect(() => fromFloat32Blob(Buffer.alloc(7))).toThrow(/multiple of 4/);
  });

  it('creates a project with defaults filled in and its design and task spaces', () => {
    const p = t.wb.projects.create({ name: 'Tank', environment: 'fluidtool-2d', settings: { joints: 12 } });
    expect(p.settings.joints).toBe(12);
    expect(p.settings.particles).toBe(256);
    expect(p.designSpace).toMatchObject({ dim: 12, lower: -1, upper: 1 });
    expect(p.taskSpace.dim).toBe(2);
    expect(p.bestCost).toBeNull();
    expect(t.wb.projects.list().map((x) => x.name)).toEqual(['Tank']);
  });

  it('keeps names unique regardless of case, and renames', () => {
    const p = t.wb.projects.create({ name: 'Tank', environment: 'fluidtool-2d', settings: {} });
    expect(() => t.wb.projects.create({ name: 'TANK', environment: 'fluidtool-2d', settings: {} })).toThrow(/already exists/);
    t.wb.projects.create({ name: 'Other', environment: 'fluidtool-2d', settings: {} });
    expect(() => t.wb.projects.rename(p.id, 'other')).toThrow(/already exists/);
    expect(t.wb.projects.rename(p.id, 'Tank 2').name).toBe('Tank 2');
    expect(countRows(t.wb, 'projects')).toBe(2);
  });

  it('records simulator queries in batches and reports the best cost', () => {
    const p = t.wb.projects.create({ name: 'Q', environment: 'fluidtool-2d', settings: {} });
    const costs = [0.4, 0.1, 0.3, 0.05, 0.2];
    t.wb.queries.record(
      costs.map((cost, i) => ({ projectId: p.id, design: [i, 0, 0, 0, 0, 0, 0, 0], task: [0.5, 0.2], simulator: 'ground_truth' as const, cost, wallMs: 3, method: 'test', run: 'r1' })),
    );
    const best = t.wb.queries.bestByCost(p.id, 3);
    expect(best.map((q) => q.cost)).toEqual([0.05, 0.1, 0.2]);
    expect(best[0]!.design[0]).toBe(3);
    expect(Array.from(best[0]!.task)).toEqual([0.5, Math.fround(0.2)]);
    const summary = t.wb.projects.get(p.id);
    expect(summary.bestCost).toBe(0.05);
    expect(summary.queryCount).toBe(5);
  });

  it('writes a batch of queries all or nothing: a NaN cost stores none', () => {
    const p = t.wb.projects.create({ name: 'Q', environment: 'fluidtool-2d', settings: {} });
    const good = { projectId: p.id, design: [0], task: [0.5, 0.2], simulator: 'learned' as const, cost: 1, wallMs: 1, method: 'test' };
    expect(() => t.wb.queries.record([good, { ...good, cost: Number.NaN }])).toThrow(/query 1: cost is NaN/);
    // a constraint failure in the middle of the batch rolls back the rows before it
    expect(() => t.wb.queries.record([good, { ...good, projectId: 999 }])).toThrow(/FOREIGN KEY/);
    expect(countRows(t.wb, 'simulator_queries')).toBe(0);
  });

  it('deleting a project removes all its rows and its files, and nothing of other projects', async () => {
    const a = t.wb.projects.create({ name: 'A', environment: 'fluidtool-2d', settings: {} });
    const b = t.wb.projects.create({ name: 'B', environment: 'fluidtool-2d', settings: {} });
    const db = t.wb.db;
    for (const p of [a, b]) {
      const ds = Number(db.prepare("INSERT INTO datasets (project_id, name, kind, source, created_at) VALUES (?, 'd', 'optimization', 'test', 0)").run(p.id).lastInsertRowid);
      db.prepare("INSERT INTO optimization_records (dataset_id, run, optimizer, task, iteration, design, cost) VALUES (?, 'r', 'adam', ?, 0, ?, 1)").run(ds, toFloat32Blob([0.5, 0.2]), toFloat32Blob([0, 0]));
      db.prepare("INSERT INTO physics_trajectories (dataset_id, design, frames, particles, positions, particle_types) VALUES (?, ?, 1, 1, ?, ?)").run(ds, toFloat32Blob([0]), toFloat32Blob([0.1, 0.2]), Buffer.alloc(1));
      const model = Number(db.prepare("INSERT INTO models (project_id, kind, name, created_at) VALUES (?, 'simulator', 'gns', 0)").run(p.id).lastInsertRowid);
      db.prepare("INSERT INTO designs (project_id, method, design, task, cost, model_id, created_at) VALUES (?, 'cem', ?, ?, 0.5, ?, 0)").run(p.id, toFloat32Blob([0]), toFloat32Blob([0.5, 0.2]), model);
      db.prepare("INSERT INTO jobs (project_id, kind, status, created_at, updated_at) VALUES (?, 'selfcheck', 'succeeded', 0, 0)").run(p.id);
      t.wb.queries.record([{ projectId: p.id, design: [0], task: [0.5, 0.2], simulator: 'learned', modelId: model, cost: 1, wallMs: 1, method: 'adam' }]);
      const dir = projectDir(t.wb.dataDir, p.id);
      mkdirSync(join(dir, 'models'), { recursive: true });
      writeFileSync(join(dir, 'models', 'gns.onnx'), 'weights');
    }
    await t.wb.deleteProject(a.id);
    for (const table of ['datasets', 'optimization_records', 'physics_trajectories', 'models', 'designs', 'jobs', 'simulator_queries', 'projects']) {
      expect(countRows(t.wb, table), table).toBe(1);
    }
    expect(existsSync(projectDir(t.wb.dataDir, a.id))).toBe(false);
    expect(existsSync(projectDir(t.wb.dataDir, b.id))).toBe(true);
    await expect(t.wb.deleteProject(a.id)).rejects.toThrow(/no project with id/);
  });

  it('prepares each statement once per connection and reuses it', () => {
    const db = t.wb.db;
    const a = statement(db, 'SELECT 1 AS one');
    expect(statement(db, 'SELECT 1 AS one')).toBe(a);
    expect(statement(db, 'SELECT 2 AS two')).not.toBe(a);
  });

  it('stores designs with the query that scored them and lists them cheapest first, by job, run or method', () => {
    const p = t.wb.projects.create({ name: 'D', environment: 'fluidtool-2d', settings: {} });
    const other = t.wb.projects.create({ name: 'Other', environment: 'fluidtool-2d', settings: {} });
    const queryId = t.wb.queries.record([{ projectId: p.id, design: [0.1, 0.2], task: [0.5, 0.2], simulator: 'ground_truth', cost: 0.3, wallMs: 1, method: 'sample', run: 's-1' }]);
    const store = new DesignStore(t.wb.db);
    const base = { projectId: p.id, task: [0.5, 0.2], capture: 0.5, modelId: null };
    const ids = store.insert([
      { ...base, method: 'sample', run: 's-1', design: [0.1, 0.2], cost: 0.3, queryId, provenance: { jobId: 7, seed: 1 } },
      { ...base, method: 'sample', run: 's-1', design: [0.3, 0.4], cost: 0.1, queryId: null, provenance: { jobId: 7, seed: 1 } },
      { ...base, method: 'cem', run: 'cem-8', design: [0.5, 0.6], cost: 0.2, queryId: null, provenance: { jobId: 8 } },
      { ...base, method: 'cem', run: 'cem-9', design: [0.7, 0.8], cost: null, queryId: null, provenance: {} },
    ]);
    store.insert([{ ...base, projectId: other.id, method: 'sample', run: 's-1', design: [0], cost: 0, queryId: null, provenance: { jobId: 7 } }]);
    expect(ids).toHaveLength(4);
    const first = store.get(ids[0]!)!;
    expect(first).toMatchObject({ id: ids[0], projectId: p.id, method: 'sample', run: 's-1', jobId: 7, cost: 0.3, capture: 0.5, modelId: null, queryId, provenance: { jobId: 7, seed: 1 } });
    expect(first.design).toEqual([Math.fround(0.1), Math.fround(0.2)]);
    expect(first.task).toEqual([0.5, Math.fround(0.2)]);
    // cheapest first, designs without a cost last; only this project's
    expect(store.list(p.id).map((d) => d.cost)).toEqual([0.1, 0.2, 0.3, null]);
    expect(store.list(p.id, { jobId: 7 }).map((d) => d.id)).toEqual([ids[1], ids[0]]);
    expect(store.list(p.id, { run: 'cem-8' }).map((d) => d.id)).toEqual([ids[2]]);
    expect(store.list(p.id, { method: 'cem' }).map((d) => d.jobId)).toEqual([8, null]);
    expect(store.list(p.id, { limit: 1 })).toHaveLength(1);
    expect(store.count(p.id)).toBe(4);
    // the query is a foreign key: a design cannot name a query that does not exist
    expect(() => store.insert([{ ...base, method: 'x', run: null, design: [0], cost: 1, queryId: 99_999, provenance: {} }])).toThrow(/FOREIGN KEY/);
    expect(store.count(p.id)).toBe(4);
  });

  it('datasets, their records and trajectories, models, meta flags and owners each have a store', () => {
    const db = t.wb.db;
    const p = t.wb.projects.create({ name: 'S', environment: 'fluidtool-2d', settings: {} });
    expect(t.wb.projects.exists(p.id)).toBe(true);
    expect(t.wb.projects.exists(p.id + 100)).toBe(false);

    const datasets = new DatasetStore(db);
    const opt = datasets.insert({ projectId: p.id, name: 'runs', kind: 'optimization', source: 'imported:a.csv', status: 'building', jobId: null, owner: 'gone' });
    const phys = datasets.insert({ projectId: p.id, name: 'rollouts', kind: 'physics', source: 'generated', status: 'ready', jobId: null });
    expect(datasets.row(opt)).toMatchObject({ id: opt, project_id: p.id, kind: 'optimization', status: 'building', owner: 'gone' });
    expect(datasets.list(p.id).map((r) => r.id)).toEqual([phys, opt]);
    // an import whose owner is gone is an orphan; a ready dataset is not
    expect(datasets.orphans().map((o) => o.id)).toEqual([opt]);
    expect(datasets.orphans('physics')).toEqual([]);

    const records = new OptimizationRecordStore(db);
    for (const [i, cost] of [0.5, 0.25, 1].entries()) records.insert(opt, 'r', 'cem', toFloat32Blob([0.5, 0.2]), i, toFloat32Blob([0, i]), cost);
    expect(records.count(opt)).toBe(3);
    expect([...records.iterate(opt)].map((r) => r.cost)).toEqual([0.5, 0.25, 1]);
    expect(records.aggregate(opt)).toEqual({ rows: 3, runs: 1, tasks: 1, optimizers: 1, designDim: 2, minCost: 0.25, meanCost: 0.5833333333333334, maxCost: 1 });
    expect(records.costHistogram(opt, 0.25, 0.375, 2)).toEqual([{ bin: 0, n: 2 }, { bin: 1, n: 1 }]);
    datasets.finish(opt, 'ready', { rows: 3 });
    expect(datasets.stats(opt)).toEqual({ rows: 3 });
    expect(datasets.row(opt)!.status).toBe('ready');

    const trajectories = new PhysicsTrajectoryStore(db);
    const t1 = { design: Float32Array.from([0.1]), task: null, frames: 2, particles: 1, positions: Float32Array.from([1, 2, 3, 4]), particleTypes: Uint8Array.from([5]), cost: 0.5, capture: 0.25 };
    trajectories.insert(phys, t1);
    trajectories.insert(phys, { ...t1, cost: 1.5 });
    expect(trajectories.count(phys)).toBe(2);
    const [first, second] = trajectories.page(phys, -1, 0);
    expect(trajectories.after(phys, first!.id, 10).map((r) => r.id)).toEqual([second!.id]);
    expect(trajectories.aggregate(phys)).toMatchObject({ trajectories: 2, frames_min: 2, frames_max: 2, mean_cost: 1, min_cost: 0.5, max_cost: 1.5, bytes: 2 * (4 + 16 + 1) });
    expect(trajectories.firstParticles(phys)).toEqual({ particles: 1, particle_types: Buffer.from([5]) });

    expect(datasets.deleteOrphanedOptimization('imported:')).toBe(0); // finished: no longer an orphan
    expect(datasets.delete(phys)).toBe(true);
    expect(datasets.delete(phys)).toBe(false);
    expect(trajectories.count(phys)).toBe(0);

    const models = new ModelRows(db);
    const m = models.insert({ projectId: p.id, kind: 'simulator', name: 'gns', config: { a: 1 }, datasetId: null, jobId: null, status: 'training' });
    expect(models.find(m)).toMatchObject({ id: m, kind: 'simulator', status: 'training', config: { a: 1 }, files: [] });
    expect(models.orphanedTrainings().map((x) => x.id)).toEqual([m]);
    models.endTraining(m, 'failed', ['a.onnx']);
    expect(models.training(m)).toEqual({ status: 'failed', jobId: null });
    const job = t.wb.jobStore.create('selfcheck', {}, p.id).id;
    expect(models.claimForTraining(m, job)).toBe(true);
    expect(models.claimForTraining(m, job)).toBe(false); // training already
    expect(models.training(m)).toEqual({ status: 'training', jobId: job });
  });

  it('keeps meta flags and owners', () => {
    const db = t.wb.db;
    const meta = new MetaStore(db);
    expect(meta.get('flag')).toBeNull();
    meta.set('flag', '1');
    meta.set('flag', '2');
    expect(meta.get('flag')).toBe('2');
    expect(meta.has('flag')).toBe(true);

    const owners = new OwnerStore(db);
    const row = { token: 'tok', pid: 1, host: 'h', mode: 'cli', started_at: 5, heartbeat_at: 5 };
    owners.register(row);
    expect(owners.get('tok')).toEqual(row);
    expect(owners.beat('tok', 9)).toBe(true);
    expect(owners.beat('nobody', 9)).toBe(false);
    // removed only while the heartbeat is the one read
    expect(owners.removeUnchanged([row])).toBe(0);
    expect(owners.removeUnchanged([{ ...row, heartbeat_at: 9 }])).toBe(1);
    expect(owners.get('tok')).toBeNull();
    owners.register(row);
    owners.delete('tok');
    expect(owners.all().map((o) => o.token)).not.toContain('tok');
  });
});
