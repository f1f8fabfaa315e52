import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import type { QueryInfo } from '../../src-shared/api';
import type { ApiEnvelope } from '../../src-shared/errors';
import { QUERY_LEADERS } from '../../src-main/engine/storage/queries';
import { countRows, ok, testWorkbench } from './helpers';


describe('queries.list filters and order', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  beforeEach(() => {
    t = testWorkbench();
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
    projectId = t.wb.projects.create({ name: 'Q', environment: 'fluidtool-2d', settings: {} }).id;
    const rows = [
      { cost: 0.5, method: 'cem', task: [0.5, 0.2] },
      { cost: 0.1, method: 'adam', task: [0.5, 0.2] },
      { cost: 0.3, method: 'cem', task: [0.7, 0.1] },
      { cost: 0.2, method: 'manual', task: [0.7, 0.1] },
      { cost: 0.05, method: 'cem', task: [0.3, 0.3] },
    ];
    t.wb.queries.record(rows.map((r) => ({ projectId, design: new Array(8).fill(0), task: r.task, simulator: 'ground_truth' as const, cost: r.cost, wallMs: 1, method: r.method })));
  });
  afterEach(() => t.dispose());

  const list = async (args: Record<string, unknown>) => ok<{ total: number; rows: QueryInfo[] }>(await call('queries.list', { projectId, ...args }));

  it('sorts cheapest first and pages', async () => {
    const page = await list({ sort: 'cost', limit: 2, offset: 1 });
    expect(page.total).toBe(5);
    expect(page.rows.map((r) => r.cost)).toEqual([0.1, 0.2]);
  });
  it('filters by method, cost and task, counting what matches', async () => {
    const cem = await list({ method: 'cem', sort: 'cost' });
    expect(cem.total).toBe(3);
    expect(cem.rows.map((r) => r.cost)).toEqual([0.05, 0.3, 0.5]);
    expect((await list({ costMax: 0.2 })).total).toBe(3);
    const near = await list({ task: { x: 0.7, y: 0.1, radius: 0.01 } });
    expect(near.rows.map((r) => r.method).sort()).toEqual(['cem', 'manual']);
    expect(ok<{ method: string; count: number }[]>(await call('queries.methods', { projectId }))).toEqual([
      { method: 'cem', count: 3 },
      { method: 'adam', count: 1 },
      { method: 'manual', count: 1 },
    ]);
  });
  it('refuses bad filters', async () => {
    const r = await call('queries.list', { projectId, sort: 'random' });
    expect(!r.ok && r.error.message).toMatch(/sort: must be one of "newest", "cost"/);
  });
});

describe('QueryStore.record: a batch in one transaction', () => {
  it('writes every row of a batch in order, with consecutive ids from the one it returns, and a queue batch once', () => {
    const t = testWorkbench();
    try {
      const projectId = t.wb.projects.create({ name: 'Many', environment: 'fluidtool-2d', settings: {} }).id;
      // ids before the batch, so the first id is not 1
      t.wb.queries.record([{ projectId, design: new Array(8).fill(0), task: [0.5, 0.07], simulator: 'ground_truth', cost: 9, wallMs: 1, method: 'manual' }]);
      for (const n of [31, 32, 33, 100]) {
        const batch = Array.from({ length: n }, (_, i) => ({
          projectId,
          design: Array.from({ length: 8 }, (_, j) => (i * 8 + j) / 1000 - 0.5),
          task: [0.3 + i / 1000, 0.07],
          simulator: 'ground_truth' as const,
          cost: i / 7,
          capture: i % 2 ? null : i / n,
          wallMs: i,
          method: `m${n}`,
          run: `r${i}`,
          outcome: i % 3 ? undefined : Float32Array.of(i, -i),
        }));
        const first = t.wb.queries.record(batch, { batchId: `b${n}` });
        const rows = t.wb.db.prepare('SELECT id, cost, capture, wall_ms, run, batch_index, design, outcome FROM simulator_queries WHERE method = ? ORDER BY id').all(`m${n}`) as { id: number; cost: number; capture: number | null; wall_ms: number; run: string; batch_index: number; design: Buffer; outcome: Buffer | null }[];
        expect(rows.map((r) => r.id)).toEqual(Array.from({ length: n }, (_, i) => first + i));
        rows.forEach((r, i) => {
          expect([r.cost, r.capture, r.wall_ms, r.run, r.batch_index]).toEqual([i / 7, i % 2 ? null : i / n, i, `r${i}`, i]);
          expect(Array.from(new Float32Array(r.design.buffer, r.design.byteOffset, 8))).toEqual(Array.from(Float32Array.from(batch[i]!.design)));
          expect(r.outcome === null).toBe(i % 3 !== 0);
        });
        // the same batch again is not written twice
        expect(t.wb.queries.record(batch, { batchId: `b${n}` })).toBe(first);
        expect(t.wb.queries.count(projectId)).toBe(1 + [31, 32, 33, 100].filter((k) => k <= n).reduce((a, b) => a + b, 0));
      }
    } finally {
      t.dispose();
    }
  });
});

describe('cheapest-first views from each project\'s leaders (migration 010)', () => {
  it('match a sort of every query: pages within and past the leaders, filters, ties, deletions, rows written by plain SQL, a project deleted', () => {
    const t = testWorkbench();
    try {
      const projects = [0, 1].map((i) => t.wb.projects.create({ name: `L${i}`, environment: 'fluidtool-2d', settings: {} }).id);
      let s = 7;
      const rand = (): number => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
      // costs on a coarse grid so ties are common: (cost, id) orders them
      const write = (n: number, batch: number, drift = 0, ps = projects): void => {
        for (let b = 0; b < n; b += batch) {
          t.wb.queries.record(
            Array.from({ length: Math.min(batch, n - b) }, () => ({
              projectId: ps[rand() < 0.8 ? 0 : ps.length - 1]!,
              design: new Array(8).fill(0),
              task: [0.5, 0.2],
              simulator: rand() < 0.5 ? ('learned' as const) : ('ground_truth' as const),
              cost: Math.round((rand() + drift) * 400) / 400,
              wallMs: 1,
              method: rand() < 0.1 ? 'rare' : 'cem',
            })),
          );
        }
      };
      type Row = { id: number; project_id: number; cost: number; method: string; simulator: string };
      const all = (p: number): Row[] => (t.wb.db.prepare('SELECT id, project_id, cost, method, simulator FROM simulator_queries WHERE project_id = ? ORDER BY cost, id').all(p) as Row[]);
      const check = (ps = projects): void => {
        for (const p of ps) {
          const sorted = all(p);
          const ids = (rows: { id: number }[]): number[] => rows.map((r) => r.id);
          // the project list's best cost holds before any view has brought the leaders up to date
          expect(t.wb.projects.list().find((x) => x.id === p)!.bestCost).toBe(sorted[0]?.cost ?? null);
          expect(ids(t.wb.queries.bestByCost(p, 100))).toEqual(ids(sorted.slice(0, 100)));
          const leaders = t.wb.db.prepare('SELECT id FROM query_leaders WHERE project_id = ? ORDER BY cost, id').all(p) as { id: number }[];
          expect(ids(leaders)).toEqual(ids(sorted.slice(0, QUERY_LEADERS)));
          expect(t.wb.db.prepare('SELECT n, upto FROM query_leader_counts WHERE project_id = ?').get(p)).toEqual({ n: leaders.length, upto: Math.max(...sorted.map((r) => r.id)) });
          for (const offset of [0, QUERY_LEADERS - 20, QUERY_LEADERS, 1500]) expect(ids(t.wb.queries.list(p, 50, offset, { sort: 'cost' }))).toEqual(ids(sorted.slice(offset, offset + 50)));
          const rare = sorted.filter((r) => r.method === 'rare');
          expect(ids(t.wb.queries.list(p, 200, 0, { sort: 'cost', method: 'rare' }))).toEqual(ids(rare.slice(0, 200)));
          const learned = sorted.filter((r) => r.simulator === 'learned' && r.cost <= 0.5);
          expect(ids(t.wb.queries.list(p, 20, 30, { sort: 'cost', simulator: 'learned', costMax: 0.5 }))).toEqual(ids(learned.slice(30, 50)));
          const summary = t.wb.projects.list().find((x) => x.id === p)!;
          expect(summary.bestCost).toBe(sorted[0]?.cost ?? null);
        }
      };
      write(200, 64);
      check(); // fewer than QUERY_LEADERS: the leaders are every query
      write(3000, 100);
      check();
      write(2000, 1000, -0.5); // cheaper queries arriving later push leaders out
      check();
      // a leader deleted by SQL is replaced by the next cheapest; a non-leader deleted changes nothing
      const [p0] = projects;
      const sorted = all(p0!);
      t.wb.db.prepare('DELETE FROM simulator_queries WHERE id IN (?, ?, ?)').run(sorted[0]!.id, sorted[500]!.id, sorted[3000]!.id);
      check();
      t.wb.projects.delete(projects[1]!);
      expect(countRows(t.wb, 'query_leaders')).toBe(QUERY_LEADERS);
      expect(countRows(t.wb, 'query_leader_counts')).toBe(1);
      // deletions by SQL down to fewer queries than QUERY_LEADERS: the leaders are every query left
      const left = QUERY_LEADERS - 50;
      t.wb.db.prepare('DELETE FROM simulator_queries WHERE id IN (SELECT id FROM simulator_queries WHERE project_id = ? ORDER BY id LIMIT ?)').run(p0, all(p0!).length - left);
      expect(all(p0!)).toHaveLength(left);
      check([p0!]);
      write(100, 10, 0, [p0!]);
      check([p0!]);
      // rows written by plain SQL (another process, a script): the views bring the leaders up to date
      const raw = t.wb.db.prepare("INSERT INTO simulator_queries (project_id, design, task, simulator, cost, wall_ms, method, created_at) VALUES (?, x'00000000', x'0000000000000000', 'ground_truth', ?, 1, 'sql', 0)");
      const rawRows = (n: number): void =>
        t.wb.db.transaction(() => {
          for (let i = 0; i < n; i++) raw.run(p0, Math.round(rand() * 400) / 400 - 0.2 - 0.1 * i / n);
        })();
      rawRows(1500);
      check([p0!]);
      // and a batch the app writes after such rows takes them in too
      rawRows(300);
      write(40, 20, -0.3, [p0!]);
      check([p0!]);
    } finally {
      t.dispose();
    }
  });
});
