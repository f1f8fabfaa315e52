import type { z } from 'zod';
import type { JobParams, ModelInfo, SimulatorModelConfig } from '../../../../src-shared/api';
import { PARTICLE_TYPE } from '../../../../src-shared/fluidtool2d';
import { PhysicsDatasets, type StoredTrajectory } from '../../datasets/physics';
import type { FluidTool2DSettings } from '../../../../src-shared/environments';
import { createEnvironment, type Environment } from '../../environments';
import { GnsNetwork } from '../../gns/network';
import { computeNormalization, type TrajectoryPositions } from '../../gns/normalization';
import { exportGnsOnnx } from '../../gns/onnx-export';
import { deserializeWeights, serializeWeights, type GnsModelFile, type WeightsLayout } from '../../gns/serialize';
import { bytesToFloats, floatBytes } from '../../nn/floats';
import { GNS_DEFAULTS, type GnsConfig, type GnsNormalization, type GnsWeights } from '../../gns/spec';
import { GnsTrainer, sampleWindows, type PartGradientArgs } from '../../gns/train';
import { ModelStore } from '../../models/store';
import { seededRandom } from '../../random';
import { LearnedRunner } from '../../simulators/learned';
import { spearman } from '../../stats';
import { ProjectStore } from '../../storage/projects';
import { QueryStore } from '../../storage/queries';
import { loadTf } from '../../tf';
import type { JobContext, JobRunner } from '../kind';
import '../../compute/rollout'; // registers the rollout with the compute pool
import { freshTrainingState, runTrainingLoop, trainingMetrics, type TrainingState } from '../training-loop';

type Params = z.output<(typeof JobParams)['gns.train']>;

export type { GnsModelFile } from '../../gns/serialize';

interface CheckpointJson extends TrainingState {
  version: 1;
  norm: GnsNormalization;
  layout: WeightsLayout;
  optimizerSize: number;
}

const CHECKPOINT_JSON = 'checkpoint.json';
const CHECKPOINT_BIN = 'checkpoint.bin';

/** The water was still before its release: pad C copies of frame 0 in front of a trajectory. */
function padAtRest(t: StoredTrajectory, c: number): TrajectoryPositions {
  const frame = t.particles * 2;
  const positions = new Float32Array((t.frames + c) * frame);
  for (let k = 0; k < c; k++) positions.set(t.positions.subarray(0, frame), k * frame);
  positions.set(t.positions, c * frame);
  return { positions, frames: t.frames + c, particles: t.particles, particleTypes: t.particleTypes };
}

function mix(seed: number, k: number): number {
  let h = Math.imul(seed ^ 0x27d4eb2f, 0x165667b1) ^ Math.imul(k + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca77);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Mean distance of the water to the truth at the given frames. */
function positionErrors(truth: Float32Array, learned: Float32Array, particleTypes: Uint8Array, frames: number[]): number[] {
  const n = particleTypes.length;
  return frames.map((f) => {
    let sum = 0;
    let count = 0;
    for (let p = 0; p < n; p++) {
      if (particleTypes[p] !== PARTICLE_TYPE.water) continue;
      const k = (f * n + p) * 2;
      sum += Math.hypot(learned[k]! - truth[k]!, learned[k + 1]! - truth[k + 1]!);
      count++;
    }
    return count ? sum / count : Number.NaN;
  });
}

function gnsConfigOf(params: Params, bounds: GnsConfig['bounds']): GnsConfig {
  return {
    ...GNS_DEFAULTS,
    latent: params.latent,
    messagePassingSteps: params.messagePassingSteps,
    mlpLayers: params.mlpLayers,
    radius: params.radius,
    noiseStd: params.noiseStd,
    bounds,
  };
}

/**
 * Trains a GNS on a project's physics datasets: live curves, a checkpoint at every evaluation
 * (resumable after a kill on the same loss curve), early stopping on the validation loss; then
 * the best weights are exported to ONNX and evaluated on held-out trajectories and on random
 * designs against the ground truth (cost fidelity, Spearman).
 */
export const gnsTrain: JobRunner<Params> = async (requested, ctx) => {
  if (ctx.projectId === null) throw new Error('A learned simulator belongs to a project: start the job with a projectId.');
  const projectId = ctx.projectId;
  const db = ctx.database();
  const project = new ProjectStore(db).get(projectId);
  const env = createEnvironment(project.environment, project.settings);
  const models = new ModelStore(db, ctx.dataDir);
  const datasets = new PhysicsDatasets(db);
  const queries = new QueryStore(db);
  const { tf, backend } = await loadTf();

  // a resumed model keeps the parameters it was started with, only the step budget may grow
  let model: ModelInfo;
  let params: Params;
  // fine-tuning: the ready model the new one starts from
  let start: { file: GnsModelFile; weights: GnsWeights } | null = null;
  if (requested.resumeModelId !== undefined) {
    model = models.get(requested.resumeModelId);
    if (model.projectId !== projectId || model.kind !== 'simulator') throw new Error(`Model ${model.id} is not a learned simulator of this project.`);
    if (model.status === 'training') throw new Error(`Model ${model.id} is already training.`);
    if (!models.hasFile(model, CHECKPOINT_JSON)) throw new Error(`Model ${model.id} has no checkpoint to resume from.`);
    params = { ...(model.config.training as Params), steps: Math.max(requested.steps, (model.config.training as Params).steps) };
  } else {
    const wall = 3 / project.settings.grid;
    let gns = gnsConfigOf(requested, [wall, 1 - wall, wall, 1 - wall]);
    if (requested.initModelId !== undefined) {
      // fine-tuning keeps the starting model's network and features; only the noise is a training setting
      start = readStartModel(models, requested.initModelId, projectId);
      gns = { ...start.file.gns, noiseStd: requested.noiseStd };
    }
    params = { ...requested, latent: gns.latent, messagePassingSteps: gns.messagePassingSteps, mlpLayers: gns.mlpLayers, radius: gns.radius };
    model = models.create({
      projectId,
      kind: 'simulator',
      name: params.name ?? `GNS ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
      config: { gns, training: params, backend },
      datasetId: params.datasetIds[0]!,
      jobId: ctx.jobId,
      status: 'training',
    });
  }
  const gns = (model.config as SimulatorModelConfig).gns ?? gnsConfigOf(params, GNS_DEFAULTS.bounds);
  // atomically: two processes resuming one model must not both write its files
  if (requested.resumeModelId !== undefined && !models.claimForTraining(model.id, ctx.jobId)) throw new Error(`Model ${model.id} is already training.`);
  model = models.update(model.id, { status: 'training', jobId: ctx.jobId });
  const changed = (): void => ctx.emit('models.changed', { projectId, modelId: model.id });
  changed();

  let finished = false;
  try {
    // data: every trajectory of the chosen physics datasets, split by trajectory
    ctx.progress(0, 'Loading trajectories');
    const all: StoredTrajectory[] = [];
    // the model takes as many steps per frame as its data has states per frame: one value for all
    const perFrame = new Set<number>();
    for (const id of params.datasetIds) {
      const ds = datasets.get(id);
      if (ds.projectId !== projectId) throw new Error(`Dataset ${id} belongs to another project.`);
      if (ds.kind !== 'physics') throw new Error(`Dataset "${ds.name}" is an ${ds.kind} dataset; a simulator learns from physics datasets.`);
      perFrame.add(ds.stats.stepsPerFrame ?? 1);
      all.push(...datasets.trajectories(id));
    }
    if (perFrame.size > 1) throw new Error(`The chosen datasets were recorded with different states per frame (${[...perFrame].join(', ')}); train on datasets of one kind.`);
    const stepsPerFrame = [...perFrame][0] ?? 1;
    if (all.length < 2) throw new Error(`The chosen datasets hold ${all.length} trajectories; training needs at least 2 (one is held out).`);
    const order = all.map((_, i) => i);
    const shuffle = seededRandom(params.seed);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const nVal = Math.min(all.length - 1, Math.max(1, Math.round(all.length * params.validationFraction)));
    const heldOut = order.slice(0, nVal).map((i) => all[i]!);
    const c = gns.historyLength;
    const train = order.slice(nVal).map((i) => padAtRest(all[i]!, c));
    const val = heldOut.map((t) => padAtRest(t, c));

    // data parallelism: with a compute worker to spare, it takes the second half of every batch
    const parallel = params.batchSize >= 2 && ctx.compute().size >= 1;
    const trainerOptions = {
      learningRate: params.learningRate,
      seed: params.seed,
      helper: parallel ? (args: PartGradientArgs) => ctx.compute().run('gnsPartGradient', args) : undefined,
    };
    // network, optimizer and curves: fresh, or from the last checkpoint
    let checkpoint: CheckpointJson | null = null;
    let network: GnsNetwork;
    let bestWeights: GnsWeights;
    let norm: GnsNormalization;
    let trainer: GnsTrainer;
    if (requested.resumeModelId !== undefined) {
      checkpoint = JSON.parse(models.readFile(model, CHECKPOINT_JSON).toString('utf8')) as CheckpointJson;
      const bin = bytesToFloats(models.readFile(model, CHECKPOINT_BIN));
      const size = checkpoint.layout.size;
      norm = checkpoint.norm;
      network = GnsNetwork.fromWeights(tf, gns, deserializeWeights(checkpoint.layout, bin.subarray(0, size)));
      bestWeights = deserializeWeights(checkpoint.layout, bin.subarray(size, 2 * size));
      trainer = new GnsTrainer(tf, network, norm, gns, trainerOptions);
      const o = 2 * size;
      trainer.restoreOptimizerState({ version: 1, step: checkpoint.step, m: bin.slice(o, o + checkpoint.optimizerSize), v: bin.slice(o + checkpoint.optimizerSize, o + 2 * checkpoint.optimizerSize) });
    } else if (start) {
      if ((start.file.stepsPerFrame ?? 1) !== stepsPerFrame) {
        throw new Error(`Model ${params.initModelId} takes ${start.file.stepsPerFrame ?? 1} steps per frame; the chosen datasets have ${stepsPerFrame} states per frame.`);
      }
      // the weights were learned on its normalization: keep it
      norm = start.file.norm;
      network = GnsNetwork.fromWeights(tf, gns, start.weights);
      bestWeights = network.weights();
      trainer = new GnsTrainer(tf, network, norm, gns, trainerOptions);
    } else {
      norm = computeNormalization(train, gns);
      network = GnsNetwork.create(tf, gns, params.seed);
      bestWeights = network.weights();
      trainer = new GnsTrainer(tf, network, norm, gns, trainerOptions);
    }
    const state: TrainingState = checkpoint ? { step: checkpoint.step, curves: checkpoint.curves, best: checkpoint.best, evalsSinceBest: checkpoint.evalsSinceBest, trainingSeconds: checkpoint.trainingSeconds } : freshTrainingState();
    const valWindows = sampleWindows(val, Math.min(64, 8 * val.length), seededRandom(mix(params.seed, -1)), gns);

    const saveCheckpoint = (): void => {
      const weights = serializeWeights(network.weights());
      const opt = trainer.optimizerState();
      const bin = new Float32Array(2 * weights.data.length + opt.m.length + opt.v.length);
      bin.set(weights.data, 0);
      bin.set(serializeWeights(bestWeights).data, weights.data.length);
      bin.set(opt.m, 2 * weights.data.length);
      bin.set(opt.v, 2 * weights.data.length + opt.m.length);
      // the binary first, then the JSON that points to its step: a crash between them resumes the older step safely
      models.writeFile(model, CHECKPOINT_BIN, floatBytes(bin));
      const json: CheckpointJson = { version: 1, ...state, norm, layout: weights.layout, optimizerSize: opt.m.length };
      models.writeFile(model, CHECKPOINT_JSON, JSON.stringify(json));
    };
    const publish = (phase: string): void => {
      model = models.update(model.id, {
        metrics: {
          ...model.metrics,
          phase,
          ...trainingMetrics(state, params.steps),
          trajectories: { train: train.length, heldOut: val.length },
          // threads the training steps ran on (data parallelism)
          trainingThreads: parallel ? 2 : 1,
        },
        files: models.existingFiles(model, [...model.files, CHECKPOINT_JSON, CHECKPOINT_BIN]),
      });
      changed();
    };

    const { stoppedEarly } = await runTrainingLoop(ctx, state, {
      steps: params.steps,
      evalEvery: params.evalEvery,
      patience: params.patience,
      trainStep: (step) => {
        const windows = sampleWindows(train, params.batchSize, seededRandom(mix(params.seed, step)), gns);
        // tenfold less every decaySteps steps: a function of the step alone, so a resumed or
        // extended training follows the same schedule
        trainer.learningRate = params.learningRate * 0.1 ** (step / (params.decaySteps ?? Number.POSITIVE_INFINITY));
        return trainer.stepParallel(windows);
      },
      validate: () => trainer.loss(valWindows),
      onBest: () => {
        bestWeights = network.weights();
      },
      onEvaluated: () => {
        models.assertTraining(model.id, ctx.jobId);
        saveCheckpoint();
        publish('training');
      },
      progress: (step, loss) => ctx.progress((0.8 * step) / params.steps, `step ${step}/${params.steps} · loss ${loss.toPrecision(3)}`),
      progressEvery: 5,
      memoryAdvice: 'train again with a smaller batch size, connectivity radius (fewer edges) or latent size.',
    });
    trainer.dispose();
    network.dispose();

    // the best weights become the model
    models.assertTraining(model.id, ctx.jobId);
    ctx.progress(0.8, 'Exporting to ONNX');
    const layout = serializeWeights(bestWeights);
    const modelFile: GnsModelFile = { gns, norm, layout: layout.layout, stepsPerFrame };
    model = models.update(model.id, { config: { ...model.config, stepsPerFrame } });
    const onnx = exportGnsOnnx(gns, bestWeights, { model: String(model.id), project: String(projectId) });
    models.writeFile(model, 'model.onnx', onnx);
    models.writeFile(model, 'model.json', JSON.stringify(modelFile));
    models.writeFile(model, 'weights.bin', floatBytes(layout.data));
    model = models.update(model.id, { files: [...new Set([...model.files, 'model.onnx', 'model.json', 'weights.bin'])] });
    publish('evaluating');

    const evaluation = await evaluate(ctx, { id: model.id, config: gns, norm, onnx, stepsPerFrame }, heldOut, params, { env, settings: project.settings }, queries, projectId);
    model = models.update(model.id, { status: 'ready', metrics: { ...model.metrics, phase: 'done', stoppedEarly, ...evaluation } });
    finished = true;
    changed();
    return { modelId: model.id, steps: state.step, bestValLoss: state.best?.valLoss ?? null, stoppedEarly, positionError: evaluation.positionError, spearman: evaluation.spearman ?? null };
  } finally {
    // a model another job has taken meanwhile is left to it
    if (!finished && models.trainedBy(model.id, ctx.jobId)) {
      // a cancelled or failed training keeps its checkpoint: it can be resumed; without one it cannot
      const status = models.hasFile(model, CHECKPOINT_JSON) ? 'interrupted' : 'failed';
      models.update(model.id, { status, files: models.existingFiles(model, models.get(model.id).files) });
      changed();
    }
  }
};

/** The weights and model file of a ready learned simulator of the project, to fine-tune. */
function readStartModel(models: ModelStore, id: number, projectId: number): { file: GnsModelFile; weights: GnsWeights } {
  const start = models.get(id);
  if (start.projectId !== projectId || start.kind !== 'simulator') throw new Error(`Model ${id} is not a learned simulator of this project.`);
  if (start.status !== 'ready' || !models.hasFile(start, 'model.json') || !models.hasFile(start, 'weights.bin')) {
    throw new Error(`Model "${start.name}" has no finished weights to start from.`);
  }
  const file = JSON.parse(models.readFile(start, 'model.json').toString('utf8')) as GnsModelFile;
  return { file, weights: deserializeWeights(file.layout, bytesToFloats(models.readFile(start, 'weights.bin'))) };
}

/** Held-out position errors and cost fidelity against the ground truth. */
async function evaluate(
  ctx: JobContext,
  learned: { id: number; config: GnsConfig; norm: GnsNormalization; onnx: Uint8Array; stepsPerFrame: number },
  heldOut: StoredTrajectory[],
  params: Params,
  project: { env: Environment; settings: FluidTool2DSettings },
  queries: QueryStore,
  projectId: number,
): Promise<Record<string, unknown> & { positionError: Record<string, number>; spearman?: number }> {
  const env = project.env;
  const runner = await LearnedRunner.load(learned);
  try {
    // 1. mean particle position error on held-out trajectories, from their own first frame
    const sample = heldOut.slice(0, 8);
    // frames 10, 25, 50 of the environment (k model steps each), within the trajectory
    const perFrame = learned.stepsPerFrame;
    const atFrames = (states: number): number[] => [...new Set([10, 25, 50].map((f) => Math.min(f, Math.floor((states - 1) / perFrame))))];
    const errors = new Map<number, number[]>();
    let done = 0;
    await Promise.all(
      sample.map(async (t) => {
        const frame = t.particles * 2;
        const r = await runner.rolloutFrom(t.positions.slice(0, frame), t.particleTypes, t.frames);
        const frames = atFrames(t.frames);
        positionErrors(t.positions, r.positions, t.particleTypes, frames.map((f) => f * perFrame)).forEach((e, i) => {
          const list = errors.get(frames[i]!) ?? [];
          list.push(e);
          errors.set(frames[i]!, list);
        });
        ctx.progress(0.8 + (0.05 * ++done) / sample.length, `Held-out rollouts ${done}/${sample.length}`);
      }),
    );
    const positionError = Object.fromEntries([...errors].sort((a, b) => a[0] - b[0]).map(([f, list]) => [String(f), list.reduce((a, b) => a + b, 0) / list.length]));

    // 2. cost fidelity: the same random designs and tasks through both simulators
    const n = params.fidelityDesigns;
    if (n === 0) return { positionError, heldOutTrajectories: sample.length };
    // random designs, with random tasks shared by groups of designs: over all pairs the cost
    // varies with the task as much as with the design, so the ranking of designs for one task,
    // what inverse design needs, is measured within each group too
    const rand = seededRandom(mix(params.seed, -2));
    const designs = Array.from({ length: n }, () => env.sampleDesign(rand));
    const groups = Math.max(1, Math.min(4, Math.floor(n / 10)));
    const groupTasks = Array.from({ length: groups }, () => env.sampleTask(rand));
    const tasks = designs.map((_, i) => groupTasks[i % groups]!);
    ctx.throwIfCancelled();
    ctx.progress(0.85, `Ground truth for ${n} designs`);
    const truth = await ctx.compute().map(
      'rollout',
      designs.map((design, i) => ({ environment: env.id, settings: project.settings, design, task: tasks[i]!, keepRollout: false })),
    );
    const learnedCosts: { cost: number; capture: number; wallMs: number }[] = new Array(n);
    let k = 0;
    await Promise.all(
      designs.map(async (design, i) => {
        ctx.throwIfCancelled();
        const r = await runner.rollout(env, design);
        learnedCosts[i] = { ...env.evaluate(r, tasks[i]!), wallMs: r.computeMs };
        if (++k % 5 === 0) ctx.progress(0.85 + (0.15 * k) / n, `Learned rollouts ${k}/${n}`);
      }),
    );
    const run = `model-${learned.id}`;
    recordQueries(queries, projectId, designs, tasks, truth, 'ground_truth', null, run);
    recordQueries(queries, projectId, designs, tasks, learnedCosts, 'learned', learned.id, run);
    ctx.emit('queries.added', { projectId, count: 2 * n });
    const rho = spearman(
      truth.map((t) => t.cost),
      learnedCosts.map((l) => l.cost),
    );
    const perTask = groupTasks.map((_, g) => {
      const idx = designs.map((__, i) => i).filter((i) => i % groups === g);
      return spearman(
        idx.map((i) => truth[i]!.cost),
        idx.map((i) => learnedCosts[i]!.cost),
      );
    });
    return {
      positionError,
      heldOutTrajectories: sample.length,
      spearman: rho,
      spearmanPerTask: perTask.reduce((a, b) => a + b, 0) / perTask.length,
      fidelityTasks: groupTasks.map((t) => Array.from(t)),
      fidelityGroups: designs.map((_, i) => i % groups),
      fidelityDesigns: n,
      fidelity: truth.map((t, i) => [t.cost, learnedCosts[i]!.cost]),
      learnedRolloutMs: learnedCosts.reduce((a, l) => a + l.wallMs, 0) / n,
    };
  } finally {
    await runner.close();
  }
}

function recordQueries(
  queries: QueryStore,
  projectId: number,
  designs: Float32Array[],
  tasks: Float32Array[],
  results: { cost: number; capture: number; wallMs: number }[],
  simulator: 'ground_truth' | 'learned',
  modelId: number | null,
  run: string,
): void {
  // one row per design: every query is stored, the evaluation's too
  queries.record(
    results.map((r, i) => ({ projectId, design: designs[i]!, task: tasks[i]!, simulator, modelId, cost: r.cost, capture: r.capture, wallMs: r.wallMs, method: 'gns.fidelity', run })),
  );
}
