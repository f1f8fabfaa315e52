import type { DiffusionModelConfig, ModelInfo } from '../../../../src-shared/api';
import { DenoiserNetwork, flattenWeights, TIME_EMBEDDING_DEFAULT, unflattenWeights, type DenoiserConfig, type DenoiserWeights } from '../../diffusion/denoiser';
import type { DiffusionModelFile } from '../../diffusion/model-file';
import { exportDenoiserOnnx } from '../../diffusion/onnx-export';
import { makeSchedule } from '../../diffusion/schedule';
import { denoisingBatch, DiffusionTrainer, stepRandom } from '../../diffusion/train';
import { loadDiffusionExamples } from '../../diffusion/training-data';
import { ModelStore } from '../../models/store';
import { floatBytes } from '../../nn/floats';
import { loadTf } from '../../tf';
import type { JobRunner } from '../job-context';
import { openProjectTask } from '../project-context';
import { freshTrainingState, ModelTraining, trainingMetrics } from '../training-loop';
import type { DiffusionTrainParams as Params } from './diffusion-train.check';
import { trainingMessage } from '../../../../src-shared/models';

const VALIDATION_EXAMPLES = 1024;

/**
 * Trains the diffusion prior on a project's optimization datasets (request checked by
 * checkDiffusionTrain): live loss curves, a checkpoint at every evaluation (resumable after a kill
 * on the same loss curve), early stopping; the best weights become the model, exported to ONNX
 * for sampling.
 */
export const diffusionTrain: JobRunner<Params> = async (requested, ctx) => {
  const { projectId, db, env } = openProjectTask(ctx, undefined, 'A diffusion model');
  const models = new ModelStore(db, ctx.dataDir);
  const { tf, backend } = await loadTf();

  // a resumed model keeps the parameters it was started with, only the step budget may grow
  let model: ModelInfo;
  let params: Params;
  if (requested.resumeModelId !== undefined) {
    model = models.get(requested.resumeModelId);
    const before = model.config.training as Params;
    params = { ...before, steps: Math.max(requested.steps, before.steps) };
  } else {
    params = requested;
    const denoiser: DenoiserConfig = { dim: env.designSpace.dim, taskDim: env.taskSpace.dim, width: params.width, blocks: params.blocks, timeEmbedding: TIME_EMBEDDING_DEFAULT, conditional: params.conditional };
    const name = params.name ?? `Diffusion ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    const config = { denoiser, schedule: { kind: params.schedule, timesteps: params.timesteps }, training: params, backend };
    model = models.create({ projectId, kind: 'diffusion', name, config, datasetId: params.datasetIds[0]!, jobId: ctx.jobId, status: 'training' });
  }
  const denoiser = (model.config as DiffusionModelConfig).denoiser as DenoiserConfig;
  const scheduleConfig = (model.config as DiffusionModelConfig).schedule as DiffusionModelFile['schedule'];
  const schedule = makeSchedule(scheduleConfig.kind, scheduleConfig.timesteps);
  const training = ModelTraining.start(ctx, models, model, requested.resumeModelId !== undefined);

  return training.run(async () => {
    ctx.progress(0, 'Loading iterates');
    const data = loadDiffusionExamples(db, params, denoiser.dim, env.taskSpace.lower, env.taskSpace.upper);
    const { scale } = data;
    const checkpoint = requested.resumeModelId !== undefined ? training.readCheckpoint<{ weightsSize: number }>((json) => json.weightsSize) : null;
    const network = checkpoint ? DenoiserNetwork.fromWeights(tf, denoiser, unflattenWeights(denoiser, checkpoint.weights)) : DenoiserNetwork.create(tf, denoiser, params.seed);
    let bestWeights: DenoiserWeights = checkpoint ? unflattenWeights(denoiser, checkpoint.best) : network.weights();
    const opt = new DiffusionTrainer(tf, network, { learningRate: params.learningRate });
    if (checkpoint) opt.restoreOptimizerState(checkpoint.optimizer);
    const state = checkpoint?.state ?? freshTrainingState();
    const dropout = params.conditional ? params.conditionDropout : 0;
    // one fixed validation batch: its loss is comparable from one evaluation to the next
    const valBatch = denoisingBatch(data.val, schedule, Math.min(VALIDATION_EXAMPLES, Math.max(64, 4 * data.val.n)), dropout, stepRandom(params.seed, -1));
    const publish = (phase: string): void =>
      training.publish(
        phase,
        { ...trainingMetrics(state, params.steps), examples: { train: data.train.n, val: data.val.n }, runs: data.runs },
        { config: { ...training.model.config, costLevels: { min: scale.costMin, max: scale.costMax, quantiles: scale.costQuantiles } } },
      );
    publish('training');

    const { stoppedEarly } = await training.loop(state, {
      steps: params.steps,
      evalEvery: params.evalEvery,
      patience: params.patience,
      trainStep: (step) => opt.step(denoisingBatch(data.train, schedule, params.batchSize, dropout, stepRandom(params.seed, step))),
      validate: () => opt.loss(valBatch),
      onBest: () => {
        bestWeights = network.weights();
      },
      checkpoint: () => {
        const weights = flattenWeights(network.weights());
        return { weights, best: flattenWeights(bestWeights), optimizer: opt.optimizerState(), layout: { weightsSize: weights.length } };
      },
      publish: () => publish('training'),
      progress: (step, loss) => ctx.progress((0.95 * step) / params.steps, trainingMessage(step, params.steps, loss)),
      progressEvery: 10,
      memoryAdvice: 'train again with a smaller batch size or a narrower denoiser.',
    });
    opt.dispose();
    network.dispose();

    models.assertTraining(training.model.id, ctx.jobId);
    ctx.progress(0.97, 'Exporting to ONNX');
    const file: DiffusionModelFile = { version: 1, denoiser, schedule: scheduleConfig, scale };
    training.writeModelFiles([
      ['model.onnx', exportDenoiserOnnx(denoiser, bestWeights, { model: String(training.model.id), project: String(projectId) })],
      ['model.json', JSON.stringify(file)],
      ['weights.bin', floatBytes(flattenWeights(bestWeights))],
    ]);
    publish('done');
    training.finish({ metrics: { ...training.model.metrics, stoppedEarly } });
    return { modelId: training.model.id, steps: state.step, bestValLoss: state.best?.valLoss ?? null, stoppedEarly, examples: data.train.n + data.val.n };
  });
};
