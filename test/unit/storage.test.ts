import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectDir } from '../../src-main/engine/paths';
import { fromFloat32Blob, toFloat32Blob } from '../../src-main/engine/storage/blob';
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
});
