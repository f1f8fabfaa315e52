// npm run bench:physics: one default FluidTool-2D rollout on one thread; a 64-design batch
// with one compute worker and with all; queries/s through the Simulator interface including
// the SQLite writes. Prints figures, writes bench/results/physics.json.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { ComputePool } from '../src-main/engine/compute/pool';
import { FluidTool2D } from '../src-main/engine/environments/fluidtool2d';
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
  console.log(`rollout  ${settings.particles} particles, ${settings.joints} joints, ${settings.frames} frames × ${settings.substeps} substeps: median ${rolloutMs.median.toFixed(1)} ms (p10 ${rolloutMs.p10}, p90 ${rolloutMs.p90}, n=${rolloutMs.n}) on one thread`);

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
  console.log(`speedup  ${speedup.toFixed(2)}× with ${cores} workers (target ≥ 1.7× on 2 cores)`);

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

  const file = writeResults('physics', 'npm run bench:physics', {
    settings: { particles: settings.particles, joints: settings.joints, frames: settings.frames, substeps: settings.substeps, grid: settings.grid },
    rolloutMsOneThread: rolloutMs,
    batch64: batch,
    speedup: Number(speedup.toFixed(2)),
    queriesPerSecond: Number(queriesPerSecond.toFixed(2)),
    targets: { rolloutMedianMs: 150, speedupOn2Cores: 1.7 },
  });
  console.log(`wrote ${file}`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
