import { stepRandom } from '../../diffusion/train';
import { outcomeFidelity } from '../../outcome/fidelity';
import { OutcomeModel } from '../../outcome/model-file';
import { OutcomeNetwork } from '../../outcome/network';
import { openOutcomeModel, outcomeModelFiles } from '../../outcome/simulator';
import { flattenOutcomeWeights, initialOutcomeWeights, unflattenOutcomeWeights, type OutcomeWeights } from '../../outcome/spec';
import { drawBatch, OutcomeTrainer } from '../../outcome/train';
import { FOCUS_SHARE, outcomeTrainingSet } from '../../outcome/training-data';
import { seededRandom } from '../../random';
import { QueryStore } from '../../storage/queries';
import { loadTf } from '../../tf';
import type { JobRunner } from '../job-context';
import { openProjectTask } from '../project-context';
import { freshTrainingState, ModelTraining, trainingMetrics } from '../training-loop';
import type { OutcomeTrainParams } from './outcome-train.check';
import { trainingMessage } from '../../../../src-shared/models';

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

  const opened = await openOutcomeModel(ctx, { models, queries, env, project }, requested);
  const { model, start } = opened;
  let config = opened.config;
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
    const { file, files } = outcomeModelFiles(config, bestWeights, { model: String(training.model.id), project: String(projectId) });
    const fidelity = outcomeFidelity(env, new OutcomeModel(file, bestWeights), val, params.fidelityTasks, params.seed);
    models.assertTraining(training.model.id, ctx.jobId);
    training.writeModelFiles(files);
    publish('done', { fidelity, stoppedEarly, spearman: fidelity.spearmanPooled, spearmanPerTask: fidelity.spearmanMean, fidelityDesigns: fidelity.designs });
    training.finish();
    ctx.progress(1, `ρ ${fidelity.spearmanMean.toFixed(3)} within task (worst ${fidelity.spearmanWorst.toFixed(3)}) on ${fidelity.designs} held-out designs`);
    const { spearmanMean, spearmanWorst, bestQuarterMean, pickRankWorst, designs, tasks } = fidelity;
    return { modelId: training.model.id, steps: state.step, bestValLoss: state.best?.valLoss ?? null, stoppedEarly, examples: rows.length, fidelity: { spearmanMean, spearmanWorst, bestQuarterMean, pickRankWorst, designs, tasks } };
  });
};
