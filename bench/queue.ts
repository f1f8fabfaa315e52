// npm run bench:queue: ground-truth rollouts of the default FluidTool-2D through the Redis queue
// (BullMQ) and 1, 2 and 4 local `idw worker` processes (one core each), against the local compute
// pool on the same machine; and the queue's overhead per batch: a batch's round trip less the
// rollout time the worker measured, batches sent one at a time. Starts its own redis-server on a
// free loopback port. Prints figures, writes bench/results/queue.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { ComputePool } from '../src-main/engine/compute/pool';
import { QueueCompute } from '../src-main/engine/compute/queue';
import type { RolloutArgs } from '../src-main/engine/compute/rollout';
import { FluidTool2D } from '../src-main/engine/environments/fluidtool2d';
import { seededRandom } from '../src-main/engine/random';
import { bundleWorkers } from '../scripts/lib/bundle-workers';
import { startRedis } from '../test/unit/redis-server';
import { quantile, summarize, writeResults } from './report';

const DESIGNS = 96;
const BATCH = 4;
const OVERHEAD_BATCHES = 20;
const root = join(__dirname, '..');

function startWorker(url: string, computeFile: string): { proc: ChildProcess; ready: Promise<void> } {
  const spec = { url, computeFile, concurrency: 1 };
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/fixtures/queue-worker.ts'), JSON.stringify(spec)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve, reject) => {
    let text = '';
    proc.stdout!.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('"event":"ready"')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`worker exited (${code}): ${text}`)));
  });
  return { proc, ready };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  const settings = FLUIDTOOL2D_DEFAULTS;
  const env = new FluidTool2D(settings);
  const rand = seededRandom(17);
  const args: RolloutArgs[] = Array.from({ length: DESIGNS }, () => ({ environment: env.id, settings, design: env.sampleDesign(rand), task: env.sampleTask(rand), keepRollout: false }));
  const cores = availableParallelism();
  const bundles = await bundleWorkers(root);
  const redis = await startRedis();
  const rows: Record<string, { processes: number | null; seconds: number; designsPerSecond: number }> = {};
  let overhead: ReturnType<typeof summarize> & { p10: number; p90: number };
  try {
    // 1. the local pool, one thread and one per core
    for (const size of [1, cores]) {
      const pool = new ComputePool({ size, entry: bundles.computeWorker });
      await pool.map('rollout', args.slice(0, size * 2)); // start and warm every thread
      const t0 = performance.now();
      await pool.map('rollout', args);
      const seconds = (performance.now() - t0) / 1000;
      await pool.close();
      rows[`localPool${size}`] = { processes: null, seconds: Number(seconds.toFixed(3)), designsPerSecond: Number((DESIGNS / seconds).toFixed(2)) };
      console.log(`local pool, ${size} thread${size > 1 ? 's' : ''}: ${DESIGNS} designs in ${seconds.toFixed(2)} s, ${(DESIGNS / seconds).toFixed(1)} designs/s`);
    }

    // 2. the queue through 1, 2 and 4 worker processes (batches of 4 designs)
    const local = new ComputePool({ size: 0 });
    const workers: ChildProcess[] = [];
    let q: QueueCompute | null = null;
    try {
      for (const n of [1, 2, 4]) {
        while (workers.length < n) {
          const w = startWorker(redis.url, bundles.computeWorker);
          workers.push(w.proc);
          await w.ready;
        }
        q = new QueueCompute({ url: redis.url, local, batchSize: BATCH, notice: () => undefined });
        await q.map('rollout', args.slice(0, n * BATCH * 2)); // warm every worker
        const t0 = performance.now();
        await q.map('rollout', args);
        const seconds = (performance.now() - t0) / 1000;
        if (q.mode !== 'queue') throw new Error('the bench ran on the local pool, not the queue');
        rows[`queue${n}`] = { processes: n, seconds: Number(seconds.toFixed(3)), designsPerSecond: Number((DESIGNS / seconds).toFixed(2)) };
        console.log(`queue, ${n} worker process${n > 1 ? 'es' : ''}: ${DESIGNS} designs in ${seconds.toFixed(2)} s, ${(DESIGNS / seconds).toFixed(1)} designs/s (batches of ${BATCH})`);
        if (n < 4) {
          await q.close();
          q = null;
        }
      }
      // 3. overhead per batch: one batch at a time (so none waits for a worker), 4 workers idle
      const overheads: number[] = [];
      for (let k = 0; k < OVERHEAD_BATCHES; k++) {
        const slice = args.slice((k * BATCH) % DESIGNS, ((k * BATCH) % DESIGNS) + BATCH);
        const t0 = performance.now();
        const outcomes = await q!.map('rollout', slice);
        const roundTrip = performance.now() - t0;
        overheads.push(roundTrip - outcomes.reduce((s, o) => s + o.wallMs, 0));
      }
      const sorted = [...overheads].sort((a, b) => a - b);
      overhead = { ...summarize(overheads), p10: Number(quantile(sorted, 0.1).toFixed(2)), p90: Number(quantile(sorted, 0.9).toFixed(2)) };
      console.log(`overhead per batch of ${BATCH}: median ${overhead.median.toFixed(1)} ms (p10 ${overhead.p10}, p90 ${overhead.p90}, n=${overhead.n}): round trip less the worker's rollout time`);
    } finally {
      await q?.close();
      await Promise.all(workers.map(stop));
      await local.close();
    }
  } finally {
    await redis.dispose();
    bundles.remove();
  }

  const file = writeResults('queue', 'npm run bench:queue', {
    settings: { particles: settings.particles, joints: settings.joints, frames: settings.frames, substeps: settings.substeps, grid: settings.grid },
    designs: DESIGNS,
    batchSize: BATCH,
    cores,
    designsPerSecond: rows,
    overheadPerBatchMs: overhead,
    note: 'every worker process runs on this machine: on 2 cores the queue cannot speed anything up; the figures show its cost',
  });
  console.log(`wrote ${file}`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
