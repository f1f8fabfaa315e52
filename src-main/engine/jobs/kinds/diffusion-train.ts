import type { DiffusionModelConfig, ModelInfo } from '../../../../src-shared/api';
import { TIME_EMBEDDING_DEFAULT, type DenoiserConfig } from '../../diffusion/denoiser';
import type { DiffusionModelFile } from '../../diffusion/model-file';
import { exportDenoiserOnnx } from '../../diffusion/onnx-export';
import { trainDenoiser, type DenoiserTrainingSpec } from '../../diffusion/train-run';
import { unflattenWeights } from '../../diffusion/denoiser';
import { loadDiffusionExamples } from '../../diffusion/training-data';
import { ModelStore } from '../../models/store';
import { floatBytes } from '../../nn/floats';
import { loadTf } from '../../tf';
import type { JobRunner } from '../job-context';
import { openProjectTask } from '../project-context';
import { ModelTraining, trainingMetrics } from '../training-loop';
import { trainHereOrOnQueue, type TrainingReport } from '../queued-training';
import type { DiffusionTrainParams as Params } from './diffusion-train.check';

/**
 * Trains the diffusion prior on a project's optimization datasets (request checked by
 * checkDiffusionTrain): live loss curves, a checkpoint at every evaluation (resumable after a kill
 * on the same loss curve), early stopping; the best weights become the model, exported to ONNX
 * for sampling. With `queue`, a worker of the Redis queue trains it (idw worker) while this job
 * publishes its curves and checkpoints; without a reachable queue it trains here, saying so.
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
    params = { ...before, steps: Math.max(requested.steps, before.steps), queue: requested.queue };
  } else {
    params = requested;
    const denoiser: DenoiserConfig = { dim: env.designSpace.dim, taskDim: env.taskSpace.dim, width: params.width, blocks: params.blocks, timeEmbedding: TIME_EMBEDDING_DEFAULT, conditional: params.conditional };
    const name = params.name ?? `Diffusion ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    const config = { denoiser, schedule: { kind: params.schedule, timesteps: params.timesteps }, training: params, backend };
    model = models.create({ projectId, kind: 'diffusion', name, config, datasetId: params.datasetIds[0]!, jobId: ctx.jobId, status: 'training' });
  }
  const denoiser = (model.config as DiffusionModelConfig).denoiser as DenoiserConfig;
  const schedule = (model.config as DiffusionModelConfig).schedule as DiffusionModelFile['schedule'];
  const training = ModelTraining.start(ctx, models, model, requested.resumeModelId !== undefined);

  return training.run(async () => {
    ctx.progress(0, 'Loading iterates');
    const data = loadDiffusionExamples(db, params, denoiser.dim, env.taskSpace.lower, env.taskSpace.upper);
    const { scale } = data;
    const checkpoint = requested.resumeModelId !== undefined ? training.readCheckpoint<{ weightsSize: number }>((json) => json.weightsSize) : null;
    const report: TrainingReport = { state: checkpoint?.state ?? null, costLoss: null, where: 'here' };
    const publish = (phase: string): void =>
      training.publish(
        phase,
        { ...(report.state ? trainingMetrics(report.state, params.steps) : { step: 0, steps: params.steps }), examples: { train: data.train.n, val: data.val.n }, runs: data.runs, trainedOn: report.where },
        { config: { ...training.model.config, costLevels: { min: scale.costMin, max: scale.costMax, quantiles: scale.costQuantiles } } },
      );
    publish('training');

    const spec: DenoiserTrainingSpec = { denoiser, schedule, params, train: data.train, val: data.val, checkpoint: checkpoint && { state: checkpoint.state, weights: checkpoint.weights, best: checkpoint.best, optimizer: checkpoint.optimizer } };
    const job = { queue: params.queue, training, report, publish: () => publish('training'), progressAt: (step: number) => (0.95 * step) / params.steps, steps: params.steps };
    const { best, stoppedEarly, state: final } = await trainHereOrOnQueue(ctx, { kind: 'diffusion', spec }, job, async (hooks) => ({ costLoss: null, ...(await trainDenoiser(tf, spec, hooks)) }));

    models.assertTraining(training.model.id, ctx.jobId);
    ctx.progress(0.97, 'Exporting to ONNX');
    const file: DiffusionModelFile = { version: 1, denoiser, schedule, scale };
    training.writeModelFiles([
      ['model.onnx', exportDenoiserOnnx(denoiser, unflattenWeights(denoiser, best), { model: String(training.model.id), project: String(projectId) })],
      ['model.json', JSON.stringify(file)],
      ['weights.bin', floatBytes(best)],
    ]);
    publish('done');
    training.finish({ metrics: { ...training.model.metrics, stoppedEarly } });
    return { modelId: training.model.id, steps: final.step, bestValLoss: final.best?.valLoss ?? null, stoppedEarly, examples: data.train.n + data.val.n };
  });
};
