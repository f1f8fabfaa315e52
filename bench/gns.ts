// npm run bench:gns: GNS training step, one-step forward in onnxruntime and TF.js, a 50-frame
// learned rollout in onnxruntime, the design gradient through 50 frames (ms, peak RSS, in a
// process of its own) and the default model's cost fidelity. Writes bench/results/gns.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import type { SimulatorModelMetrics } from '../src-shared/api';
import { FluidTool2D } from '../src-main/engine/environments/fluidtool2d';
import { buildStepInputs } from '../src-main/engine/gns/features';
import { GnsNetwork } from '../src-main/engine/gns/network';
import { computeNormalization } from '../src-main/engine/gns/normalization';
import { exportGnsOnnx } from '../src-main/engine/gns/onnx-export';
import { OnnxGnsStep } from '../src-main/engine/gns/onnx-step';
import { GNS_DEFAULTS } from '../src-main/engine/gns/spec';
import { GnsTrainer, sampleWindows } from '../src-main/engine/gns/train';
import { defaultModelManifest } from '../src-main/engine/models/default-model';
import { seededRandom } from '../src-main/engine/random';
import { LearnedRunner } from '../src-main/engine/simulators/learned';
import { loadTf } from '../src-main/engine/tf';
import { summarize, writeResults } from './report';
import { readFileSync } from 'node:fs';
import { serializeWeights, type GnsModelFile } from '../src-main/engine/gns/serialize';
import { floatBytes } from '../src-main/engine/nn/floats';
import { ComputePool } from '../src-main/engine/compute/pool';
import { spearman } from '../src-main/engine/stats';
import { bundleWorkers } from '../scripts/lib/bundle-workers';

async function timeIt(n: number, warmup: number, fn: () => unknown): Promise<ReturnType<typeof summarize>> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

async function main(): Promise<void> {
  const { tf, backend } = await loadTf();
  const env = new FluidTool2D(FLUIDTOOL2D_DEFAULTS);
  const rand = seededRandom(3);
  const trajectories = Array.from({ length: 4 }, () => env.rollout(env.sampleDesign(rand)));
  const config = GNS_DEFAULTS;
  const norm = computeNormalization(trajectories, config);
  console.log(`TF.js backend ${backend}; GNS latent ${config.latent}, M ${config.messagePassingSteps}, radius ${config.radius}; ${trajectories[0]!.particles} particles`);

  // 1. a training step: batch of 2 windows
  const network = GnsNetwork.create(tf, config, 1);
  const trainer = new GnsTrainer(tf, network, norm, config, { learningRate: 1e-3, seed: 1 });
  let k = 0;
  const trainStepMs = await timeIt(10, 3, () => trainer.step(sampleWindows(trajectories, 2, seededRandom(k++), config)));
  console.log(`train    step (batch 2): median ${trainStepMs.median.toFixed(0)} ms`);

  // 1b. data parallelism: the same step with the second window on a compute worker, at the
  // default radius and at train:default's 0.03 (three times the edges)
  const parallelBundles = await bundleWorkers(join(__dirname, '..'));
  const helperPool = new ComputePool({ entry: parallelBundles.computeWorker, size: 1 });
  const dataParallel: Record<string, { radius: number; oneThreadMs: ReturnType<typeof summarize>; twoThreadsMs: ReturnType<typeof summarize>; speedup: number }> = {};
  try {
    for (const radius of [config.radius, 0.03]) {
      const c = { ...config, radius };
      const time = async (helper: boolean): Promise<ReturnType<typeof summarize>> => {
        const net = GnsNetwork.create(tf, c, 1);
        const tr = new GnsTrainer(tf, net, norm, c, { learningRate: 1e-3, seed: 1, helper: helper ? (args) => helperPool.run('gnsPartGradient', args) : undefined });
        let j = 0;
        const ms = await timeIt(10, 3, () => tr.stepParallel(sampleWindows(trajectories, 2, seededRandom(j++), c)));
        tr.dispose();
        net.dispose();
        return ms;
      };
      const one = await time(false);
      const two = await time(true);
      dataParallel[`radius ${radius}`] = { radius, oneThreadMs: one, twoThreadsMs: two, speedup: one.median / two.median };
      console.log(`train    step (batch 2, radius ${radius}): one thread ${one.median.toFixed(0)} ms, two threads ${two.median.toFixed(0)} ms (×${(one.median / two.median).toFixed(2)})`);
    }
  } finally {
    await helperPool.close();
    parallelBundles.remove();
  }

  // 2. one step forward on a mid-rollout frame
  const frame = trajectories[0]!.particles * 2;
  const t = trajectories[1]!;
  const history = t.positions.slice(20 * frame, 26 * frame);
  const inputs = buildStepInputs(config, norm, history, t.particleTypes, t.particles);
  const tfStepMs = await timeIt(20, 3, () => network.predict(inputs));
  const onnx = exportGnsOnnx(config, network.weights());
  const ort = await OnnxGnsStep.load(onnx, { intraOpThreads: 1 });
  const ortStepMs = await timeIt(50, 5, () => ort.run(inputs));
  await ort.release();
  console.log(`forward  one step, ${inputs.e} edges: ORT median ${ortStepMs.median.toFixed(1)} ms, TF.js median ${tfStepMs.median.toFixed(1)} ms`);

  // 3. a 50-frame learned rollout in ORT, with the shipped default model when there is one, else
  // with this network trained for a few hundred steps: with random weights the water is flung
  // into the walls, where the constrained particles pile into corners and the radius graph
  // becomes all-to-all, which no trained model does (it timed 4 s against 0.26 s before the
  // learned rollouts kept the walls)
  const shipped = defaultModelManifest();
  const briefSteps = 300;
  const benchModelDir = mkdtempSync(join(tmpdir(), 'idw-bench-gns-'));
  // removed however the bench ends, a failure included
  process.on('exit', () => rmSync(benchModelDir, { recursive: true, force: true }));
  if (!shipped) {
    for (let i = 0; i < briefSteps; i++) trainer.step(sampleWindows(trajectories, 2, seededRandom(1000 + i), config));
    const flat = serializeWeights(network.weights());
    const file: GnsModelFile = { gns: config, norm, layout: flat.layout, stepsPerFrame: 1 };
    writeFileSync(join(benchModelDir, 'model.json'), JSON.stringify(file));
    writeFileSync(join(benchModelDir, 'weights.bin'), floatBytes(flat.data));
  }
  const model = shipped
    ? (() => {
        const file = JSON.parse(readFileSync(join(shipped.dir, 'model.json'), 'utf8')) as GnsModelFile;
        return { id: 0, config: file.gns, norm: file.norm, onnx: readFileSync(join(shipped.dir, 'model.onnx')), stepsPerFrame: file.stepsPerFrame };
      })()
    : { id: 0, config, norm, onnx: exportGnsOnnx(config, network.weights()) };
  const modelLabel = shipped ? 'default model' : `default network trained ${briefSteps + 13} steps on 4 rollouts`;
  trainer.dispose();
  network.dispose();
  const runner = await LearnedRunner.load(model, 1);
  const designs = Array.from({ length: 8 }, () => env.sampleDesign(rand));
  let d = 0;
  const rolloutMs = await timeIt(8, 2, async () => runner.rollout(env, designs[d++ % designs.length]!));
  await runner.close();
  console.log(`rollout  50 frames in ORT (${modelLabel}): median ${rolloutMs.median.toFixed(0)} ms (target ≤ 400 ms)`);

  // 4. the design gradient through 50 frames, in its own process for an honest peak RSS
  let gradient: unknown = null;
  const gradientScript = join(__dirname, 'gns-gradient.ts');
  if (existsSync(join(__dirname, '..', 'src-main', 'engine', 'gns', 'gradient.ts'))) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', gradientScript], {
      encoding: 'utf8',
      cwd: join(__dirname, '..'),
      env: { ...process.env, IDW_BENCH_MODEL_DIR: shipped ? '' : benchModelDir, IDW_BENCH_MODEL_LABEL: modelLabel },
    });
    if (r.status !== 0) throw new Error(`gradient bench failed: ${r.stderr}`);
    gradient = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const g = gradient as { ms: ReturnType<typeof summarize>; peakRssMiB: number };
    console.log(`gradient ∇x E through 50 frames: median ${g.ms.median.toFixed(0)} ms, peak RSS ${g.peakRssMiB.toFixed(0)} MiB (target ≤ 1536 MiB)`);
  } else {
    console.log('gradient not measured: src-main/engine/gns/gradient.ts is not there yet');
  }

  // 5. the shipped default model's cost fidelity, measured now against the ground truth:
  // 100 random designs on 4 random tasks (25 each): Spearman over all pairs and within a task
  let fidelity: Record<string, unknown> | null = null;
  if (shipped) {
    const bundles = await bundleWorkers(join(__dirname, '..'));
    const pool = new ComputePool({ entry: bundles.computeWorker });
    const fidelityRunner = await LearnedRunner.load(model);
    try {
      const r2 = seededRandom(2024);
      const tasks = Array.from({ length: 4 }, () => env.sampleTask(r2));
      const ds = Array.from({ length: 100 }, () => env.sampleDesign(r2));
      const taskOf = (i: number): Float32Array => tasks[i % 4]!;
      const truth = await pool.map('rollout', ds.map((design, i) => ({ environment: env.id, settings: FLUIDTOOL2D_DEFAULTS, design, task: taskOf(i), keepRollout: false })));
      const learned = await Promise.all(ds.map(async (design, i) => env.evaluate(await fidelityRunner.rollout(env, design), taskOf(i)).cost));
      const gt = truth.map((x) => x.cost);
      const perTask = tasks.map((_, g) => {
        const idx = ds.map((__, i) => i).filter((i) => i % 4 === g);
        return spearman(idx.map((i) => gt[i]!), idx.map((i) => learned[i]!));
      });
      fidelity = {
        designs: 100,
        tasks: tasks.map((x) => Array.from(x)),
        spearman: spearman(gt, learned),
        spearmanPerTask: perTask,
        spearmanPerTaskMean: perTask.reduce((a, b) => a + b, 0) / perTask.length,
        positionErrorAtTraining: (shipped.manifest.metrics as SimulatorModelMetrics).positionError,
        trainedBy: shipped.manifest.command,
      };
      console.log(`default  Spearman cost fidelity ${(fidelity.spearman as number).toFixed(3)} over 100 random designs on 4 tasks; within a task ${perTask.map((x) => x.toFixed(2)).join(', ')} (target ≥ 0.9)`);
    } finally {
      await fidelityRunner.close();
      await pool.close();
      bundles.remove();
    }
  }

  const file = writeResults('gns', 'npm run bench:gns', {
    backend,
    config,
    particles: trajectories[0]!.particles,
    edges: inputs.e,
    trainStepMs,
    dataParallel,
    oneStepMs: { onnxruntime: ortStepMs, tfjs: tfStepMs },
    rollout50Ms: { ...rolloutMs, model: modelLabel },
    gradient,
    defaultModel: fidelity,
    targets: { rollout50Ms: 400, gradientPeakRssMiB: 1536, spearman: 0.9 },
  });
  console.log(`wrote ${file}`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
