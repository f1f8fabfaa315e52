// Stored designs: a project's ground-truth queries costed for a new task from their stored outcomes
// (outcome/stored-designs.ts), the shipped trajectories' outcomes (models/shipped-outcomes.ts),
// and queries.stored.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { createEnvironment } from '../../src-main/engine/environments';
import { installShippedOutcomes, packOutcome, SHIPPED_QUERY_METHOD, unpackOutcome } from '../../src-main/engine/models/shipped-outcomes';
import { storedDesignsFor } from '../../src-main/engine/outcome/stored-designs';
import { seededRandom } from '../../src-main/engine/random';
import { Refinement, type StoredDesignsAnswer } from '../../src-shared/api';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import { waterOutcome } from '../../src-shared/fluidtool2d';
import type { ApiEnvelope } from '../../src-shared/errors';
import { countRows, err, ok, tempDir, testWorkbench } from './helpers';
import { Workbench } from '../../src-main/engine/workbench';

const env = createEnvironment('fluidtool-2d', FLUIDTOOL2D_DEFAULTS);

/** The outcome of water particles scattered around (cx, cy) with spread s: a real outcome (waterOutcome), made up positions. */
function outcomeAround(cx: number, cy: number, s: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  return waterOutcome(Float32Array.from({ length: 2 * 64 }, (_, k) => Math.min(0.999, Math.max(0, (k % 2 ? cy : cx) + s * (rand() - 0.5)))));
}

describe('packOutcome / unpackOutcome', () => {
  it('a sparse outcome survives the round trip bit for bit; a cell outside the outcome is refused, naming it', () => {
    const o = outcomeAround(0.4, 0.1, 0.2, 1);
    const packed = packOutcome(o, env.outcomeSpec.costEntries);
    expect(packed.leading).toHaveLength(3);
    expect(packed.cells.length).toBeLessThan(o.length);
    expect(Array.from(unpackOutcome(packed, o.length))).toEqual(Array.from(o));
    expect(() => unpackOutcome({ leading: [0, 0, 0], cells: [5000, 0.5] }, o.length)).toThrow(/cell 5000 lies outside the outcome's 1027 entries/);
  });
});

describe('stored designs', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  const design = (v: number): number[] => [v, 0, 0, 0, 0, 0, 0, 0];
  // designs whose water ends around these centroids with these spreads
  const made = [
    { d: design(0.1), at: [0.3, 0.06], s: 0.1 },
    { d: design(0.2), at: [0.5, 0.06], s: 0.1 },
    { d: design(0.3), at: [0.52, 0.07], s: 0.3 },
    { d: design(0.4), at: [0.7, 0.06], s: 0.1 },
  ];
  let ids: number[] = [];

  beforeAll(() => {
    t = testWorkbench();
    call = (m, a) => dispatch(createHandlers(t.wb), m, a);
    projectId = t.wb.projects.create({ name: 'Stored', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS }).id;
    const q = (d: number[], outcome: Float32Array | null, simulator: 'ground_truth' | 'learned' = 'ground_truth', task = [0.5, 0.07]) => ({
      projectId,
      design: d,
      task,
      simulator,
      cost: outcome ? env.evaluateOutcome(outcome, task).cost : 0.5,
      wallMs: 1,
      method: 'test',
      outcome,
    });
    const first = t.wb.queries.record(made.map((m, i) => q(m.d, outcomeAround(m.at[0]!, m.at[1]!, m.s, i + 1))));
    ids = made.map((_, i) => first + i);
    // none of these is a stored design: a learned query, a query without an outcome, the same design queried again
    t.wb.queries.record([q(design(0.9), null, 'learned'), q(design(0.8), null), q(made[1]!.d, outcomeAround(0.5, 0.06, 0.1, 2), 'ground_truth', [0.7, 0.07])]);
  });
  afterAll(() => t.dispose());

  it('ranks every stored design by its exact cost for a new task, from its stored outcome; learned queries, queries without outcomes and repeats left out', () => {
    const task = [0.48, 0.06];
    const found = storedDesignsFor(t.wb.queries, env, projectId, task, { count: 10 });
    expect(found.map((f) => f.queryId)).toEqual([ids[1], ids[2], ids[0], ids[3]]);
    for (const f of found) {
      const outcome = t.wb.queries.outcome(f.queryId)!;
      const exact = env.evaluateOutcome(outcome, task);
      expect(f.cost).toBe(exact.cost);
      expect(f.capture).toBe(exact.capture);
    }
    // for another task another order: the centroid's distance to the target moves each cost
    expect(storedDesignsFor(t.wb.queries, env, projectId, [0.7, 0.06], { count: 1 })[0]!.queryId).toBe(ids[3]);
  });

  it('keeps to count, to distinct designs (tolerance) and to queries up to upToId', () => {
    const task = [0.48, 0.06];
    expect(storedDesignsFor(t.wb.queries, env, projectId, task, { count: 2 }).map((f) => f.queryId)).toEqual([ids[1], ids[2]]);
    // designs 0.1 apart in their first coordinate: one of them within a tolerance of 0.15
    expect(storedDesignsFor(t.wb.queries, env, projectId, task, { count: 10, tolerance: 0.15 }).map((f) => f.queryId)).toEqual([ids[1], ids[3]]);
    expect(storedDesignsFor(t.wb.queries, env, projectId, task, { count: 10, upToId: ids[0] }).map((f) => f.queryId)).toEqual([ids[0]]);
    expect(storedDesignsFor(t.wb.queries, env, projectId, task, { count: 0 })).toEqual([]);
  });

  it('looks past any number of near-copies of a cheaper design to the next distinct one', () => {
    const other = t.wb.projects.create({ name: 'Copies', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS }).id;
    const task = [0.5, 0.06];
    const tight = outcomeAround(0.5, 0.06, 0.02, 11);
    const q = (d: number[], outcome: Float32Array) => ({ projectId: other, design: d, task, simulator: 'ground_truth' as const, cost: env.evaluateOutcome(outcome, task).cost, wallMs: 1, method: 'test', outcome });
    // 40 designs within 1e-4 of each other, all cheaper than the one distinct design after them
    const copies = t.wb.queries.record(Array.from({ length: 40 }, (_, i) => q([0.5 + 2e-6 * i, 0, 0, 0, 0, 0, 0, 0], tight)));
    const distinct = t.wb.queries.record([q(design(-0.5), outcomeAround(0.5, 0.06, 0.2, 12))]);
    expect(storedDesignsFor(t.wb.queries, env, other, task, { count: 2 }).map((f) => f.queryId)).toEqual([copies, distinct]);
  });

  it('a lookup after the first adds the queries stored since; a query deleted since, or a deleted project whose id a new project gets, is not answered from what was read', async () => {
    const task = [0.5, 0.06];
    const growing = (): number => t.wb.projects.create({ name: 'Growing', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS }).id;
    const add = (project: number, v: number, spread: number, seed: number): number =>
      t.wb.queries.record([{ projectId: project, design: design(v), task, simulator: 'ground_truth', cost: 0, wallMs: 1, method: 'test', outcome: outcomeAround(0.5, 0.06, spread, seed) }]);
    // each answer's query, design and cost, which must be the stored query's own
    const found = (project: number, upToId?: number): number[] =>
      storedDesignsFor(t.wb.queries, env, project, task, { count: 5, ...(upToId === undefined ? {} : { upToId }) }).map((f) => {
        const q = t.wb.queries.get(f.queryId)!;
        expect(q.projectId).toBe(project);
        expect(Array.from(f.design)).toEqual(Array.from(q.design));
        expect(f.cost).toBe(env.evaluateOutcome(t.wb.queries.outcome(f.queryId)!, task).cost);
        return f.queryId;
      });
    const p = growing();
    const wide = add(p, 0.1, 0.3, 21);
    expect(found(p)).toEqual([wide]);
    // tighter water: cheaper for the task, found by the next lookup
    const tight = add(p, 0.2, 0.05, 22);
    const middle = add(p, 0.3, 0.15, 23);
    expect(found(p)).toEqual([tight, middle, wide]);
    expect(found(p, tight)).toEqual([tight, wide]);
    t.wb.db.prepare('DELETE FROM simulator_queries WHERE id = ?').run(tight);
    expect(found(p)).toEqual([middle, wide]);
    // by another tool: the newest query deleted, and another stored with an id the first lookups read past (SQLite gives the largest id left + 1)
    t.wb.db.prepare('DELETE FROM simulator_queries WHERE id = ?').run(middle);
    const reused = t.wb.queries.record([{ projectId: p, design: design(0.6), task, simulator: 'ground_truth', cost: 0, wallMs: 1, method: 'test', outcome: outcomeAround(0.5, 0.06, 0.01, 25), createdAt: Date.now() + 1000 }]);
    expect(reused).toBe(tight);
    expect(found(p)).toEqual([reused, wide]);
    // the same id for a new project (SQLite gives the largest id again), with other designs
    t.wb.projects.delete(p);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = growing();
    expect(again).toBe(p);
    const fresh = add(again, -0.4, 0.2, 24);
    expect(found(again)).toEqual([fresh]);
  });

  it('queries.stored answers with the queries and their cost for the task; a task outside the range or a bad count is refused, naming it', async () => {
    const r = ok<StoredDesignsAnswer>(await call('queries.stored', { projectId, task: [0.48, 0.06], count: 3 }));
    expect(r.rows.map((q) => q.id)).toEqual([ids[1], ids[2], ids[0]]);
    expect(r.rows[0]!.method).toBe('test');
    expect(r.rows[0]!.taskCost).toBeLessThanOrEqual(r.rows[1]!.taskCost);
    expect(r.upToQueryId).toBe(t.wb.queries.lastId(projectId));
    expect(err(await call('queries.stored', { projectId, task: [5, 0.06] })).message).toMatch(/task/);
    expect(err(await call('queries.stored', { projectId, task: [0.5, 0.06], count: 0 })).issues?.[0]?.path).toBe('count');
  });

  it('designs.export from "stored": the top k for the target, costed for it, with the query they came from; refusals name the field and write nothing', async () => {
    const task = [0.48, 0.06];
    const file = ok<{ fileName: string; content: string; rows: number }>(await call('designs.export', { projectId, from: 'stored', task, topK: 3, format: 'json' }));
    expect(file.rows).toBe(3);
    expect(file.fileName).toBe('Stored-stored-target-0.48-0.06-best-3.json');
    const rows = JSON.parse(file.content) as { query_id: number; task_x: number; task_y: number; cost: number; capture: number; method: string }[];
    // costed for the target as the API reads it (float32, as it is stored and exported)
    const found = storedDesignsFor(t.wb.queries, env, projectId, Float32Array.from(task), { count: 3 });
    expect(rows.map((r) => r.query_id)).toEqual(found.map((f) => f.queryId));
    expect(rows.map((r) => r.cost)).toEqual(found.map((f) => f.cost));
    expect(rows.map((r) => r.capture)).toEqual(found.map((f) => f.capture));
    expect(rows.every((r) => r.task_x === 0.48 && r.task_y === 0.06 && r.method === 'test')).toBe(true);
    const csv = ok<{ content: string }>(await call('designs.export', { projectId, from: 'stored', task, topK: 2, format: 'csv' })).content.trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[1]!.startsWith(`${found[0]!.queryId},`)).toBe(true);
    expect(err(await call('designs.export', { projectId, from: 'stored' })).issues?.[0]?.path).toBe('task');
    expect(err(await call('designs.export', { projectId, from: 'queries', task })).issues?.[0]?.path).toBe('task');
    expect(err(await call('designs.export', { projectId, from: 'stored', task, method: 'test' })).issues?.[0]?.path).toBe('method');
    expect(err(await call('designs.export', { projectId, from: 'stored', task: [9, 0.06] })).message).toMatch(/task/);
  });

  it('refine.stored is bounded: more than 256 is refused, naming refine.stored', () => {
    const r = Refinement.safeParse({ stored: 300 });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['stored']);
    expect(Refinement.parse({}).stored).toBe(0);
  });
});

describe('the shipped trajectories\' outcomes', () => {
  let t: ReturnType<typeof testWorkbench>;
  beforeAll(() => {
    t = testWorkbench();
  });
  afterAll(() => t.dispose());

  it('install as ground-truth queries whose outcomes are the ground truth\'s own (two rolled out again here); other physics get none', async () => {
    const project = t.wb.projects.create({ name: 'Defaults', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS });
    const n = installShippedOutcomes(t.wb.queries, project);
    expect(n).toBeGreaterThan(1000);
    expect(t.wb.queries.count(project.id, { method: SHIPPED_QUERY_METHOD, hasOutcome: true })).toBe(n);
    const sim = t.wb.simulator(project.id);
    for (const q of t.wb.queries.list(project.id, 2, 100, { method: SHIPPED_QUERY_METHOD })) {
      const [again] = await sim.evaluate([q.design], q.task, { projectId: project.id, method: 'again' });
      expect(again!.cost).toBeCloseTo(q.cost, 7);
      expect(Array.from(t.wb.queries.outcome(again!.queryId)!)).toEqual(Array.from(t.wb.queries.outcome(q.id)!));
    }
    const other = t.wb.projects.create({ name: 'Other', environment: 'fluidtool-2d', settings: { ...FLUIDTOOL2D_DEFAULTS, particles: 64 } });
    const before = countRows(t.wb, 'simulator_queries');
    expect(installShippedOutcomes(t.wb.queries, other)).toBe(0);
    expect(countRows(t.wb, 'simulator_queries')).toBe(before);
  }, 60_000);

  it('a file that cannot be read is said, and the workbench opens without them; it installs them at the next start once the file is good', async () => {
    const res = tempDir();
    const shipped = join(__dirname, '..', '..', 'resources', 'datasets');
    mkdirSync(join(res.path, 'datasets'));
    copyFileSync(join(shipped, 'fluidtool2d-default-trajectories.json'), join(res.path, 'datasets', 'fluidtool2d-default-trajectories.json'));
    writeFileSync(join(res.path, 'datasets', 'fluidtool2d-default-trajectory-outcomes.json.gz'), 'not gzip');
    const data = tempDir();
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
    try {
      const first = new Workbench({ dataDir: data.path, mode: 'cli', seedBuiltin: true, resourcesDir: res.path });
      const id = first.projects.list()[0]!.id;
      expect(first.queries.count(id)).toBe(0);
      await first.close();
      expect(errors.join('\n')).toMatch(/the shipped trajectories' outcomes were not installed: fluidtool2d-default-trajectory-outcomes\.json\.gz cannot be read .*ship:trajectory-outcomes/);
      copyFileSync(join(shipped, 'fluidtool2d-default-trajectory-outcomes.json.gz'), join(res.path, 'datasets', 'fluidtool2d-default-trajectory-outcomes.json.gz'));
      const second = new Workbench({ dataDir: data.path, mode: 'cli', seedBuiltin: true, resourcesDir: res.path });
      expect(second.queries.count(id, { method: SHIPPED_QUERY_METHOD })).toBeGreaterThan(1000);
      await second.close();
    } finally {
      spy.mockRestore();
      data.remove();
      res.remove();
    }
  });
});
