import { outcomeFidelity } from '../../outcome/fidelity';
import { OutcomeModel } from '../../outcome/model-file';
import { openOutcomeModel, outcomeModelFiles } from '../../outcome/simulator';
import { flattenOutcomeWeights, initialOutcomeWeights, unflattenOutcomeWeights } from '../../outcome/spec';
import { outcomeTrainingSet } from '../../outcome/training-data';
import { trainOutcome, type OutcomeTrainingSpec } from '../../outcome/train-run';
import { seededRandom } from '../../random';
import { QueryStore } from '../../storage/queries';
import { loadTf } from '../../tf';
import type { JobRunner } from '../job-context';
import { openProjectTask } from '../project-context';
import { freshTrainingState, ModelTraining, trainingMetrics } from '../training-loop';
import { trainHereOrOnQueue, type TrainingReport } from '../queued-training';
import type { OutcomeTrainParams } from './outcome-train.check';

/**
 * Trains an outcome model on the project's ground-truth outcomes (and new rollouts made first):
 * live curves, a checkpoint at every evaluation (resumable on the same curve), early stopping,
 * fine-tuning from a ready model; then the fidelity protocol on the held-out designs and export
 * (model.json, weights.bin, model.onnx).
 */
export const outcomeTrain: JobRunner<OutcomeTrainParams> = async (requested, ctx) => {
  const { projectId, db, project, env, models } = openProjectTask(ctx, undefined, 'An outcome model');
  const queries = new QueryStore(db);
  const outcomeSpec = env.outcomeSpec;

  const opened = await openOutcomeModel(ctx, { models, queries, env, project }, requested);
  const { model, start } = opened;
  let config = opened.config;
  const { tf } = await loadTf();
  const params = config.training;
  const training = ModelTraining.start(ctx, models, model, requested.resumeModelId !== undefined);

  return training.run(async () => {
    const share = requested.resumeModelId === undefined && requested.generate > 0 ? 0.5 : 0;
    ctx.progress(share, 'Loading outcomes');
    const rows = queries.outcomeExamples(projectId, outcomeSpec.dim, { afterId: config.data.fromId, upToId: config.data.upToId });
    const { norm, val, valData, trainData, real, anchors, focus } = outcomeTrainingSet(rows, config, params, env, start);
    // a new model's normalization comes from its training outcomes: kept with it
    if (norm !== config.norm) {
      config = { ...config, norm };
      training.update({ config });
    }

    const checkpoint = requested.resumeModelId !== undefined ? training.readCheckpoint<{ weightsSize: number }>((json) => json.weightsSize) : null;
    const report: TrainingReport = { state: checkpoint?.state ?? freshTrainingState(), costLoss: null, where: 'here' };
    const publish = (phase: string, extra: Record<string, unknown> = {}): void =>
      training.publish(phase, { ...trainingMetrics(report.state!, params.steps), valCostLoss: report.costLoss, examples: { train: real, val: valData.n, anchors }, trainedOn: report.where, ...extra });
    publish('training');

    const initial = flattenOutcomeWeights(start?.weights ?? initialOutcomeWeights(config.outcome, seededRandom(params.seed)));
    const spec: OutcomeTrainingSpec = { config: config.outcome, params, train: trainData, val: valData, focus, initial, checkpoint: checkpoint && { state: checkpoint.state, weights: checkpoint.weights, best: checkpoint.best, optimizer: checkpoint.optimizer } };
    const job = { queue: params.queue, training, report, publish: () => publish('training'), progressAt: (step: number) => share + ((0.95 - share) * step) / params.steps, steps: params.steps };
    const trained = await trainHereOrOnQueue(ctx, { kind: 'outcome', spec }, job, (hooks) => trainOutcome(tf, spec, hooks));
    const { stoppedEarly, state } = trained;
    const bestWeights = unflattenOutcomeWeights(config.outcome, trained.best);

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
