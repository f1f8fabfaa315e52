import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import type { JobInfo, ModelInfo, SimulationResult } from '../../src-shared/api';
import type { ApiEnvelope } from '../../src-shared/errors';
import { countRows, ok, testWorkbench } from './helpers';


// a tiny environment and network so that a whole training runs in seconds
const SMALL_PROJECT = { particles: 36, frames: 14, joints: 4 };
const SMALL_NET = { latent: 16, messagePassingSteps: 2, mlpLayers: 1, radius: 0.03, batchSize: 1, evalEvery: 10, patience: 50, fidelityDesigns: 6, seed: 5 };

describe('GNS training job', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  let datasetId: number;

  beforeEach(async () => {
    t = testWorkbench({ compute: { size: 2 } });
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
    projectId = t.wb.projects.create({ name: 'GNS', environment: 'fluidtool-2d', settings: SMALL_PROJECT }).id;
    const job = ok<JobInfo>(await call('jobs.start', { kind: 'dataset.physics', projectId, params: { count: 6, seed: 2 } }));
    await t.wb.jobs.whenFinished(job.id);
    datasetId = t.wb.datasets.list(projectId)[0]!.id;
  });
  afterEach(() => t.dispose());

  async function train(params: Record<string, unknown>): Promise<{ job: JobInfo; model: ModelInfo }> {
    const started = ok<JobInfo>(await call('jobs.start', { kind: 'gns.train', projectId, params }));
    const job = await t.wb.jobs.whenFinished(started.id);
    const model = t.wb.models.list(projectId, 'simulator')[0]!;
    return { job, model };
  }

  it('trains, exports ONNX, measures fidelity and serves learned queries', async () => {
    const { job, model } = await train({ datasetIds: [datasetId], steps: 20, ...SMALL_NET });
    expect(job.error).toBeNull();
    expect(job.status).toBe('succeeded');
    expect(model.status).toBe('ready');
    expect(model.files).toEqual(expect.arrayContaining(['model.onnx', 'model.json', 'weights.bin', 'checkpoint.json']));
    const m = model.metrics as { trainLoss: [number, number][]; valLoss: [number, number][]; spearman: number; fidelity: [number, number][]; positionError: Record<string, number> };
    expect(m.trainLoss.map((p) => p[0])).toEqual([10, 20]);
    expect(m.valLoss).toHaveLength(2);
    expect(m.fidelity).toHaveLength(6);
    expect(m.spearman).toBeGreaterThanOrEqual(-1);
    expect(m.spearman).toBeLessThanOrEqual(1);
    expect(Object.keys(m.positionError).map(Number)).toEqual([10, 13]);
    // the fidelity check's queries are stored, ground truth and learned
    const fidelityRows = t.wb.db.prepare("SELECT simulator, model_id FROM simulator_queries WHERE method = 'gns.fidelity'").all() as { simulator: string; model_id: number | null }[];
    expect(fidelityRows.filter((r) => r.simulator === 'learned' && r.model_id === model.id)).toHaveLength(6);
    expect(fidelityRows.filter((r) => r.simulator === 'ground_truth')).toHaveLength(6);

    const before = countRows(t.wb, 'simulator_queries');
    const r = ok<SimulationResult>(await call('simulate.run', { projectId, design: [0, 0.2, 0, 0], simulator: 'learned', modelId: model.id }));
    expect(r.rollout.frames).toBe(14);
    expect(Number.isFinite(r.cost)).toBe(true);
    const row = t.wb.db.prepare('SELECT simulator, model_id FROM simulator_queries WHERE id = ?').get(r.queryId);
    expect(row).toEqual({ simulator: 'learned', model_id: model.id });
    expect(countRows(t.wb, 'simulator_queries')).toBe(before + 1);

    const onnx = ok<{ fileName: string; onnxBase64: string }>(await call('models.exportOnnx', { id: model.id }));
    expect(Buffer.from(onnx.onnxBase64, 'base64').length).toBeGreaterThan(1000);
  });

  it.each([
    ['one thread', 1],
    ['two threads (batches split over the job and a compute worker)', 2],
  ])('continues from its checkpoint on the same loss curve as an uninterrupted training: %s', async (_, batchSize) => {
    const full = await train({ datasetIds: [datasetId], steps: 30, ...SMALL_NET, batchSize, fidelityDesigns: 0, name: 'full' });
    const reference = (full.model.metrics as { valLoss: [number, number][] }).valLoss;
    expect(reference.map((p) => p[0])).toEqual([10, 20, 30]);
    expect((full.model.metrics as { trainingThreads: number }).trainingThreads).toBe(batchSize);

    const first = await train({ datasetIds: [datasetId], steps: 10, ...SMALL_NET, batchSize, fidelityDesigns: 0, name: 'in two parts' });
    expect(first.model.name).toBe('in two parts');
    const resumed = ok<JobInfo>(await call('jobs.start', { kind: 'gns.train', projectId, params: { datasetIds: [datasetId], resumeModelId: first.model.id, steps: 30 } }));
    const done = await t.wb.jobs.whenFinished(resumed.id);
    expect(done.error).toBeNull();
    const after = t.wb.models.get(first.model.id);
    expect(after.status).toBe('ready');
    const curve = (after.metrics as { valLoss: [number, number][] }).valLoss;
    expect(curve.map((p) => p[0])).toEqual([10, 20, 30]);
    curve.forEach(([, loss], i) => expect(loss).toBeCloseTo(reference[i]![1], 6));
  });

  it("fine-tunes a new model from a ready model's weights, keeping its network and normalization", async () => {
    const base = await train({ datasetIds: [datasetId], steps: 40, ...SMALL_NET, fidelityDesigns: 0, name: 'base' });
    const baseBest = (base.model.metrics as { bestValLoss: number }).bestValLoss;
    const baseFile = JSON.parse(t.wb.models.readFile(base.model, 'model.json').toString('utf8')) as { norm: unknown; gns: { latent: number } };
    // sizes given with initModelId are the starting model's, whatever the request says
    const started = ok<JobInfo>(await call('jobs.start', { kind: 'gns.train', projectId, params: { datasetIds: [datasetId], initModelId: base.model.id, steps: 10, evalEvery: 10, latent: 64, learningRate: 1e-4, fidelityDesigns: 0, name: 'tuned' } }));
    const done = await t.wb.jobs.whenFinished(started.id);
    expect(done.error).toBeNull();
    const tuned = t.wb.models.list(projectId, 'simulator').find((m) => m.name === 'tuned')!;
    expect(tuned.id).not.toBe(base.model.id);
    expect((tuned.config as { gns: { latent: number } }).gns.latent).toBe(16);
    expect((tuned.config.training as { initModelId: number }).initModelId).toBe(base.model.id);
    const tunedFile = JSON.parse(t.wb.models.readFile(tuned, 'model.json').toString('utf8')) as { norm: unknown };
    expect(tunedFile.norm).toEqual(baseFile.norm);
    // its first validation loss starts where the base model ended, far below a fresh network's
    const first = (tuned.metrics as { valLoss: [number, number][] }).valLoss[0]![1];
    const fresh = await train({ datasetIds: [datasetId], steps: 10, ...SMALL_NET, learningRate: 1e-4, fidelityDesigns: 0, name: 'fresh' });
    const freshFirst = (t.wb.models.get(fresh.model.id).metrics as { valLoss: [number, number][] }).valLoss[0]![1];
    expect(first).toBeLessThan(baseBest * 1.5);
    expect(first).toBeLessThan(freshFirst * 0.8);
    // the base model is untouched
    expect(t.wb.models.get(base.model.id).metrics).toEqual(base.model.metrics);
    // not both, and not from a model without weights
    const both = await call('jobs.start', { kind: 'gns.train', projectId, params: { datasetIds: [datasetId], initModelId: base.model.id, resumeModelId: base.model.id } });
    expect(!both.ok && both.error.message).toMatch(/either resumeModelId .* or initModelId/);
    const missing = await call('jobs.start', { kind: 'gns.train', projectId, params: { datasetIds: [datasetId], initModelId: 9999 } });
    expect(missing.ok).toBe(false);
  });

  it('is cancelled promptly mid-training, keeping its last checkpoint for a later resume', async () => {
    const started = ok<JobInfo>(await call('jobs.start', { kind: 'gns.train', projectId, params: { datasetIds: [datasetId], steps: 5000, ...SMALL_NET, fidelityDesigns: 0 } }));
    await new Promise<void>((resolve) => {
      const off = t.wb.events.on((event) => {
        if (event === 'models.changed' && (t.wb.models.list(projectId, 'simulator')[0]?.metrics as { step?: number }).step) {
          off();
          resolve();
        }
      });
    });
    t.wb.jobs.cancel(started.id);
    const job = await t.wb.jobs.whenFinished(started.id);
    expect(job.status).toBe('cancelled');
    const model = t.wb.models.list(projectId, 'simulator')[0]!;
    expect(model.status).toBe('interrupted');
    expect((model.metrics as { step: number }).step).toBeLessThan(5000);
    expect(t.wb.models.hasFile(model, 'checkpoint.json')).toBe(true);
  });

  it('learns at several steps per frame when its data was recorded that way, and rolls out whole frames', async () => {
    const job = ok<JobInfo>(await call('jobs.start', { kind: 'dataset.physics', projectId, params: { count: 4, seed: 3, stepsPerFrame: 4, name: 'fine' } }));
    await t.wb.jobs.whenFinished(job.id);
    const fine = t.wb.datasets.list(projectId).find((d) => d.name === 'fine')!;
    expect(fine.stats).toMatchObject({ trajectories: 4, frames: (14 - 1) * 4 + 1, stepsPerFrame: 4 });
    // the same instants: the last fine state is the last frame, so the costs agree
    const coarse = t.wb.datasets.trajectories(datasetId)[0]!;
    expect(coarse.frames).toBe(14);
    const mixed = await call('jobs.start', { kind: 'gns.train', projectId, params: { datasetIds: [datasetId, fine.id], steps: 10, ...SMALL_NET } });
    expect(!mixed.ok && mixed.error.message).toMatch(/different states per frame \(1, 4\)/);
    expect(countRows(t.wb, 'models')).toBe(0);
    const { job: trained, model } = await train({ datasetIds: [fine.id], steps: 10, ...SMALL_NET, fidelityDesigns: 4, name: 'fine model' });
    expect(trained.error).toBeNull();
    expect((model.config as { stepsPerFrame?: number }).stepsPerFrame).toBe(4);
    const r = ok<SimulationResult>(await call('simulate.run', { projectId, design: [0, 0, 0, 0], simulator: 'learned', modelId: model.id }));
    expect(r.rollout.frames).toBe(14);
  });

  it('refuses a bad training request before any job or model is written', async () => {
    const r1 = await call('jobs.start', { kind: 'gns.train', projectId, params: { datasetIds: [9999] } });
    expect(r1.ok).toBe(false);
    const r2 = await call('jobs.start', { kind: 'gns.train', projectId, params: { datasetIds: [datasetId], latent: 4 } });
    expect(!r2.ok && r2.error.message).toMatch(/params\.latent: must be at least 8/);
    const r3 = await call('simulate.run', { projectId, design: [0, 0, 0, 0], simulator: 'learned' });
    expect(!r3.ok && r3.error.message).toMatch(/no trained learned simulator/);
    // a dataset of one trajectory leaves nothing to validate on
    const single = ok<{ id: number }>(
      await call('datasets.importPhysics', { projectId, name: 'one', npzBase64: ok<{ npzBase64: string }>(await call('datasets.exportPhysics', { id: datasetId })).npzBase64 }),
    );
    t.wb.db.prepare('DELETE FROM physics_trajectories WHERE dataset_id = ? AND id NOT IN (SELECT MIN(id) FROM physics_trajectories WHERE dataset_id = ?)').run(single.id, single.id);
    const r4 = await call('jobs.start', { kind: 'gns.train', projectId, params: { datasetIds: [single.id] } });
    expect(!r4.ok && r4.error.message).toMatch(/hold 1 trajectories; training needs at least 2/);
    expect(countRows(t.wb, 'models')).toBe(0);
    expect(t.wb.jobStore.list({}).filter((j) => j.kind === 'gns.train')).toHaveLength(0);
  });
});
