import type { z } from 'zod';
import type { DiffusionModelConfig, JobParams, ModelInfo } from '../../../../src-shared/api';
import { OptimizationDatasets } from '../../datasets/trajectories';
import { conditionScale, selectIterates, toExamples, type IterateRecord } from '../../diffusion/data';
import { DenoiserNetwork, flattenWeights, TIME_EMBEDDING_DEFAULT, unflattenWeights, type DenoiserConfig, type DenoiserWeights } from '../../diffusion/denoiser';
import type { DiffusionModelFile } from '../../diffusion/model-file';
import { exportDenoiserOnnx } from '../../diffusion/onnx-export';
import { makeSchedule } from '../../diffusion/schedule';
import { denoisingBatch, DiffusionTrainer, stepRandom } from '../../diffusion/train';
import { createEnvironment } from '../../environments';
import { bytesToFloats, floatBytes } from '../../nn/floats';
import { ModelStore } from '../../models/store';
import { seededRandom } from '../../random';
import { ProjectStore } from '../../storage/projects';
import { loadTf } from '../../tf';
import type { JobContext, JobRunner } from '../kind';
import { freshTrainingState, runTrainingLoop, trainingMetrics, type TrainingState } from '../training-loop';

type Params = z.output<(typeof JobParams)['diffusion.train']>;

interface CheckpointJson extends TrainingState {
  version: 1;
  weightsSize: number;
  optimizerSize: number;
}

const CHECKPOINT_JSON = 'checkpoint.json';
const CHECKPOINT_BIN = 'checkpoint.bin';
const VALIDATION_EXAMPLES = 1024;

/** The chosen datasets' iterates as training and validation examples, split by run. */
function loadExamples(ctx: JobContext, params: Params, projectId: number, dim: number, taskLower: number[], taskUpper: number[]) {
  const datasets = new OptimizationDatasets(ctx.database());
  const records: IterateRecord[] = [];
  for (const id of params.datasetIds) {
    const ds = datasets.get(id);
    if (ds.projectId !== projectId) throw new Error(`Dataset ${id} belongs to another project.`);
    if (ds.kind !== 'optimization') throw new Error(`Dataset "${ds.name}" is a ${ds.kind} dataset; the diffusion prior learns from optimization datasets (optimizer trajectories).`);
    if (ds.status === 'building') throw new Error(`Dataset "${ds.name}" is still being built.`);
    for (const r of datasets.records(id)) records.push({ datasetId: id, run: r.run, iteration: r.iteration, task: r.task, design: r.design, cost: r.cost });
  }
  const runs = selectIterates(records, params.iterates === 'last' ? { iterates: 'last', lastFraction: params.lastFraction } : { iterates: params.iterates });
  const total = runs.reduce((a, r) => a + r.length, 0);
  if (total < 2) throw new Error(`The chosen datasets give ${total} training designs with iterates "${params.iterates}"; training needs at least 2.`);
  // hold out whole runs, so validation designs are not near-copies of training ones
  const order = runs.map((_, i) => i);
  const shuffle = seededRandom(params.seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let train: IterateRecord[];
  let val: IterateRecord[];
  if (runs.length >= 2) {
    const nVal = Math.min(runs.length - 1, Math.max(1, Math.round(runs.length * params.validationFraction)));
    val = order.slice(0, nVal).flatMap((i) => runs[i]!);
    train = order.slice(nVal).flatMap((i) => runs[i]!);
  } else {
    const all = runs[0]!;
    const nVal = Math.max(1, Math.round(all.length * params.validationFraction));
    val = all.slice(0, nVal);
    train = all.slice(nVal);
  }
  const scale = conditionScale(train, taskLower, taskUpper);
  return { scale, train: toExamples(train, dim, scale), val: toExamples(val, dim, scale), runs: runs.length };
}

/**
 * Trains the diffusion prior on a project's optimization datasets: live loss curves, a
 * checkpoint at every evaluation (resumable after a kill on the same loss curve), early
 * stopping; the best weights become the model, exported to ONNX for sampling.
 */
export const diffusionTrain: JobRunner<Params> = async (requested, ctx) => {
  if (ctx.projectId === null) throw new Error('A diffusion model belongs to a project: start the job with a projectId.');
  const projectId = ctx.projectId;
  const db = ctx.database();
  const project = new ProjectStore(db).get(projectId);
  const env = createEnvironment(project.environment, project.settings);
  const models = new ModelStore(db, ctx.dataDir);
  const { tf, backend } = await loadTf();

  let model: ModelInfo;
  let params: Params;
  if (requested.resumeModelId !== undefined) {
    model = models.get(requested.resumeModelId);
    if (model.projectId !== projectId || model.kind !== 'diffusion') throw new Error(`Model ${model.id} is not a diffusion model of this project.`);
    if (model.status === 'training') throw new Error(`Model ${model.id} is already training.`);
    if (!models.hasFile(model, CHECKPOINT_JSON)) throw new Error(`Model ${model.id} has no checkpoint to resume from.`);
    const before = model.config.training as Params;
    params = { ...before, steps: Math.max(requested.steps, before.steps) };
  } else {
    params = requested;
    const denoiser: DenoiserConfig = { dim: env.designSpace.dim, taskDim: env.taskSpace.dim, width: params.width, blocks: params.blocks, timeEmbedding: TIME_EMBEDDING_DEFAULT, conditional: params.conditional };
    model = models.create({
      projectId,
      kind: 'diffusion',
      name: params.name ?? `Diffusion ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
      config: { denoiser, schedule: { kind: params.schedule, timesteps: params.timesteps }, training: params, backend },
      datasetId: params.datasetIds[0]!,
      jobId: ctx.jobId,
      status: 'training',
    });
  }
  const denoiser = (model.config as DiffusionModelConfig).denoiser as DenoiserConfig;
  const scheduleConfig = (model.config as DiffusionModelConfig).schedule as DiffusionModelFile['schedule'];
  const schedule = makeSchedule(scheduleConfig.kind, scheduleConfig.timesteps);
  // atomically: two processes resuming one model must not both write its files
  if (requested.resumeModelId !== undefined && !models.claimForTraining(model.id, ctx.jobId)) throw new Error(`Model ${model.id} is already training.`);
  model = models.update(model.id, { status: 'training', jobId: ctx.jobId });
  const changed = (): void => ctx.emit('models.changed', { projectId, modelId: model.id });
  changed();

  let finished = false;
  try {
    ctx.progress(0, 'Loading iterates');
    const { lower, upper } = env.taskSpace;
    const data = loadExamples(ctx, params, projectId, denoiser.dim, lower, upper);
    const { scale } = data;

    let checkpoint: CheckpointJson | null = null;
    let network: DenoiserNetwork;
    let bestWeights: DenoiserWeights;
    const trainer = (n: DenoiserNetwork) => new DiffusionTrainer(tf, n, { learningRate: params.learningRate });
    let opt: DiffusionTrainer;
    if (requested.resumeModelId !== undefined) {
      checkpoint = JSON.parse(models.readFile(model, CHECKPOINT_JSON).toString('utf8')) as CheckpointJson;
      const bin = bytesToFloats(models.readFile(model, CHECKPOINT_BIN));
      const size = checkpoint.weightsSize;
      network = DenoiserNetwork.fromWeights(tf, denoiser, unflattenWeights(denoiser, bin.subarray(0, size)));
      bestWeights = unflattenWeights(denoiser, bin.subarray(size, 2 * size));
      opt = trainer(network);
      const o = 2 * size;
      opt.restoreOptimizerState({ version: 1, step: checkpoint.step, m: bin.slice(o, o + checkpoint.optimizerSize), v: bin.slice(o + checkpoint.optimizerSize, o + 2 * checkpoint.optimizerSize) });
    } else {
      network = DenoiserNetwork.create(tf, denoiser, params.seed);
      bestWeights = network.weights();
      opt = trainer(network);
    }
    const state: TrainingState = checkpoint ? { step: checkpoint.step, curves: checkpoint.curves, best: checkpoint.best, evalsSinceBest: checkpoint.evalsSinceBest, trainingSeconds: checkpoint.trainingSeconds } : freshTrainingState();
    // one fixed validation batch: its loss is comparable from one evaluation to the next
    const valBatch = denoisingBatch(data.val, schedule, Math.min(VALIDATION_EXAMPLES, Math.max(64, 4 * data.val.n)), params.conditional ? params.conditionDropout : 0, stepRandom(params.seed, -1));

    const saveCheckpoint = (): void => {
      const weights = flattenWeights(network.weights());
      const adam = opt.optimizerState();
      const bin = new Float32Array(2 * weights.length + adam.m.length + adam.v.length);
      bin.set(weights, 0);
      bin.set(flattenWeights(bestWeights), weights.length);
      bin.set(adam.m, 2 * weights.length);
      bin.set(adam.v, 2 * weights.length + adam.m.length);
      // the binary first, then the JSON pointing at its step: a crash between them resumes the older step
      models.writeFile(model, CHECKPOINT_BIN, floatBytes(bin));
      const json: CheckpointJson = { version: 1, ...state, weightsSize: weights.length, optimizerSize: adam.m.length };
      models.writeFile(model, CHECKPOINT_JSON, JSON.stringify(json));
    };
    const publish = (phase: string): void => {
      model = models.update(model.id, {
        metrics: {
          ...model.metrics,
          phase,
          ...trainingMetrics(state, params.steps),
          examples: { train: data.train.n, val: data.val.n },
          runs: data.runs,
        },
        config: { ...model.config, costLevels: { min: scale.costMin, max: scale.costMax, quantiles: scale.costQuantiles } },
        files: models.existingFiles(model, [...model.files, CHECKPOINT_JSON, CHECKPOINT_BIN]),
      });
      changed();
    };
    publish('training');

    const dropout = params.conditional ? params.conditionDropout : 0;
    const { stoppedEarly } = await runTrainingLoop(ctx, state, {
      steps: params.steps,
      evalEvery: params.evalEvery,
      patience: params.patience,
      trainStep: (step) => opt.step(denoisingBatch(data.train, schedule, params.batchSize, dropout, stepRandom(params.seed, step))),
      validate: () => opt.loss(valBatch),
      onBest: () => {
        bestWeights = network.weights();
      },
      onEvaluated: () => {
        models.assertTraining(model.id, ctx.jobId);
        saveCheckpoint();
        publish('training');
      },
      progress: (step, loss) => ctx.progress((0.95 * step) / params.steps, `step ${step}/${params.steps} · loss ${loss.toPrecision(3)}`),
      progressEvery: 10,
      memoryAdvice: 'train again with a smaller batch size or a narrower denoiser.',
    });
    opt.dispose();
    network.dispose();

    models.assertTraining(model.id, ctx.jobId);
    ctx.progress(0.97, 'Exporting to ONNX');
    const file: DiffusionModelFile = { version: 1, denoiser, schedule: scheduleConfig, scale };
    models.writeFile(model, 'model.onnx', exportDenoiserOnnx(denoiser, bestWeights, { model: String(model.id), project: String(projectId) }));
    models.writeFile(model, 'weights.bin', floatBytes(flattenWeights(bestWeights)));
    models.writeFile(model, 'model.json', JSON.stringify(file));
    model = models.update(model.id, { files: [...new Set([...model.files, 'model.onnx', 'model.json', 'weights.bin'])] });
    publish('done');
    model = models.update(model.id, { status: 'ready', metrics: { ...model.metrics, stoppedEarly } });
    finished = true;
    changed();
    return { modelId: model.id, steps: state.step, bestValLoss: state.best?.valLoss ?? null, stoppedEarly, examples: data.train.n + data.val.n };
  } finally {
    // a model another job has taken meanwhile is left to it
    if (!finished && models.trainedBy(model.id, ctx.jobId)) {
      // a cancelled or failed training keeps its checkpoint: it can be resumed
      models.update(model.id, { status: models.hasFile(model, CHECKPOINT_JSON) ? 'interrupted' : 'failed', files: models.existingFiles(model, models.get(model.id).files) });
      changed();
    }
  }
};
