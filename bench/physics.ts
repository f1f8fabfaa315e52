// npm run bench:physics: one default FluidTool-2D rollout on one thread; a 64-design batch
// with one compute worker and with all; queries/s through the Simulator interface including
// the SQLite writes. Prints figures, writes bench/results/physics.json.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { ComputePool } from '../src-main/engine/compute/pool';
import { FluidTool2D } from '../src-main/engine/environments/fluidtool2d';
import { defaultModelManifest, installDefaultOutcome } from '../src-main/engine/models/default-model';
import { OutcomeModel } from '../src-main/engine/outcome/model-file';
import { OUTCOME_ONNX_IO } from '../src-main/engine/outcome/onnx-export';
import { mpmKernel } from '../src-main/engine/physics/mpm';
import { OutcomeSimulator } from '../src-main/engine/simulators/learned-energy';
import { seededRandom } from '../src-main/engine/random';
import { Workbench } from '../src-main/engine/workbench';
import { bundleWorkers } from '../scripts/lib/bundle-workers';
import { quantile, summarize, writeResults } from './report';

async function main(): Promise<void> {
  const settings = FLUIDTOOL2D_DEFAULTS;
  const env = new FluidTool2D(settings);
  const rand = seededRandom(11);

  // 1. one rollout, this thread
  const single: number[] = [];
  for (let i = 0; i < 25; i++) {
    const design = env.sampleDesign(rand);
    const t0 = performance.now();
    env.rollout(design);
    if (i >= 5) single.push(performance.now() - t0); // the first runs warm up the JIT
  }
  const sorted = [...single].sort((a, b) => a - b);
  const rolloutMs = { ...summarize(single), p10: Number(quantile(sorted, 0.1).toFixed(2)), p90: Number(quantile(sorted, 0.9).toFixed(2)) };
  console.log(`rollout  ${settings.particles} particles, ${settings.joints} joints, ${settings.frames} frames × ${settings.substeps} substeps: median ${rolloutMs.median.toFixed(1)} ms (p10 ${rolloutMs.p10}, p90 ${rolloutMs.p90}, n=${rolloutMs.n}) on one thread (${mpmKernel()} kernel)`);

  // 2. a 64-design batch with one worker and with all
  const bundles = await bundleWorkers(join(__dirname, '..'));
  const designs = Array.from({ length: 64 }, () => env.sampleDesign(rand));
  const task = env.defaultTask();
  const cores = availableParallelism();
  const batch: Record<string, { workers: number; seconds: number; designsPerSecond: number }> = {};
  for (const workers of [1, cores]) {
    const pool = new ComputePool({ size: workers, entry: bundles.computeWorker });
    const args = designs.map((design) => ({ environment: env.id, settings, design, task, keepRollout: false }));
    await pool.map('rollout', args.slice(0, workers * 2)); // start and warm every worker
    const t0 = performance.now();
    await pool.map('rollout', args);
    const seconds = (performance.now() - t0) / 1000;
    await pool.close();
    batch[`workers${workers}`] = { workers, seconds: Number(seconds.toFixed(3)), designsPerSecond: Number((64 / seconds).toFixed(2)) };
    console.log(`batch    64 designs with ${workers} worker${workers > 1 ? 's' : ''}: ${seconds.toFixed(2)} s, ${(64 / seconds).toFixed(1)} designs/s`);
  }
  const speedup = batch[`workers${cores}`]!.designsPerSecond / batch.workers1!.designsPerSecond;
  console.log(`speedup  ${speedup.toFixed(2)}× with ${cores} workers (target ≥ 1.8× on 2 cores)`);

  // 3. queries/s through the Simulator interface, SQLite writes included
  const dir = mkdtempSync(join(tmpdir(), 'idw-bench-physics-'));
  const wb = new Workbench({ dataDir: dir, mode: 'cli', compute: { entry: bundles.computeWorker } });
  let queriesPerSecond = 0;
  try {
    const projectId = wb.projects.create({ name: 'bench', environment: 'fluidtool-2d', settings: {} }).id;
    const sim = wb.simulator(projectId);
    await sim.evaluate(designs.slice(0, cores * 2), task, { projectId, method: 'bench-warmup' });
    const t0 = performance.now();
    await sim.evaluate(designs, task, { projectId, method: 'bench' });
    const seconds = (performance.now() - t0) / 1000;
    queriesPerSecond = 64 / seconds;
    const stored = wb.queries.count(projectId);
    console.log(`queries  ${queriesPerSecond.toFixed(1)} queries/s with ${wb.compute.size} workers, stored ${stored} rows`);
  } finally {
    await wb.close();
    rmSync(dir, { recursive: true, force: true });
    bundles.remove();
  }

  // 4. the learned energy beside it: designs/s through the shipped outcome model in ORT (batch of
  // 64, one thread), and queries/s through its Simulator (the plain forward pass, SQLite writes included)
  let outcome: { ortDesignsPerSecond: number; simulatorQueriesPerSecond: number } | null = null;
  const found = defaultModelManifest('fluidtool2d-outcome');
  if (found) {
    const model = OutcomeModel.fromBytes(readFileSync(join(found.dir, 'model.json'), 'utf8'), new Uint8Array(readFileSync(join(found.dir, 'weights.bin'))));
    const session = await InferenceSession.create(readFileSync(join(found.dir, 'model.onnx')), { intraOpNumThreads: 1 });
    const input = new Tensor('float32', Float32Array.from(designs.flatMap((d) => Array.from(d))), [64, env.designSpace.dim]);
    for (let k = 0; k < 5; k++) await session.run({ [OUTCOME_ONNX_IO.design]: input });
    const ort: number[] = [];
    for (let k = 0; k < 50; k++) {
      const s = performance.now();
      await session.run({ [OUTCOME_ONNX_IO.design]: input });
      ort.push(performance.now() - s);
    }
    await session.release();
    const dir2 = mkdtempSync(join(tmpdir(), 'idw-bench-physics-outcome-'));
    const wb2 = new Workbench({ dataDir: dir2, mode: 'cli', compute: { size: 0 } });
    try {
      const project = wb2.projects.create({ name: 'bench', environment: 'fluidtool-2d', settings: {} });
      const projectId = project.id;
      const installed = installDefaultOutcome(wb2.models, project);
      if (!installed) throw new Error('the shipped outcome model does not fit the default settings');
      const sim = new OutcomeSimulator(installed.id, model, env, wb2.queries);
      await sim.evaluate(designs, task, { projectId, method: 'bench-warmup' });
      const t0 = performance.now();
      for (let k = 0; k < 20; k++) await sim.evaluate(designs, task, { projectId, method: 'bench' });
      const seconds = (performance.now() - t0) / 1000;
      const ortMs = quantile([...ort].sort((a, b) => a - b), 0.5);
      outcome = { ortDesignsPerSecond: Math.round(64 / (ortMs / 1000)), simulatorQueriesPerSecond: Math.round((20 * 64) / seconds) };
      console.log(`outcome  the shipped outcome model: ${outcome.ortDesignsPerSecond.toLocaleString('en')} designs/s in ORT (batch of 64, one thread), ${outcome.simulatorQueriesPerSecond.toLocaleString('en')} queries/s through its Simulator (SQLite writes included), against ${queriesPerSecond.toFixed(1)} ground-truth queries/s`);
    } finally {
      await wb2.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  }

  const file = writeResults('physics', 'npm run bench:physics', {
    kernel: mpmKernel(),
    outcomeModel: outcome,
    settings: { particles: settings.particles, joints: settings.joints, frames: settings.frames, substeps: settings.substeps, grid: settings.grid },
    rolloutMsOneThread: rolloutMs,
    batch64: batch,
    speedup: Number(speedup.toFixed(2)),
    queriesPerSecond: Number(queriesPerSecond.toFixed(2)),
    targets: { rolloutMedianMs: 30, speedupOn2Cores: 1.8 },
  });
  console.log(`wrote ${file}`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
