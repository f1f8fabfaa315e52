// bench:diffusion — the diffusion prior's costs on this machine (issue #6): one training step of
// the default denoiser (width 256, 4 blocks, batch 256, T 100); sampling throughput of DDIM
// (25 steps) in onnxruntime and in TF.js, unguided and with conditional guidance; the wall time of
// a sample job with particle sampling (N = 64, k = 3, 3-step estimator, 64 final designs) on the
// default FluidTool-2D ground truth, every query stored. Writes bench/results/diffusion.json.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OptimizationDatasets } from '../src-main/engine/datasets/trajectories';
import { DenoiserNetwork, TIME_EMBEDDING_DEFAULT, type DenoiserConfig } from '../src-main/engine/diffusion/denoiser';
import { exportDenoiserOnnx } from '../src-main/engine/diffusion/onnx-export';
import { OnnxDenoiser, TfDenoiser, type EpsilonModel } from '../src-main/engine/diffusion/onnx-denoiser';
import { conditionalGuidance, unconditional } from '../src-main/engine/diffusion/samplers/guidance';
import { reverseProcess } from '../src-main/engine/diffusion/samplers/reverse';
import { makeSchedule } from '../src-main/engine/diffusion/schedule';
import { denoisingBatch, DiffusionTrainer, stepRandom } from '../src-main/engine/diffusion/train';
import { gaussian } from '../src-main/engine/random';
import { seededRandom } from '../src-main/engine/random';
import { loadTf } from '../src-main/engine/tf';
import { jobResult, type JobInfo } from '../src-shared/api';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { benchWorkbench, ok } from './harness';
import { summarize, writeResults } from './report';


async function throughput(model: EpsilonModel, guided: boolean, batch: number, repeats: number): Promise<{ designsPerSecond: number; msPerPass: ReturnType<typeof summarize> }> {
  const schedule = makeSchedule('cosine', 100);
  const normal = gaussian(seededRandom(1));
  const epsilon = guided ? conditionalGuidance(model, Float32Array.of(0, 0, -1), 2) : unconditional(model);
  const times: number[] = [];
  for (let r = 0; r < repeats + 1; r++) {
    const t0 = performance.now();
    await reverseProcess(schedule, epsilon, Float32Array.from({ length: batch * model.config.dim }, normal), batch, { sampler: 'ddim', steps: 25 }, normal);
    if (r > 0) times.push(performance.now() - t0);
  }
  const s = summarize(times);
  return { designsPerSecond: Number(((1000 * batch) / s.median).toFixed(1)), msPerPass: s };
}

async function main(): Promise<void> {
  const { tf, backend } = await loadTf();
  const config: DenoiserConfig = { dim: 8, taskDim: 2, width: 256, blocks: 4, timeEmbedding: TIME_EMBEDDING_DEFAULT, conditional: true };
  const schedule = makeSchedule('cosine', 100);
  const rand = seededRandom(2);
  const n = 4096;
  const examples = { n, dim: 8, designs: Float32Array.from({ length: 8 * n }, () => 2 * rand() - 1), conditions: Float32Array.from({ length: 3 * n }, () => 2 * rand() - 1) };

  console.log(`TF.js backend: ${backend}`);
  const net = DenoiserNetwork.create(tf, config, 1);
  const trainer = new DiffusionTrainer(tf, net, { learningRate: 1e-3 });
  const stepMs: number[] = [];
  for (let s = 0; s < 35; s++) {
    const batch = denoisingBatch(examples, schedule, 256, 0.15, stepRandom(1, s));
    const t0 = performance.now();
    trainer.step(batch);
    if (s >= 5) stepMs.push(performance.now() - t0);
  }
  const train = summarize(stepMs);
  console.log(`training step (batch 256, width 256, 4 blocks): median ${train.median} ms`);

  const onnx = await OnnxDenoiser.load(exportDenoiserOnnx(config, net.weights()));
  const tfModel = new TfDenoiser(net);
  const sampling: Record<string, unknown> = {};
  for (const [name, model] of [
    ['onnxruntime', onnx],
    ['tfjs', tfModel],
  ] as const) {
    for (const guided of [false, true]) {
      const r = await throughput(model, guided, 64, 5);
      sampling[`${name}${guided ? '_conditional' : ''}`] = r;
      console.log(`DDIM 25 steps, batch 64, ${name}${guided ? ' with conditional guidance' : ''}: ${r.designsPerSecond} designs/s (${r.msPerPass.median} ms a pass)`);
    }
  }
  await onnx.release();
  trainer.dispose();

  // a sample job with particle sampling on the default ground truth, through the workbench
  const root = join(__dirname, '..');
  const bench = await benchWorkbench('diffusion');
  const { wb, call } = bench;
  let particle: Record<string, unknown>;
  try {
    const projectId = wb.projects.create({ name: 'bench', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS }).id;
    const datasets = new OptimizationDatasets(wb.db);
    const ds = datasets.create(projectId, 'synthetic', 'bench', null);
    datasets.append(
      ds.id,
      Array.from({ length: 512 }, (_, i) => ({ run: `r${i % 16}`, optimizer: 'cem', iteration: Math.floor(i / 16), task: [0.3 + 0.4 * rand(), 0.1 + 0.2 * rand()], design: Array.from({ length: 8 }, () => 2 * rand() - 1), cost: rand() })),
    );
    datasets.finish(ds.id, 'ready');
    const trainJob = ok<JobInfo>(await call('jobs.start', { kind: 'diffusion.train', projectId, params: { datasetIds: [ds.id], steps: 20, evalEvery: 10 } }));
    const trained = await wb.jobs.whenFinished(trainJob.id);
    if (trained.status !== 'succeeded') throw new Error(`training ${trained.status}: ${trained.error}`);
    const t0 = performance.now();
    const job = ok<JobInfo>(await call('jobs.start', { kind: 'sample', projectId, params: { count: 64, ddimSteps: 25, conditional: { enabled: true }, particles: { enabled: true, count: 64, rounds: 3, estimatorSteps: 3 } } }));
    const done = await wb.jobs.whenFinished(job.id);
    if (done.status !== 'succeeded') throw new Error(`sampling ${done.status}: ${done.error}`);
    const seconds = (performance.now() - t0) / 1000;
    const result = jobResult(done, 'sample');
    const simulatorMs = (wb.db.prepare('SELECT SUM(wall_ms) AS ms FROM simulator_queries WHERE run = ?').get(result.run) as { ms: number }).ms;
    particle = { N: 64, k: 3, estimatorSteps: 3, finalDesigns: 64, queries: result.queries, wallSeconds: Number(seconds.toFixed(2)), simulatorSecondsSummedOverWorkers: Number((simulatorMs / 1000).toFixed(2)), workers: wb.compute.size };
    console.log(`particle sampling N 64, k 3 + 64 final designs on the ground truth: ${seconds.toFixed(1)} s wall, ${result.queries} queries`);
  } finally {
    await bench.close();
  }
  net.dispose();
  const file = writeResults('diffusion', 'npm run bench:diffusion', { backend, trainingStepMs: train, sampling, particleSampling: particle });
  mkdirSync(join(root, 'resources', 'benchmarks'), { recursive: true });
  copyFileSync(file, join(root, 'resources', 'benchmarks', 'diffusion.json'));
  console.log(`written ${file}`);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
