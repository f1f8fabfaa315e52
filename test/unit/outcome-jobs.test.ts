import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import type { OptimizeResult } from '../../src-main/engine/jobs/kinds/optimize';
import { polishOnGroundTruth, polishStages } from '../../src-main/engine/jobs/kinds/refinement';
import type { CostFidelity } from '../../src-main/engine/outcome/fidelity';
import { JobParams, Refinement, type JobInfo, type ModelInfo, type SampleResult } from '../../src-shared/api';
import type { ApiEnvelope } from '../../src-shared/errors';
import { countRows, err, ok, testWorkbench, tinyOptimizationDataset } from './helpers';
import { seededRandom } from '../../src-main/engine/random';
import { outcomeCost, waterOutcome } from '../../src-shared/fluidtool2d';

// a tiny environment so that ground-truth rollouts take milliseconds
const SMALL_PROJECT = { particles: 36, frames: 14, joints: 4 };
const SMALL_NET = { hidden: [16, 16], batchSize: 32, evalEvery: 10, patience: 50, seed: 3 };

describe('outcome model jobs', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  let modelId: number;

  beforeAll(() => {
    t = testWorkbench({ compute: { size: 2 } });
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
    projectId = t.wb.projects.create({ name: 'Outcome', environment: 'fluidtool-2d', settings: SMALL_PROJECT }).id;
  });
  afterAll(() => t.dispose());

  async function run(kind: string, params: Record<string, unknown>, project = projectId): Promise<JobInfo> {
    const started = ok<JobInfo>(await call('jobs.start', { kind, projectId: project, params }));
    return t.wb.jobs.whenFinished(started.id);
  }

  it('refuses a training without outcomes before a job is queued, naming what to do', async () => {
    // queries stored without outcomes (as before outcomes existed) are no training data
    t.wb.queries.record(Array.from({ length: 30 }, (_, i) => ({ projectId, design: [i / 30, 0, 0, 0], task: [0.5, 0.07], simulator: 'ground_truth' as const, cost: 0.1, wallMs: 1, method: 'old' })));
    const jobs = countRows(t.wb, 'jobs');
    const models = countRows(t.wb, 'models');
    expect(err(await call('jobs.start', { kind: 'outcome.train', projectId, params: {} })).message).toMatch(/at least 20 ground-truth queries with outcomes; this project has 0/);
    expect(err(await call('jobs.start', { kind: 'outcome.train', projectId, params: { useStored: false } })).message).toMatch(/no training data/);
    expect(err(await call('jobs.start', { kind: 'outcome.train', projectId, params: { generate: 40, resumeModelId: 999 } })).message).toMatch(/no model with id 999/);
    expect(countRows(t.wb, 'jobs')).toBe(jobs);
    expect(countRows(t.wb, 'models')).toBe(models);
  });

  it('generates rollouts with outcomes, trains with curves, reports fidelity and writes model.json, weights.bin, ONNX; a resume continues the same curve', async () => {
    const job = await run('outcome.train', { ...SMALL_NET, generate: 80, steps: 40, name: 'whole' });
    expect(job.error).toBeNull();
    const generated = t.wb.db.prepare("SELECT COUNT(*) AS n, COUNT(outcome) AS o FROM simulator_queries WHERE method = 'outcome.data'").get() as { n: number; o: number };
    expect(generated).toEqual({ n: 80, o: 80 });
    modelId = (job.result as { modelId: number }).modelId;
    const model = ok<ModelInfo>(await call('models.get', { id: modelId }));
    expect(model.kind).toBe('outcome');
    expect(model.status).toBe('ready');
    expect(model.files).toEqual(expect.arrayContaining(['model.json', 'weights.bin', 'model.onnx', 'checkpoint.json']));
    const m = model.metrics as { valLoss: [number, number][]; examples: { train: number; val: number }; fidelity: CostFidelity };
    expect(m.valLoss.map((p) => p[0])).toEqual([10, 20, 30, 40]);
    expect(m.examples).toEqual({ train: 72, val: 8, anchors: 0 });
    expect(m.fidelity.designs).toBe(8);
    expect(m.fidelity.tasks).toBe(8);
    expect(m.fidelity.spearmanPerTask).toHaveLength(8);
    expect(Number.isFinite(m.fidelity.spearmanMean)).toBe(true);
    const onnx = ok<{ fileName: string; onnxBase64: string }>(await call('models.exportOnnx', { id: modelId }));
    expect(onnx.fileName).toMatch(/\.onnx$/);

    // the same data in two parts: 20 steps, then resumed to 40
    const first = await run('outcome.train', { ...SMALL_NET, steps: 20, name: 'parts' });
    const partId = (first.result as { modelId: number }).modelId;
    const resumed = await run('outcome.train', { ...SMALL_NET, steps: 40, resumeModelId: partId });
    expect(resumed.error).toBeNull();
    const parts = ok<ModelInfo>(await call('models.get', { id: partId }));
    (parts.metrics as { valLoss: [number, number][] }).valLoss.forEach(([step, loss], i) => {
      expect(step).toBe(m.valLoss[i]![0]);
      expect(loss).toBeCloseTo(m.valLoss[i]![1], 5);
    });
  }, 120_000);

  it('Adam follows the outcome model: learned queries with its id, then its best proposals are checked on the ground truth and the model is refined', async () => {
    const before = countRows(t.wb, 'models');
    const job = await run('optimize', { optimizer: 'adam', budget: 12, modelId, task: [0.6, 0.07], seed: 2, adam: { learningRate: 0.1, restarts: 2 }, refine: { enabled: true, checks: 3, steps: 20 } });
    expect(job.error).toBeNull();
    const r = job.result as OptimizeResult;
    expect(r.queries).toBe(12);
    const rows = t.wb.db.prepare('SELECT simulator, model_id AS modelId, COUNT(*) AS n FROM simulator_queries WHERE method = ? GROUP BY simulator, model_id ORDER BY simulator').all('adam');
    expect(rows).toEqual([
      { simulator: 'ground_truth', modelId: null, n: 3 },
      { simulator: 'learned', modelId, n: 12 },
    ]);
    expect(r.refinement!.checks).toBe(3);
    expect(r.refinement!.best!.learnedCost).not.toBeNull();
    // the checked best is the cheapest of the three ground-truth checks
    const checks = t.wb.db.prepare("SELECT MIN(cost) AS c, COUNT(outcome) AS o FROM simulator_queries WHERE method = 'adam' AND simulator = 'ground_truth'").get() as { c: number; o: number };
    expect(r.refinement!.best!.cost).toBeCloseTo(checks.c, 9);
    expect(checks.o).toBe(3);
    const refined = ok<ModelInfo>(await call('models.get', { id: r.refinement!.refinedModelId! }));
    expect(refined.kind).toBe('outcome');
    expect(refined.status).toBe('ready');
    expect(refined.name).toMatch(/ · refined$/);
    expect((refined.config as { initModelId?: number }).initModelId).toBe(modelId);
    // few real outcomes: the fine-tune also learns its start's predictions at random designs, so it keeps what it knew
    const examples = (refined.metrics as { examples: { train: number; val: number; anchors: number } }).examples;
    expect(examples.anchors).toBe(2000 - examples.train);
    expect(countRows(t.wb, 'models')).toBe(before + 1);
    const design = t.wb.db.prepare("SELECT cost, provenance FROM designs WHERE method = 'adam' AND json_extract(provenance, '$.simulator') = 'ground_truth'").get() as { cost: number; provenance: string };
    expect(design.cost).toBeCloseTo(checks.c, 9);
  }, 120_000);

  it('energy guidance follows the outcome model: its evaluations counted apart from the ground-truth scores, then refined on those scores', async () => {
    const prior = await run('diffusion.train', { datasetIds: [tinyOptimizationDataset(t.wb, projectId, 1)], steps: 20, width: 16, blocks: 1, timesteps: 20, batchSize: 32, evalEvery: 10 });
    expect(prior.error).toBeNull();
    const job = await run('sample', { count: 4, ddimSteps: 5, energy: { enabled: true, scale: 1, clip: 1, lastSteps: 2 }, simulatorModelId: modelId, task: [0.5, 0.07], seed: 2, refine: { enabled: true, checks: 2, steps: 20 } });
    expect(job.error).toBeNull();
    const result = job.result as SampleResult;
    expect(result.queries).toBe(4);
    expect(result.energyEvaluations).toBe(4 * 2);
    const rows = t.wb.db.prepare('SELECT simulator, model_id AS modelId, COUNT(*) AS n FROM simulator_queries WHERE run = ? GROUP BY simulator ORDER BY simulator').all(result.run);
    expect(rows).toEqual([
      { simulator: 'ground_truth', modelId: null, n: 4 },
      { simulator: 'learned', modelId, n: 8 },
    ]);
    // scored on the ground truth already: refinement makes no new query
    expect(result.refinement!.checks).toBe(0);
    expect(result.refinement!.best!.cost).toBeCloseTo(Math.min(...result.designs.map((d) => d.cost)), 9);
    expect(result.refinement!.refinedModelId).not.toBeNull();
  }, 120_000);

  it('the polish: the best checked design perturbed on the ground truth (four stages, wide to fine), its queries stored with the run; the cheapest kept as the run\'s checked best', async () => {
    const sigma = 0.002;
    const wide = 0.05;
    const { last } = t.wb.db.prepare('SELECT COALESCE(MAX(id), 0) AS last FROM simulator_queries').get() as { last: number };
    const job = await run('optimize', { optimizer: 'adam', budget: 8, modelId, task: [0.55, 0.07], seed: 3, adam: { learningRate: 0.1, restarts: 2 }, refine: { enabled: true, checks: 2, steps: 0, polish: 12, polishSigma: sigma, polishWideSigma: wide } });
    expect(job.error).toBeNull();
    const r = (job.result as OptimizeResult).refinement!;
    expect(r.checks).toBe(2);
    expect(r.polished).toBe(12);
    const gt = t.wb.db.prepare("SELECT id, cost, design FROM simulator_queries WHERE method = 'adam' AND simulator = 'ground_truth' AND id > ? ORDER BY id").all(last) as { id: number; cost: number; design: Buffer }[];
    expect(gt).toHaveLength(14);
    const floats = (b: Buffer): Float32Array => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const checked = gt.slice(0, 2);
    expect(r.checkedCost).toBeCloseTo(Math.min(...checked.map((q) => q.cost)), 9);
    // every polish query is a perturbation of a design the run had queried on the ground truth:
    // four stages of three, their std falling geometrically from the wide one to the fine one (the
    // first stage steps farther than the last ever does)
    const stages = polishStages({ polish: 12, polishSigma: sigma, polishWideSigma: wide });
    expect(stages.map((st) => st.end)).toEqual([3, 6, 9, 12]);
    expect(stages[0]!.sigma).toBeCloseTo(wide, 12);
    expect(stages[3]!.sigma).toBeCloseTo(sigma, 12);
    const seen = checked.map((q) => floats(q.design));
    const steps: number[] = [];
    for (const q of gt.slice(2)) {
      const d = floats(q.design);
      const bound = 8 * stages.find((st) => steps.length < st.end)!.sigma;
      const from = seen.map((c) => Math.max(...c.map((v, j) => Math.abs(v - d[j]!))));
      expect(Math.min(...from)).toBeLessThanOrEqual(bound + 1e-6);
      steps.push(Math.min(...from));
      seen.push(d);
    }
    expect(Math.max(...steps.slice(0, 3))).toBeGreaterThan(8 * sigma);
    // the run's checked best is the cheapest of all fourteen, stored as a design
    const cheapest = gt.reduce((b, q) => (q.cost < b.cost ? q : b));
    expect(r.best!.cost).toBeCloseTo(cheapest.cost, 9);
    expect(r.best!.queryId).toBe(cheapest.id);
    expect(Boolean(r.best!.polished)).toBe(cheapest.id > checked[1]!.id);
    const stored = t.wb.db.prepare('SELECT cost FROM designs WHERE query_id = ?').get(cheapest.id) as { cost: number } | undefined;
    expect(stored?.cost).toBeCloseTo(cheapest.cost, 9);
  }, 120_000);

  it('a sampling run scored by the outcome model: its best proposals checked and polished on the ground truth, the result kept among its designs', async () => {
    const diffusion = ok<ModelInfo[]>(await call('models.list', { projectId, kind: 'diffusion' })).find((m) => m.status === 'ready')!;
    const job = await run('sample', { modelId: diffusion.id, count: 6, ddimSteps: 5, simulator: 'learned', simulatorModelId: modelId, task: [0.5, 0.07], seed: 4, refine: { enabled: true, checks: 2, steps: 0, polish: 8 } });
    expect(job.error).toBeNull();
    const result = job.result as SampleResult;
    const r = result.refinement!;
    expect([r.checks, r.polished]).toEqual([2, 8]);
    const gt = t.wb.db.prepare("SELECT id, cost FROM simulator_queries WHERE run = ? AND simulator = 'ground_truth'").all(result.run) as { id: number; cost: number }[];
    expect(gt).toHaveLength(10);
    const kept = result.designs.find((d) => d.phase === 'checked' || d.phase === 'polished')!;
    expect(kept.queryId).toBe(r.best!.queryId);
    expect(kept.cost).toBeCloseTo(Math.min(...gt.map((q) => q.cost)), 9);
    expect(kept.phase).toBe(r.best!.polished ? 'polished' : 'checked');
    const row = t.wb.db.prepare("SELECT json_extract(provenance, '$.phase') AS phase FROM designs WHERE id = ?").get(kept.designId) as { phase: string };
    expect(row.phase).toBe(kept.phase);
  }, 120_000);

  it('screening: the polish first queries near the cheapest checks, its queries part of the polish, stored with the run', async () => {
    const diffusion = ok<ModelInfo[]>(await call('models.list', { projectId, kind: 'diffusion' })).find((m) => m.status === 'ready')!;
    const sigma = 0.002;
    const job = await run('sample', { modelId: diffusion.id, count: 6, ddimSteps: 5, simulator: 'learned', simulatorModelId: modelId, task: [0.5, 0.07], seed: 5, refine: { enabled: true, checks: 3, steps: 0, polish: 9, polishSigma: sigma, polishWideSigma: 0.01, screen: 2, screenDraws: 2 } });
    expect(job.error).toBeNull();
    const result = job.result as SampleResult;
    const r = result.refinement!;
    expect([r.checks, r.polished, r.screened]).toEqual([3, 9, 4]);
    const gt = t.wb.db.prepare("SELECT id, cost, design FROM simulator_queries WHERE run = ? AND simulator = 'ground_truth' ORDER BY id").all(result.run) as { id: number; cost: number; design: Buffer }[];
    expect(gt).toHaveLength(12);
    const floats = (b: Buffer): Float32Array => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const far = (a: Float32Array, b: Float32Array): number => Math.max(...a.map((v, j) => Math.abs(v - b[j]!)));
    // the screening's four queries: two near each of the two cheapest checks, in that order, at the polish σ
    const checks = gt.slice(0, 3).sort((a, b) => a.cost - b.cost);
    gt.slice(3, 7).forEach((q, i) => expect(far(floats(q.design), floats(checks[Math.floor(i / 2)]!.design))).toBeLessThanOrEqual(8 * sigma + 1e-6));
    expect(r.best!.cost).toBeCloseTo(Math.min(...gt.map((q) => q.cost)), 9);
  }, 120_000);

  it('stored designs join the checks with no new query: the cheapest for the task wins as a stored design; storedUpTo leaves out later queries', async () => {
    const diffusion = ok<ModelInfo[]>(await call('models.list', { projectId, kind: 'diffusion' })).find((m) => m.status === 'ready')!;
    const task = [0.5, 0.07];
    const before = t.wb.queries.lastId(projectId);
    // a stored query whose water ended in a tight cluster on the target: cheaper than any design the run will find
    const rand = seededRandom(9);
    const outcome = waterOutcome(Float32Array.from({ length: 72 }, (_, k) => task[k % 2]! + 0.002 * (rand() - 0.5)));
    const cheap = t.wb.queries.record([{ projectId, design: [0.3, -0.3, 0.3, -0.3], task: [0.6, 0.07], simulator: 'ground_truth', cost: 0.01, wallMs: 1, method: 'stored test', outcome }]);
    const refine = { enabled: true, checks: 2, steps: 0, polish: 4, stored: 3 };
    const sample = async (extra: Record<string, unknown>): Promise<SampleResult> => {
      const job = await run('sample', { modelId: diffusion.id, count: 6, ddimSteps: 5, simulator: 'learned', simulatorModelId: modelId, task, seed: 6, refine: { ...refine, ...extra } });
      expect(job.error).toBeNull();
      return job.result as SampleResult;
    };
    const withIt = await sample({});
    const r = withIt.refinement!;
    const exact = outcomeCost(outcome, task).cost;
    // what the project knew when the refinement started: the stored query and the run's learned scores, none of its checks
    const firstCheck = (t.wb.db.prepare("SELECT MIN(id) AS id FROM simulator_queries WHERE run = ? AND simulator = 'ground_truth'").get(withIt.run) as { id: number }).id;
    expect(r.stored!.upToQueryId).toBeGreaterThanOrEqual(cheap);
    expect(r.stored!.upToQueryId).toBeLessThan(firstCheck);
    expect(r.stored!.count).toBe(3);
    expect(r.stored!.cheapestCost).toBeCloseTo(exact, 12);
    // 2 checks + 4 polish queries, and none for the stored designs
    expect((t.wb.db.prepare("SELECT COUNT(*) AS n FROM simulator_queries WHERE run = ? AND simulator = 'ground_truth'").get(withIt.run) as { n: number }).n).toBe(6);
    expect([r.checks, r.polished]).toEqual([2, 4]);
    expect(r.best).toMatchObject({ queryId: cheap, stored: true, learnedCost: null });
    expect(r.best!.cost).toBeCloseTo(exact, 12);
    const kept = withIt.designs.find((d) => d.queryId === cheap)!;
    expect(kept.phase).toBe('stored');
    const row = t.wb.db.prepare("SELECT json_extract(provenance, '$.storedQueryId') AS q, cost FROM designs WHERE id = ?").get(kept.designId) as { q: number; cost: number };
    expect(row).toEqual({ q: cheap, cost: r.best!.cost });
    // the same run on what the project knew before that query: it is not among the stored designs
    const without = (await sample({ storedUpTo: before })).refinement!;
    expect(without.stored!.upToQueryId).toBe(before);
    expect(without.best!.queryId).not.toBe(cheap);
    expect(without.stored!.cheapestCost!).toBeGreaterThan(r.stored!.cheapestCost!);
  }, 120_000);

  it('refuses an outcome model of another project and an unknown fine-tune start, before a job is queued', async () => {
    const other = t.wb.projects.create({ name: 'Other physics', environment: 'fluidtool-2d', settings: { ...SMALL_PROJECT, particles: 49 } }).id;
    const jobs = countRows(t.wb, 'jobs');
    expect(err(await call('jobs.start', { kind: 'optimize', projectId: other, params: { optimizer: 'adam', modelId } })).message).toMatch(/not a learned model of this project/);
    expect(err(await call('jobs.start', { kind: 'optimize', projectId: other, params: { optimizer: 'adam' } })).message).toMatch(/no ready learned model/);
    expect(err(await call('jobs.start', { kind: 'outcome.train', projectId: other, params: { generate: 30, initModelId: modelId } })).message).toMatch(/not an outcome model of this project/);
    expect(countRows(t.wb, 'jobs')).toBe(jobs);
  });
});

describe('polishStages', () => {
  it('splits the polish into at most four equal stages whose std falls geometrically from the wide std to the fine one', () => {
    const s = polishStages({ polish: 32, polishSigma: 0.001, polishWideSigma: 0.01 });
    expect(s.map((st) => st.end)).toEqual([8, 16, 24, 32]);
    const ratios = s.slice(1).map((st, k) => st.sigma / s[k]!.sigma);
    for (const r of ratios) expect(r).toBeCloseTo(0.1 ** (1 / 3), 12);
    expect(s[0]!.sigma).toBeCloseTo(0.01, 12);
    expect(s[3]!.sigma).toBeCloseTo(0.001, 12);
    // uneven counts: the stages still cover every query, in order
    expect(polishStages({ polish: 10, polishSigma: 0.001, polishWideSigma: 0.01 }).map((st) => st.end)).toEqual([3, 5, 8, 10]);
    // fewer queries than stages: one query a stage, from wide to fine
    const two = polishStages({ polish: 2, polishSigma: 0.001, polishWideSigma: 0.01 });
    expect(two.map((st) => st.end)).toEqual([1, 2]);
    expect(two[0]!.sigma).toBeCloseTo(0.01, 12);
    expect(two[1]!.sigma).toBeCloseTo(0.001, 12);
    // no wide std: every stage at the fine one
    expect(polishStages({ polish: 8, polishSigma: 0.002, polishWideSigma: 0 }).map((st) => st.sigma)).toEqual([0.002, 0.002, 0.002, 0.002]);
    expect(polishStages({ polish: 1, polishSigma: 0.002, polishWideSigma: 0.01 })).toEqual([{ end: 1, sigma: 0.002 }]);
  });
});

describe('polishOnGroundTruth: screening', () => {
  // a fake ground truth: near A (the luckiest check) the cost is high on average; near B it is low
  const A = Float32Array.from([0.5, 0.5, 0.5, 0.5]);
  const B = Float32Array.from([-0.5, -0.5, -0.5, -0.5]);
  const near = (d: Float32Array, c: Float32Array): boolean => d.every((v, j) => Math.abs(v - c[j]!) < 0.05);
  function fakeGroundTruth(): { evaluate: (designs: readonly Float32Array[]) => Promise<{ queryId: number; cost: number; capture: number; wallMs: number }[]>; asked: Float32Array[] } {
    const asked: Float32Array[] = [];
    return {
      asked,
      evaluate: (designs) => {
        const out = designs.map((d) => {
          asked.push(d);
          return { queryId: asked.length, cost: near(d, A) ? 0.05 : near(d, B) ? 0.02 + 1e-4 * asked.length : 0.1, capture: 0, wallMs: 1 };
        });
        return Promise.resolve(out);
      },
    };
  }
  const ctx = { throwIfCancelled: () => undefined, progress: () => undefined, compute: () => ({ size: 1 }) } as unknown as Parameters<typeof polishOnGroundTruth>[0];
  const checked = [
    { design: A, cost: 0.01, capture: 0, queryId: -1 },
    { design: B, cost: 0.021, capture: 0, queryId: -2 },
    { design: Float32Array.from([0, 0, 0, 0]), cost: 0.09, capture: 0, queryId: -3 },
  ];
  const input = (screen: number): Parameters<typeof polishOnGroundTruth>[1] => ({
    refine: Refinement.parse({ polish: 12, polishSigma: 0.001, polishWideSigma: 0.005, screen, screenDraws: 3 }),
    task: Float32Array.from([0.5, 0.07]),
    projectId: 1,
    method: 'test',
    run: 'r',
    seed: 1,
    from: 0,
  });

  it('starts the perturbations in the neighbourhood cheapest on average, not at the luckiest check', async () => {
    const sim = fakeGroundTruth();
    const found = await polishOnGroundTruth(ctx, input(2), sim, checked);
    expect([found.queries, found.screened]).toEqual([12, 6]);
    // three draws near A, then three near B (the two cheapest checks), then every perturbation near B
    expect(sim.asked.slice(0, 3).every((d) => near(d, A))).toBe(true);
    expect(sim.asked.slice(3, 6).every((d) => near(d, B))).toBe(true);
    expect(sim.asked.slice(6).every((d) => near(d, B))).toBe(true);
    // the best stays the luckiest check: nothing found near B is cheaper than 0.01
    expect(found.best.queryId).toBe(-1);
  });

  it('without screening, perturbs the cheapest check', async () => {
    const sim = fakeGroundTruth();
    const found = await polishOnGroundTruth(ctx, input(0), sim, checked);
    expect([found.queries, found.screened]).toEqual([12, 0]);
    expect(sim.asked.every((d) => near(d, A))).toBe(true);
  });

  it('refuses a screening larger than the polish, naming screen', () => {
    const bad = JobParams.sample.safeParse({ modelId: 1, task: [0.5, 0.07], refine: { polish: 5, screen: 2, screenDraws: 3 } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.'))).toContain('refine.screen');
    expect(Refinement.parse({}).screen).toBe(0);
    expect(JobParams.sample.safeParse({ modelId: 1, task: [0.5, 0.07], refine: { polish: 6, screen: 2, screenDraws: 3 } }).success).toBe(true);
  });
});
