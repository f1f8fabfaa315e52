import { createEnvironment } from '../../environments';
import { evaluateGns } from '../../gns/fidelity';
import { computeNormalization } from '../../gns/normalization';
import { deserializeWeights, serializeWeights } from '../../gns/serialize';
import { gnsModelFiles, openGnsModel, type GnsCheckpointLayout } from '../../gns/simulator';
import type { PartGradientArgs } from '../../gns/train';
import { trainGns, type GnsTrainingSpec } from '../../gns/train-run';
import { loadGnsTrainingData } from '../../gns/training-data';
import { ModelStore } from '../../models/store';
import { ProjectStore } from '../../storage/projects';
import { QueryStore } from '../../storage/queries';
import { loadTf } from '../../tf';
import type { JobRunner } from '../job-context';
import { trainHereOrOnQueue, type TrainingReport } from '../queued-training';
import { freshTrainingState, ModelTraining, trainingMetrics } from '../training-loop';
import type { GnsTrainParams as Params } from './gns-train.check';

export type { GnsModelFile } from '../../gns/serialize';

/**
 * Trains a GNS on a project's physics datasets (request checked by checkGnsTrain): live curves,
 * a checkpoint at every evaluation (resumable after a kill on the same loss curve), early
 * stopping on the validation loss; then the best weights are exported to ONNX and evaluated on
 * held-out trajectories and on random designs against the ground truth (cost fidelity, Spearman).
 */
export const gnsTrain: JobRunner<Params> = async (requested, ctx) => {
  if (ctx.projectId === null) throw new Error('A learned simulator belongs to a project: start the job with a projectId.');
  const projectId = ctx.projectId;
  const db = ctx.database();
  const project = new ProjectStore(db).get(projectId);
  const models = new ModelStore(db, ctx.dataDir);
  const { tf, backend } = await loadTf();

  const { model, params, gns, start } = openGnsModel(models, project, requested, { jobId: ctx.jobId, backend });
  const training = ModelTraining.start(ctx, models, model, requested.resumeModelId !== undefined);

  return training.run(async () => {
    ctx.progress(0, 'Loading trajectories');
    const { train, val, heldOut, stepsPerFrame } = loadGnsTrainingData(db, params.datasetIds, params, gns.historyLength);
    // data parallelism: with a compute worker to spare, it takes the second half of every batch
    const parallel = params.batchSize >= 2 && ctx.compute().size >= 1;
    const helper = parallel ? (args: PartGradientArgs) => ctx.compute().run('gnsPartGradient', args) : undefined;
    // from the last checkpoint, the starting model (its normalization kept), or fresh
    const checkpoint = requested.resumeModelId !== undefined ? training.readCheckpoint<GnsCheckpointLayout>((json) => json.layout.size) : null;
    const norm = checkpoint?.json.norm ?? start?.file.norm ?? computeNormalization(train, gns);
    const report: TrainingReport = { state: checkpoint?.state ?? freshTrainingState(), costLoss: null, where: 'here' };
    const metrics = () => ({ ...trainingMetrics(report.state!, params.steps), trajectories: { train: train.length, heldOut: val.length }, trainingThreads: parallel ? 2 : 1, trainedOn: report.where });
    const restored = checkpoint && { state: checkpoint.state, weights: deserializeWeights(checkpoint.json.layout, checkpoint.weights), best: deserializeWeights(checkpoint.json.layout, checkpoint.best), optimizer: checkpoint.optimizer };
    const spec: GnsTrainingSpec = { gns, params, norm, train, val, start: start?.weights ?? null, checkpoint: restored };
    const job = { queue: params.queue, training, report, publish: () => training.publish('training', metrics()), progressAt: (step: number) => (0.8 * step) / params.steps, steps: params.steps };
    const trained = await trainHereOrOnQueue(ctx, { kind: 'gns', spec }, job, async (hooks) => {
      const r = await trainGns(tf, spec, hooks, helper);
      const flat = serializeWeights(r.best);
      return { best: flat.data, bestLayout: flat.layout, state: r.state, stoppedEarly: r.stoppedEarly, costLoss: null };
    });
    const { stoppedEarly, state } = trained;
    const bestWeights = deserializeWeights(trained.bestLayout!, trained.best);

    // the best weights become the model
    models.assertTraining(training.model.id, ctx.jobId);
    ctx.progress(0.8, 'Exporting to ONNX');
    const id = training.update({ config: { ...training.model.config, stepsPerFrame } }).id;
    const { onnx, files } = gnsModelFiles(gns, norm, bestWeights, stepsPerFrame, { model: String(id), project: String(projectId) });
    training.writeModelFiles(files);
    training.publish('evaluating', metrics());

    const env = createEnvironment(project.environment, project.settings);
    const evaluation = await evaluateGns(ctx, { id, config: gns, norm, onnx, stepsPerFrame }, heldOut, params, { env, settings: project.settings }, new QueryStore(db), projectId);
    training.finish({ metrics: { ...training.model.metrics, phase: 'done', stoppedEarly, ...evaluation } });
    return { modelId: id, steps: state.step, bestValLoss: state.best?.valLoss ?? null, stoppedEarly, positionError: evaluation.positionError, spearman: evaluation.spearman ?? null };
  });
};
