import { expectedQueries, samplingProgress } from '../../src-main/engine/diffusion/samplers/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { OptimizationDatasets } from '../../src-main/engine/datasets/trajectories';
import { bytesToFloats } from '../../src-main/engine/nn/floats';
import { seededRandom } from '../../src-main/engine/random';
import { DesignStore } from '../../src-main/engine/storage/designs';
import type { JobInfo, ModelInfo, SampleResult } from '../../src-shared/api';
import type { ApiEnvelope } from '../../src-shared/errors';
import { countRows, err, ok, testWorkbench } from './helpers';

// a tiny environment so that ground-truth scoring takes milliseconds (as in optimizers.test.ts)
const SMALL_PROJECT = { particles: 36, frames: 14, joints: 4 };
const SMALL_NET = { width: 32, blocks: 2, timesteps: 40, batchSize: 64, evalEvery: 10, patience: 50, seed: 3 };

describe('diffusion training and sampling jobs', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  let datasetId: number;

  beforeAll(() => {
    t = testWorkbench({ compute: { size: 2 } });
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
    projectId = t.wb.projects.create({ name: 'Diffusion', environment: 'fluidtool-2d', settings: SMALL_PROJECT }).id;
    // 12 runs of 10 iterates on random tasks: designs drifting toward a task-dependent point
    const datasets = new OptimizationDatasets(t.wb.db);
    const ds = datasets.create(projectId, 'runs', 'test', null);
    const rand = seededRandom(1);
    const records = [];
    for (let r = 0; r < 12; r++) {
      const task = [0.2 + 0.6 * rand(), 0.1 + 0.2 * rand()];
      const goal = [task[0]! - 0.5, task[1]! - 0.2, 0.3, -0.3];
      for (let i = 0; i < 10; i++) {
        const design = goal.map((g) => Math.max(-1, Math.min(1, g + (1 - i / 10) * (rand() - 0.5))));
        records.push({ run: `run-${r}`, optimizer: 'cem', iteration: i, task, design, cost: 0.1 * (1 - i / 10) + 0.01 * rand() });
      }
    }
    datasets.append(ds.id, records);
    datasetId = datasets.finish(ds.id, 'ready').id;
  });
  afterAll(() => t.dispose());

  async function run(kind: string, params: Record<string, unknown>): Promise<JobInfo> {
    const started = ok<JobInfo>(await call('jobs.start', { kind, projectId, params }));
    return t.wb.jobs.whenFinished(started.id);
  }

  it('trains a model from an optimization dataset: curves, ONNX file, cost levels; resume continues the same loss curve', async () => {
    const whole = await run('diffusion.train', { ...SMALL_NET, datasetIds: [datasetId], steps: 40, name: 'whole' });
    expect(whole.error).toBeNull();
    const model = ok<ModelInfo>(await call('models.get', { id: (whole.result as { modelId: number }).modelId }));
    expect(model.kind).toBe('diffusion');
    expect(model.status).toBe('ready');
    expect(model.files).toEqual(expect.arrayContaining(['model.onnx', 'model.json', 'weights.bin', 'checkpoint.json']));
    const metrics = model.metrics as { trainLoss: [number, number][]; valLoss: [number, number][]; examples: { train: number; val: number } };
    expect(metrics.trainLoss.map((p) => p[0])).toEqual([10, 20, 30, 40]);
    expect(metrics.examples.train + metrics.examples.val).toBe(120);
    expect((model.config as { costLevels: { quantiles: number[] } }).costLevels.quantiles).toHaveLength(21);

    // the same training in two parts: 20 steps, then resumed to 40
    const first = await run('diffusion.train', { ...SMALL_NET, datasetIds: [datasetId], steps: 20, name: 'parts' });
    const partId = (first.result as { modelId: number }).modelId;
    const resumed = await run('diffusion.train', { ...SMALL_NET, datasetIds: [datasetId], steps: 40, resumeModelId: partId });
    expect(resumed.error).toBeNull();
    const parts = ok<ModelInfo>(await call('models.get', { id: partId }));
    const a = (parts.metrics as { valLoss: [number, number][] }).valLoss;
    expect(a.map((p) => p[0])).toEqual([10, 20, 30, 40]);
    a.forEach(([, loss], i) => expect(loss).toBeCloseTo(metrics.valLoss[i]![1], 5));
  }, 120_000);

  it('samples with particle sampling on the ground truth: every query stored, queries = N k + count, designs kept with provenance', async () => {
    const before = countRows(t.wb, 'simulator_queries');
    const seen: JobInfo[] = [];
    const off = t.wb.events.on((event, payload) => {
      if (event === 'job.updated' && (payload as JobInfo).kind === 'sample') seen.push(payload as JobInfo);
    });
    const job = await run('sample', {
      count: 6,
      ddimSteps: 8,
      conditional: { enabled: true, weight: 2 },
      particles: { enabled: true, count: 5, rounds: 2, estimatorSteps: 2 },
      task: [0.4, 0.07],
      seed: 4,
    });
    expect(job.error).toBeNull();
    const result = job.result as SampleResult;
    expect(result.queries).toBe(5 * 2 + 6);
    expect(countRows(t.wb, 'simulator_queries') - before).toBe(result.queries);
    // progress moves by query: it never goes back, and it has moved while the particle rounds queried
    off();
    const running = seen.filter((j) => j.id === job.id && j.status === 'running');
    const fractions = running.map((j) => j.progress);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    const duringRounds = running.filter((j) => /queries (\d+)\/16/.test(j.message ?? '') && Number(/queries (\d+)\//.exec(j.message!)![1]) > 0 && Number(/queries (\d+)\//.exec(j.message!)![1]) <= 10);
    expect(duringRounds.length).toBeGreaterThan(0);
    expect(duringRounds.every((j) => j.progress > 0)).toBe(true);
    const stored = t.wb.db.prepare('SELECT method, run, COUNT(*) AS n FROM simulator_queries WHERE run = ? GROUP BY method, run').all(result.run) as { method: string; n: number }[];
    expect(stored).toEqual([{ method: 'ddm+cond+ps', run: result.run, n: 16 }]);
    // the 6 final designs, and the cheapest particle estimate when it beat them: the run's best is
    // the cheapest design the run queried, whatever phase queried it
    expect(result.designs.filter((d) => d.phase === 'final')).toHaveLength(6);
    const cheapest = t.wb.db.prepare('SELECT MIN(cost) AS c FROM simulator_queries WHERE run = ?').get(result.run) as { c: number };
    expect(result.best!.cost).toBe(cheapest.c);
    expect(result.designs.map((d) => d.cost)).toEqual(result.designs.map((d) => d.cost).sort((x, y) => x - y));
    expect(result.designs.every((d) => d.design.every((v) => v >= -1 && v <= 1))).toBe(true);
    expect(result.curve.at(-1)).toEqual([16, Math.min(...result.curve.map((p) => p[1]))]);
    const rows = t.wb.db.prepare('SELECT method, model_id, provenance FROM designs WHERE run = ?').all(result.run) as { method: string; model_id: number; provenance: string }[];
    expect(rows).toHaveLength(result.designs.length);
    const provenance = JSON.parse(rows[0]!.provenance) as { seed: number; particles: { rounds: number }; diffusionModelId: number };
    expect(provenance.seed).toBe(4);
    expect(provenance.particles.rounds).toBe(2);
    expect(rows[0]!.model_id).toBe(result.modelId);
    // the designs table lists the run's designs as its result does, each linked to the query that scored it
    const kept = new DesignStore(t.wb.db).list(job.projectId!, { jobId: job.id });
    expect(kept.map((d) => [d.id, d.queryId, d.cost, d.run])).toEqual(result.designs.map((d) => [d.designId, d.queryId, d.cost, result.run]));
    expect(kept.every((d) => !('queryId' in d.provenance))).toBe(true);
    // a run whose particle round found a design cheaper than its final ones keeps it, marked, as
    // its best: 2 final designs against 16 particle estimates (the seeds are fixed, so is which run)
    let withParticle: SampleResult | null = null;
    for (let seed = 1; seed <= 12 && !withParticle; seed++) {
      const r = (await run('sample', { count: 2, ddimSteps: 8, conditional: { enabled: true, weight: 2 }, particles: { enabled: true, count: 8, rounds: 2, estimatorSteps: 2 }, task: [0.4, 0.07], seed })).result as SampleResult;
      if (r.designs.some((d) => d.phase === 'particles')) withParticle = r;
    }
    expect(withParticle).not.toBeNull();
    const p = withParticle!;
    expect(p.best!.phase).toBe('particles');
    expect(p.best!.cost).toBe((t.wb.db.prepare('SELECT MIN(cost) AS c FROM simulator_queries WHERE run = ?').get(p.run) as { c: number }).c);
    expect(p.best!.cost).toBe(p.curve.at(-1)![1]);
    expect(p.designs.filter((d) => d.phase === 'final')).toHaveLength(2);
    const particleRow = new DesignStore(t.wb.db).list(job.projectId!, { run: p.run }).find((d) => d.queryId === p.best!.queryId)!;
    expect(particleRow.provenance).toMatchObject({ phase: 'particles' });
    // the same seed gives the same designs
    const again = (await run('sample', { count: 6, ddimSteps: 8, conditional: { enabled: true, weight: 2 }, particles: { enabled: true, count: 5, rounds: 2, estimatorSteps: 2 }, task: [0.4, 0.07], seed: 4 })).result as SampleResult;
    expect(again.designs.map((d) => d.design)).toEqual(result.designs.map((d) => d.design));
  }, 120_000);

  it('energy guidance through a tiny trained learned simulator: one learned query with gradient per guided step of each design, plus the final scores', async () => {
    const data = ok<JobInfo>(await call('jobs.start', { kind: 'dataset.physics', projectId, params: { count: 4, seed: 2 } }));
    const physics = (await t.wb.jobs.whenFinished(data.id)).result as { datasetId: number };
    const gns = { latent: 16, messagePassingSteps: 2, mlpLayers: 1, radius: 0.03, batchSize: 1, evalEvery: 10, patience: 50, fidelityDesigns: 0, seed: 5 };
    const train = await run('gns.train', { datasetIds: [physics.datasetId], steps: 10, ...gns });
    expect(train.status).toBe('succeeded');
    const simulatorId = (train.result as { modelId: number }).modelId;
    const job = await run('sample', { count: 3, ddimSteps: 6, energy: { enabled: true, scale: 1, clip: 1, lastSteps: 2 }, simulator: 'learned', task: [0.5, 0.07], seed: 2 });
    expect(job.error).toBeNull();
    const result = job.result as SampleResult;
    // the final scores are the run's queries; energy guidance's gradients are counted apart
    expect(result.queries).toBe(3);
    expect(result.energyEvaluations).toBe(3 * 2);
    expect(result.simulatorModelId).toBe(simulatorId);
    const rows = t.wb.db.prepare('SELECT simulator, model_id, method, COUNT(*) AS n FROM simulator_queries WHERE run = ? GROUP BY simulator, model_id, method').all(result.run);
    expect(rows).toEqual([{ simulator: 'learned', model_id: simulatorId, method: 'ddm+energy', n: 9 }]);
  }, 120_000);

  it('generates trajectories on a task family: every run’s task inside the region', async () => {
    const region = { xMin: 0.4, xMax: 0.5, yMin: 0.06, yMax: 0.08 };
    const job = await run('dataset.optimization', { runs: 3, budget: 4, optimizers: ['random'], taskRegion: region, seed: 3 });
    expect(job.error).toBeNull();
    const tasks = (job.result as { runs: { task: number[] }[] }).runs.map((r) => r.task);
    expect(tasks).toHaveLength(3);
    for (const [x, y] of tasks) {
      expect(x).toBeGreaterThanOrEqual(0.4 - 1e-6);
      expect(x).toBeLessThanOrEqual(0.5 + 1e-6);
      expect(y).toBeGreaterThanOrEqual(0.06 - 1e-6);
      expect(y).toBeLessThanOrEqual(0.08 + 1e-6);
    }
    expect(err(await call('jobs.start', { kind: 'dataset.optimization', projectId, params: { taskRegion: { xMin: 0.5, xMax: 0.4, yMin: 0.06, yMax: 0.08 } } })).message).toMatch(/region is empty/);
    expect(err(await call('jobs.start', { kind: 'dataset.optimization', projectId, params: { taskRegion: { xMin: 0.4, xMax: 3, yMin: 0.06, yMax: 0.08 } } })).message).toMatch(/task/i);
  }, 60_000);

  it('keep "last" runs every step and keeps the moving average of the weights; a resumed training continues the same average', async () => {
    const weightsOf = (m: ModelInfo): Float32Array => bytesToFloats(t.wb.models.readFile(m, 'weights.bin'));
    const modelOf = async (job: JobInfo): Promise<ModelInfo> => ok<ModelInfo>(await call('models.get', { id: (job.result as { modelId: number }).modelId }));
    // patience 1 would stop a keep-"best" training at the first evaluation without a better loss
    const params = { ...SMALL_NET, datasetIds: [datasetId], keep: 'last', ema: 0.9, patience: 1 };
    const whole = await run('diffusion.train', { ...params, steps: 40, name: 'ema whole' });
    expect(whole.error).toBeNull();
    expect(whole.result).toMatchObject({ steps: 40, stoppedEarly: false });
    const wholeModel = await modelOf(whole);
    const curve = (wholeModel.metrics as { valLoss: [number, number][] }).valLoss;
    expect(curve.map((p) => p[0])).toEqual([10, 20, 30, 40]);
    // the kept weights are the average, not the last step's own weights (the checkpoint's first half)
    const kept = weightsOf(wholeModel);
    const raw = bytesToFloats(t.wb.models.readFile(wholeModel, 'checkpoint.bin')).subarray(0, kept.length);
    expect(Math.max(...kept.map((v, i) => Math.abs(v - raw[i]!)))).toBeGreaterThan(1e-4);
    // without the average, keep "last" keeps the last step's weights
    const plain = await modelOf(await run('diffusion.train', { ...params, ema: 0, steps: 20, name: 'last plain' }));
    const plainKept = weightsOf(plain);
    expect(Array.from(plainKept)).toEqual(Array.from(bytesToFloats(t.wb.models.readFile(plain, 'checkpoint.bin')).subarray(0, plainKept.length)));

    // in two parts: the same curve and the same averaged weights
    const first = await run('diffusion.train', { ...params, steps: 20, name: 'ema parts' });
    const partId = (first.result as { modelId: number }).modelId;
    const resumed = await run('diffusion.train', { ...params, steps: 40, resumeModelId: partId });
    expect(resumed.error).toBeNull();
    const parts = ok<ModelInfo>(await call('models.get', { id: partId }));
    const partCurve = (parts.metrics as { valLoss: [number, number][] }).valLoss;
    partCurve.forEach(([step, loss], i) => {
      expect(step).toBe(curve[i]![0]);
      expect(loss).toBeCloseTo(curve[i]![1], 5);
    });
    const partKept = weightsOf(parts);
    expect(Math.max(...partKept.map((v, i) => Math.abs(v - kept[i]!)))).toBeLessThan(1e-5);
  }, 120_000);

  it('refuses bad requests before a job is queued, naming the problem', async () => {
    const jobs = countRows(t.wb, 'jobs');
    expect(err(await call('jobs.start', { kind: 'sample', projectId, params: { task: [5, 5] } })).message).toMatch(/task/i);
    expect(err(await call('jobs.start', { kind: 'sample', projectId, params: { particles: { enabled: true, sigma: 0 } } })).message).toMatch(/sigma/);
    expect(err(await call('jobs.start', { kind: 'sample', projectId, params: { modelId: 99999 } })).message).toMatch(/no model with id 99999/);
    const data = ok<JobInfo>(await call('jobs.start', { kind: 'dataset.physics', projectId, params: { count: 2 } }));
    const physicsId = ((await t.wb.jobs.whenFinished(data.id)).result as { datasetId: number }).datasetId;
    expect(err(await call('jobs.start', { kind: 'diffusion.train', projectId, params: { datasetIds: [physicsId] } })).message).toMatch(/physics dataset; the diffusion prior learns from optimization datasets/);
    expect(err(await call('jobs.start', { kind: 'diffusion.train', projectId, params: { datasetIds: [datasetId], ema: 0.99 } })).message).toMatch(/ema.*keep "last"/);
    expect(err(await call('jobs.start', { kind: 'diffusion.train', projectId, params: { datasetIds: [datasetId], keep: 'last', ema: 1 } })).message).toMatch(/ema/);
    expect(countRows(t.wb, 'jobs')).toBe(jobs + 1);
    const other = t.wb.projects.create({ name: 'Empty', environment: 'fluidtool-2d', settings: SMALL_PROJECT }).id;
    expect(err(await call('jobs.start', { kind: 'sample', projectId: other, params: {} })).message).toMatch(/no trained diffusion model/);
    // no diffusion model in the other project: that is named first, whatever guides the run
    expect(err(await call('jobs.start', { kind: 'sample', projectId: other, params: { energy: { enabled: true } } })).message).toMatch(/no trained diffusion model/);
  }, 60_000);
});

describe('sampling progress', () => {
  it('counts N k + count queries and moves with them, never back, with a small share for denoising', () => {
    const settings = { count: 6, particles: { enabled: true, count: 5, rounds: 2, temperature: 0.01, sigma: 0.5, estimatorSteps: 2 } };
    expect(expectedQueries(settings)).toBe(16);
    expect(expectedQueries({ ...settings, particles: { ...settings.particles, enabled: false } })).toBe(6);
    expect(samplingProgress(0, 16, 0)).toBe(0);
    expect(samplingProgress(5, 16, 0)).toBeGreaterThan(0.25);
    expect(samplingProgress(16, 16, 1)).toBe(1);
    let last = -1;
    for (const [q, f] of [[0, 0], [5, 0.25], [10, 0.5], [10, 0.7], [16, 0.95], [16, 1]] as const) {
      const p = samplingProgress(q, 16, f);
      expect(p).toBeGreaterThanOrEqual(last);
      last = p;
    }
  });
});
