import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import type { OptimizeResult } from '../../src-main/engine/jobs/kinds/optimize';
import { adamStep, tanhGradient } from '../../src-main/engine/optimizers/adam';
import { CrossEntropyMethod } from '../../src-main/engine/optimizers/cem';
import { Cmaes, symmetricEigen } from '../../src-main/engine/optimizers/cmaes';
import { optimize, type Objective, type Optimizer } from '../../src-main/engine/optimizers/optimizer';
import { RandomSearch } from '../../src-main/engine/optimizers/random';
import { seededRandom } from '../../src-main/engine/random';
import { fromFloat32Blob } from '../../src-main/engine/storage/blob';
import type { JobInfo } from '../../src-shared/api';
import type { ApiEnvelope } from '../../src-shared/errors';
import { countRows, ok, testWorkbench } from './helpers';


// shifted quadratic in [-1, 1]^6, minimum 0 inside the box
const SHIFT = [0.3, -0.5, 0.7, -0.2, 0.1, 0.6];
const quadratic: Objective = async ({ designs }) => designs.map((x) => ({ cost: x.reduce((s, v, j) => s + (v - SHIFT[j]!) ** 2, 0) }));
// Rosenbrock in [-1, 1]^4: a curved valley, minimum 0 at the corner (1, 1, 1, 1)
const rosenbrock: Objective = async ({ designs }) =>
  designs.map((x) => {
    let s = 0;
    for (let j = 0; j < x.length - 1; j++) s += 100 * (x[j + 1]! - x[j]! ** 2) ** 2 + (1 - x[j]!) ** 2;
    return { cost: s };
  });
const CEM = { population: 32, eliteFraction: 0.25, smoothing: 0.3, initialStd: 0.5 };

describe('optimizers on analytic objectives', () => {
  it.each([1, 2, 3, 4, 5])('CEM reaches the shifted quadratic minimum to 1e-3 within 1000 queries (seed %i)', async (seed) => {
    const r = await optimize(new CrossEntropyMethod(CEM), quadratic, { dim: 6, budget: 1000, rand: seededRandom(seed) });
    expect(r.queries).toBe(1000);
    expect(r.best!.cost).toBeLessThan(1e-3);
    r.best!.design.forEach((v, j) => expect(Math.abs(v - SHIFT[j]!)).toBeLessThan(0.03));
  });

  it.each([1, 2, 3, 4, 5])('CMA-ES reaches the quadratic (1000 queries) and Rosenbrock (3000 queries) minima (seed %i)', async (seed) => {
    const q = await optimize(new Cmaes({ sigma: 0.3 }), quadratic, { dim: 6, budget: 1000, rand: seededRandom(seed) });
    expect(q.best!.cost).toBeLessThan(1e-6);
    const r = await optimize(new Cmaes({ sigma: 0.3 }), rosenbrock, { dim: 4, budget: 3000, rand: seededRandom(seed) });
    expect(r.best!.cost).toBeLessThan(1e-4);
  });

  it('keeps every design inside [-1, 1]^d and never exceeds the budget, even with a huge spread', async () => {
    const seen: Float32Array[] = [];
    const spy: Objective = async (batch) => {
      seen.push(...batch.designs);
      return quadratic(batch);
    };
    for (const opt of [new CrossEntropyMethod({ ...CEM, initialStd: 2 }), new Cmaes({ sigma: 2 }), new RandomSearch({ batchSize: 7 })] as Optimizer[]) {
      seen.length = 0;
      const r = await optimize(opt, spy, { dim: 6, budget: 101, rand: seededRandom(3) });
      expect(r.queries).toBe(101);
      expect(seen).toHaveLength(101);
      expect(seen.every((x) => x.every((v) => v >= -1 && v <= 1))).toBe(true);
      expect(r.curve.at(-1)![0]).toBe(101);
    }
  });

  it('random search: its curve of best cost never rises and ends lower than it starts', async () => {
    const r = await optimize(new RandomSearch({ batchSize: 8 }), quadratic, { dim: 6, budget: 400, rand: seededRandom(7) });
    expect(r.curve.map((p) => p[0])).toEqual(Array.from({ length: 50 }, (_, i) => 8 * (i + 1)));
    for (let i = 1; i < r.curve.length; i++) expect(r.curve[i]![1]).toBeLessThanOrEqual(r.curve[i - 1]![1]);
    expect(r.curve.at(-1)![1]).toBeLessThan(r.curve[0]![1]);
    expect(r.curve.at(-1)![1]).toBe(r.best!.cost);
  });

  it('an Adam step through tanh matches the hand computation', () => {
    const u0 = [0.2, -0.4, 1.1];
    const x0 = u0.map(Math.tanh);
    const gx = [0.5, -2, 0.25];
    const lambda = 0.1;
    // dE/du_j = (g_j + dP/dx_j)(1 - x_j^2), P = λ Σ (x_{j+1} - x_j)^2
    const dP = [-2 * lambda * (x0[1]! - x0[0]!), 2 * lambda * (x0[1]! - x0[0]!) - 2 * lambda * (x0[2]! - x0[1]!), 2 * lambda * (x0[2]! - x0[1]!)];
    const gu = gx.map((g, j) => (g + dP[j]!) * (1 - x0[j]! ** 2));
    expect(Array.from(tanhGradient(x0, gx, lambda))).toEqual(gu.map((v) => expect.closeTo(v, 12)));
    const lr = 0.05;
    const s = adamStep({ u: Float64Array.from(u0), m: new Float64Array(3), v: new Float64Array(3), t: 0 }, gu, lr);
    // first step: m̂ = g, v̂ = g², so u1 = u0 - lr · g / (|g| + ε)
    const u1 = u0.map((u, j) => u - (lr * gu[j]!) / (Math.abs(gu[j]!) + 1e-8));
    s.u.forEach((v, j) => expect(Math.abs(v - u1[j]!)).toBeLessThan(1e-9));
    s.u.forEach((v, j) => expect(Math.abs(Math.tanh(v) - Math.tanh(u1[j]!))).toBeLessThan(1e-9));
    expect(s.t).toBe(1);
    // a second step with a known gradient, by the textbook formulas
    const g2 = [0.1, 0.3, -0.2];
    const s2 = adamStep(s, g2, lr);
    g2.forEach((g, j) => {
      const m = 0.9 * s.m[j]! + 0.1 * g;
      const v = 0.999 * s.v[j]! + 0.001 * g * g;
      const expected = s.u[j]! - (lr * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
      expect(Math.abs(s2.u[j]! - expected)).toBeLessThan(1e-9);
    });
  });

  it('the Jacobi eigen-decomposition behind CMA-ES reconstructs its matrix', () => {
    const a = [Float64Array.of(4, 1, 0.5), Float64Array.of(1, 3, -0.2), Float64Array.of(0.5, -0.2, 2)];
    const { values, vectors } = symmetricEigen(a);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      const v = values.reduce((s, l, k) => s + vectors[i]![k]! * l * vectors[j]![k]!, 0);
      expect(v).toBeCloseTo(a[i]![j]!, 10);
    }
  });
});

// a tiny environment so that a whole optimization runs in seconds (as in gns-train.test.ts)
const SMALL_PROJECT = { particles: 36, frames: 14, joints: 4 };
const SMALL_NET = { latent: 16, messagePassingSteps: 2, mlpLayers: 1, radius: 0.03, batchSize: 1, evalEvery: 10, patience: 50, fidelityDesigns: 0, seed: 5 };

describe('optimize job', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;

  beforeAll(() => {
    t = testWorkbench({ compute: { size: 2 } });
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
    projectId = t.wb.projects.create({ name: 'Optimize', environment: 'fluidtool-2d', settings: SMALL_PROJECT }).id;
  });
  afterAll(() => t.dispose());

  async function runOptimize(params: Record<string, unknown>): Promise<JobInfo & { result: OptimizeResult }> {
    const started = ok<JobInfo>(await call('jobs.start', { kind: 'optimize', projectId, params }));
    const job = await t.wb.jobs.whenFinished(started.id);
    expect(job.error).toBeNull();
    expect(job.status).toBe('succeeded');
    return job as JobInfo & { result: OptimizeResult };
  }

  it('CEM on the ground truth: queries counted = rows stored, every iterate a record, the best design kept', async () => {
    const before = countRows(t.wb, 'simulator_queries');
    const messages: string[] = [];
    const points: [number, number][] = [];
    const off = t.wb.events.on((event, payload) => {
      if (event === 'job.updated' && (payload as JobInfo).kind === 'optimize') messages.push((payload as JobInfo).message ?? '');
      if (event === 'run.progress') points.push([(payload as { queries: number }).queries, (payload as { bestCost: number }).bestCost]);
    });
    const job = await runOptimize({ optimizer: 'cem', budget: 20, seed: 3, cem: { population: 8 } });
    off();
    const r = job.result;
    expect(r.queries).toBe(20);
    expect(countRows(t.wb, 'simulator_queries') - before).toBe(20);
    const run = `cem-${job.id}`;
    const queries = t.wb.db.prepare('SELECT simulator, method, run, cost FROM simulator_queries WHERE run = ? ORDER BY id').all(run) as { simulator: string; method: string; cost: number }[];
    expect(queries).toHaveLength(20);
    expect(queries.every((q) => q.simulator === 'ground_truth' && q.method === 'cem')).toBe(true);
    // 8 + 8 + 4: the last population cut to the budget
    const records = t.wb.db.prepare('SELECT run, optimizer, iteration, cost, design, task FROM optimization_records WHERE dataset_id = ? ORDER BY id').all(r.datasetId) as {
      run: string;
      optimizer: string;
      iteration: number;
      cost: number;
      design: Buffer;
      task: Buffer;
    }[];
    expect(records.map((x) => x.iteration)).toEqual([...Array(8).fill(0), ...Array(8).fill(1), ...Array(4).fill(2)]);
    expect(records.map((x) => x.cost)).toEqual(queries.map((q) => q.cost));
    expect(records.every((x) => x.run === run && x.optimizer === 'cem')).toBe(true);
    expect(Array.from(fromFloat32Blob(records[0]!.task))).toEqual(Array.from(t.wb.environment(projectId).defaultTask()));
    const dataset = t.wb.db.prepare('SELECT kind, source, status, stats FROM datasets WHERE id = ?').get(r.datasetId) as { kind: string; source: string; status: string; stats: string };
    expect(dataset).toMatchObject({ kind: 'optimization', source: 'optimize:cem', status: 'ready' });
    expect(JSON.parse(dataset.stats)).toMatchObject({ rows: 20, runs: 1, tasks: 1, optimizers: 1 });
    // the curve: one point per batch, never rising, ending at the best stored cost
    expect(r.curve.map((p) => p[0])).toEqual([8, 16, 20]);
    expect(r.curve.at(-1)![1]).toBe(Math.min(...queries.map((q) => q.cost)));
    // the same curve arrived live, one optimize.progress event per batch
    // live: the curve's points as they came, at most one per progress interval (coalesced),
    // always ending at its last
    expect(points.length).toBeGreaterThanOrEqual(1);
    expect(points.every((p) => r.curve.some((c) => c[0] === p[0] && c[1] === p[1]))).toBe(true);
    expect(points.map((p) => p[0])).toEqual([...points.map((p) => p[0])].sort((a, b) => a - b));
    expect(points.at(-1)).toEqual(r.curve.at(-1));
    const best = t.wb.db.prepare('SELECT method, run, cost, capture, model_id, provenance, design FROM designs WHERE id = ?').get(r.best!.designId) as Record<string, unknown>;
    expect(best).toMatchObject({ method: 'cem', run, cost: r.best!.cost, model_id: null });
    expect(JSON.parse(best.provenance as string)).toMatchObject({ jobId: job.id, budget: 20, queries: 20 });
    expect(Array.from(fromFloat32Blob(best.design as Buffer))).toEqual(r.best!.design);
    // the kept best links the query that found it: the same design, cost and run (exports' query_id)
    expect(r.best!.queryId).not.toBeNull();
    const found = t.wb.db.prepare('SELECT q.id, q.cost, q.run, q.design FROM designs d JOIN simulator_queries q ON q.id = d.query_id WHERE d.id = ?').get(r.best!.designId) as { id: number; cost: number; run: string; design: Buffer };
    expect(found).toMatchObject({ id: r.best!.queryId, cost: r.best!.cost, run });
    expect(Array.from(fromFloat32Blob(found.design))).toEqual(r.best!.design);
    // the live curve as job progress: queries so far and the best cost
    expect(messages.filter((m) => /^queries \d+\/20 · best \d/.test(m)).length).toBeGreaterThan(0);
  });

  it('random search appends to an existing optimization dataset; CMA-ES runs too', async () => {
    const first = await runOptimize({ optimizer: 'random', budget: 10, seed: 1 });
    const second = await runOptimize({ optimizer: 'cmaes', budget: 12, seed: 2, datasetId: first.result.datasetId });
    expect(second.result.datasetId).toBe(first.result.datasetId);
    const runs = t.wb.db.prepare('SELECT run, COUNT(*) AS n FROM optimization_records WHERE dataset_id = ? GROUP BY run ORDER BY run').all(first.result.datasetId);
    expect(runs).toEqual([
      { run: `cmaes-${second.id}`, n: 12 },
      { run: `random-${first.id}`, n: 10 },
    ]);
  });

  it('refuses Adam without a ready learned simulator, and a physics dataset to append to, before any job exists', async () => {
    const jobs = countRows(t.wb, 'jobs');
    const r1 = await call('jobs.start', { kind: 'optimize', projectId, params: { optimizer: 'adam' } });
    expect(!r1.ok && r1.error.message).toMatch(/no ready learned model yet/);
    const r2 = await call('jobs.start', { kind: 'optimize', projectId, params: { optimizer: 'cem', task: [5, 5] } });
    expect(r2.ok).toBe(false);
    expect(countRows(t.wb, 'jobs')).toBe(jobs);
  });

  it('Adam on a tiny trained model: learned queries with the model id, one per step, restarts as runs', async () => {
    const data = ok<JobInfo>(await call('jobs.start', { kind: 'dataset.physics', projectId, params: { count: 4, seed: 2 } }));
    const physics = (await t.wb.jobs.whenFinished(data.id)).result as { datasetId: number };
    const train = ok<JobInfo>(await call('jobs.start', { kind: 'gns.train', projectId, params: { datasetIds: [physics.datasetId], steps: 10, ...SMALL_NET } }));
    expect((await t.wb.jobs.whenFinished(train.id)).status).toBe('succeeded');
    const model = t.wb.models.list(projectId, 'simulator')[0]!;
    const job = await runOptimize({ optimizer: 'adam', budget: 4, seed: 1, adam: { learningRate: 0.1, restarts: 2, smoothness: 0.01 } });
    expect(job.result.queries).toBe(4);
    const rows = t.wb.db.prepare('SELECT simulator, model_id, method, run FROM simulator_queries WHERE run LIKE ? ORDER BY id').all(`adam-${job.id}%`);
    expect(rows).toEqual([1, 1, 2, 2].map((k) => ({ simulator: 'learned', model_id: model.id, method: 'adam', run: `adam-${job.id}-restart-${k}` })));
    const records = t.wb.db.prepare('SELECT iteration FROM optimization_records WHERE dataset_id = ? ORDER BY id').all(job.result.datasetId) as { iteration: number }[];
    expect(records.map((x) => x.iteration)).toEqual([0, 1, 0, 1]);
    const best = t.wb.db.prepare('SELECT model_id, method FROM designs WHERE id = ?').get(job.result.best!.designId);
    expect(best).toEqual({ model_id: model.id, method: 'adam' });
  });
});
