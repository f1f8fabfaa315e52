import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import type { QueryInfo } from '../../src-shared/api';
import type { ApiEnvelope } from '../../src-shared/errors';
import { ok, testWorkbench } from './helpers';


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
