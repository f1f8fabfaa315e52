import type { ModelInfo } from '../../../../src-shared/api';
import { stepRandom } from '../../diffusion/train';
import { outcomeFidelity } from '../../outcome/fidelity';
import { OutcomeModel, physicsSettings, type OutcomeModelFile } from '../../outcome/model-file';
import { floatBytes } from '../../nn/floats';
import { OutcomeNetwork } from '../../outcome/network';
import { exportOutcomeOnnx } from '../../outcome/onnx-export';
import { flattenOutcomeWeights, initialOutcomeWeights, unflattenOutcomeWeights, type OutcomeModelConfig, type OutcomeNormalization, type OutcomeWeights } from '../../outcome/spec';
import { drawBatch, OutcomeTrainer } from '../../outcome/train';
import { collectOutcomes, FOCUS_SHARE, outcomeTrainingSet } from '../../outcome/training-data';
import { seededRandom } from '../../random';
import { QueryStore } from '../../storage/queries';
import { loadTf } from '../../tf';
import type { JobRunner } from '../job-context';
import { openProjectTask } from '../project-context';
import { freshTrainingState, ModelTraining, trainingMetrics } from '../training-loop';
import { MIN_FINE_TUNE_EXAMPLES, MIN_OUTCOME_EXAMPLES, readyOutcomeModel, type OutcomeTrainParams } from './outcome-train.check';
import { trainingMessage } from '../../../../src-shared/models';

/** What the model row's config holds: the network, its normalization and where its data ends. */
export interface OutcomeConfig {
  outcome: OutcomeModelConfig;
  norm: OutcomeNormalization;
  training: OutcomeTrainParams;
  /** the training data: the project's ground-truth outcomes with query ids in (fromId, upToId] */
  data: { fromId: number; upToId: number };
  physics: Record<string, unknown>;
  backend: string;
  initModelId?: number;
  /** a fine-tune: the last query id its starting model learned from (newer outcomes get more weight) */
  startUpToId?: number;
}

/**
 * Trains an outcome model on the project's ground-truth outcomes (and new rollouts made first):
 * live curves, a checkpoint at every evaluation (resumable on the same curve), early stopping,
 * fine-tuning from a ready model; then the fidelity protocol on the held-out designs and export
 * (model.json, weights.bin, model.onnx).
 */
export const outcomeTrain: JobRunner<OutcomeTrainParams> = async (requested, ctx) => {
  const { projectId, db, project, env, models } = openProjectTask(ctx, undefined, 'An outcome model');
  const queries = new QueryStore(db);
  const spec = env.outcomeSpec;
  const d = env.designSpace.dim;

  let model: ModelInfo;
  let config: OutcomeConfig;
  let start: OutcomeModel | null = null;
  if (requested.resumeModelId !== undefined) {
    model = models.get(requested.resumeModelId);
    const before = model.config as unknown as OutcomeConfig;
    config = { ...before, training: { ...before.training, steps: Math.max(requested.steps, before.training.steps) } };
    // a fine-tune's anchors come from its starting model: it must still be there
    if (before.initModelId !== undefined) start = readyOutcomeModel(models, projectId, before.initModelId, env, project.settings, 'params.resumeModelId').model;
  } else {
    let startUpToId: number | undefined;
    if (requested.initModelId !== undefined) {
      const ready = readyOutcomeModel(models, projectId, requested.initModelId, env, project.settings, 'params.initModelId');
      start = ready.model;
      // a shipped model learned in another database: every outcome of this project is new to it
      const startConfig = ready.info.config as Partial<OutcomeConfig> & { shipped?: boolean };
      startUpToId = startConfig.shipped ? 0 : (startConfig.data?.upToId ?? 0);
    }
    const least = start ? MIN_FINE_TUNE_EXAMPLES : MIN_OUTCOME_EXAMPLES;
    const data = await collectOutcomes(ctx, queries, { projectId, outcomeDim: spec.dim, least, fineTune: start !== null }, requested, 0.5);
    const outcome: OutcomeModelConfig = start?.file.config ?? { designDim: d, outcomeDim: spec.dim, costEntries: spec.costEntries, hidden: requested.hidden, outcomeVersion: spec.version };
    const { backend } = await loadTf();
    config = { outcome, norm: start?.file.norm ?? { mean: [], std: [] }, training: requested, data, physics: physicsSettings(project.settings), backend, initModelId: requested.initModelId, startUpToId };
    model = models.create({ projectId, kind: 'outcome', name: requested.name ?? `Outcome ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`, config, datasetId: null, jobId: ctx.jobId, status: 'training' });
  }
  const { tf } = await loadTf();
  const params = config.training;
  const training = ModelTraining.start(ctx, models, model, requested.resumeModelId !== undefined);

  return training.run(async () => {
    const share = requested.resumeModelId === undefined && requested.generate > 0 ? 0.5 : 0;
    ctx.progress(share, 'Loading outcomes');
    const rows = queries.outcomeExamples(projectId, spec.dim, { afterId: config.data.fromId, upToId: config.data.upToId });
    const { norm, val, valData, trainData, real, anchors, focus } = outcomeTrainingSet(rows, config, params, env, start);
    // a new model's normalization comes from its training outcomes: kept with it
    if (norm !== config.norm) {
      config = { ...config, norm };
      training.update({ config });
    }

    const checkpoint = requested.resumeModelId !== undefined ? training.readCheckpoint<{ weightsSize: number }>((json) => json.weightsSize) : null;
    const weights: OutcomeWeights = checkpoint ? unflattenOutcomeWeights(config.outcome, checkpoint.weights) : (start?.weights ?? initialOutcomeWeights(config.outcome, seededRandom(params.seed)));
    let bestWeights: OutcomeWeights = checkpoint ? unflattenOutcomeWeights(config.outcome, checkpoint.best) : weights;
    const network = new OutcomeNetwork(tf, config.outcome, weights);
    const trainer = new OutcomeTrainer(tf, network, { learningRate: params.learningRate, decaySteps: params.decaySteps, restWeight: params.densityWeight });
    if (checkpoint) trainer.restoreOptimizerState(checkpoint.optimizer);
    const state = checkpoint?.state ?? freshTrainingState();
    let costLoss: number | null = null;
    const publish = (phase: string, extra: Record<string, unknown> = {}): void =>
      training.publish(phase, { ...trainingMetrics(state, params.steps), valCostLoss: costLoss, examples: { train: real, val: valData.n, anchors }, ...extra });
    publish('training');

    const { stoppedEarly } = await training.loop(state, {
      steps: params.steps,
      evalEvery: params.evalEvery,
      patience: params.patience,
      trainStep: (step) => trainer.step(trainData, drawBatch(trainData.n, Math.min(params.batchSize, trainData.n), stepRandom(params.seed, step), focus, FOCUS_SHARE)),
      validate: () => {
        const v = trainer.evaluate(valData);
        costLoss = v.costLoss;
        return v.loss;
      },
      onBest: () => {
        bestWeights = network.weights();
      },
      checkpoint: () => {
        const w = flattenOutcomeWeights(network.weights());
        return { weights: w, best: flattenOutcomeWeights(bestWeights), optimizer: trainer.optimizerState(), layout: { weightsSize: w.length } };
      },
      publish: () => publish('training'),
      progress: (step, loss) => ctx.progress(share + ((0.95 - share) * step) / params.steps, trainingMessage(step, params.steps, loss)),
      progressEvery: 20,
      memoryAdvice: 'train again with narrower hidden layers or a smaller batch.',
    });
    trainer.dispose();
    network.dispose();

    ctx.progress(0.96, `Fidelity on ${val.length} held-out designs`);
    const file: OutcomeModelFile = { version: 1, kind: 'outcome', config: config.outcome, norm: config.norm, physics: config.physics };
    const fidelity = outcomeFidelity(env, new OutcomeModel(file, bestWeights), val, params.fidelityTasks, params.seed);
    models.assertTraining(training.model.id, ctx.jobId);
    training.writeModelFiles([
      ['model.json', JSON.stringify(file)],
      ['weights.bin', floatBytes(flattenOutcomeWeights(bestWeights))],
      ['model.onnx', exportOutcomeOnnx(config.outcome, bestWeights, config.norm, { model: String(training.model.id), project: String(projectId) })],
    ]);
    publish('done', { fidelity, stoppedEarly, spearman: fidelity.spearmanPooled, spearmanPerTask: fidelity.spearmanMean, fidelityDesigns: fidelity.designs });
    training.finish();
    ctx.progress(1, `ρ ${fidelity.spearmanMean.toFixed(3)} within task (worst ${fidelity.spearmanWorst.toFixed(3)}) on ${fidelity.designs} held-out designs`);
    const { spearmanMean, spearmanWorst, bestQuarterMean, pickRankWorst, designs, tasks } = fidelity;
    return { modelId: training.model.id, steps: state.step, bestValLoss: state.best?.valLoss ?? null, stoppedEarly, examples: rows.length, fidelity: { spearmanMean, spearmanWorst, bestQuarterMean, pickRankWorst, designs, tasks } };
  });
};
