import { createEnvironment } from '../../environments';
import { evaluateGns } from '../../gns/fidelity';
import { gnsCheckpoint, gnsModelFiles, openGnsModel, restoreGnsNetwork, type GnsCheckpointLayout } from '../../gns/simulator';
import { GnsTrainer, sampleWindows, type PartGradientArgs } from '../../gns/train';
import { loadGnsTrainingData, mixSeed } from '../../gns/training-data';
import { ModelStore } from '../../models/store';
import { seededRandom } from '../../random';
import { ProjectStore } from '../../storage/projects';
import { QueryStore } from '../../storage/queries';
import { loadTf } from '../../tf';
import type { JobRunner } from '../job-context';
import { freshTrainingState, ModelTraining, trainingMetrics } from '../training-loop';
import type { GnsTrainParams as Params } from './gns-train.check';
import { trainingMessage } from '../../../../src-shared/models';

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
    // network, optimizer and curves: from the last checkpoint, the starting model, or fresh
    const checkpoint = requested.resumeModelId !== undefined ? training.readCheckpoint<GnsCheckpointLayout>((json) => json.layout.size) : null;
    const { network, norm, best } = restoreGnsNetwork(tf, gns, { checkpoint, start, train, seed: params.seed });
    let bestWeights = best;
    const trainer = new GnsTrainer(tf, network, norm, gns, { learningRate: params.learningRate, seed: params.seed, helper });
    if (checkpoint) trainer.restoreOptimizerState(checkpoint.optimizer);
    const state = checkpoint?.state ?? freshTrainingState();
    const valWindows = sampleWindows(val, Math.min(64, 8 * val.length), seededRandom(mixSeed(params.seed, -1)), gns);
    const metrics = () => ({ ...trainingMetrics(state, params.steps), trajectories: { train: train.length, heldOut: val.length }, trainingThreads: parallel ? 2 : 1 });

    const { stoppedEarly } = await training.loop(state, {
      steps: params.steps,
      evalEvery: params.evalEvery,
      patience: params.patience,
      trainStep: (step) => {
        const windows = sampleWindows(train, params.batchSize, seededRandom(mixSeed(params.seed, step)), gns);
        // tenfold less every decaySteps steps: a function of the step alone, so a resumed or
        // extended training follows the same schedule
        trainer.learningRate = params.learningRate * 0.1 ** (step / (params.decaySteps ?? Number.POSITIVE_INFINITY));
        return trainer.stepParallel(windows);
      },
      validate: () => trainer.loss(valWindows),
      onBest: () => {
        bestWeights = network.weights();
      },
      checkpoint: () => ({ ...gnsCheckpoint(network.weights(), bestWeights, norm), optimizer: trainer.optimizerState() }),
      publish: () => training.publish('training', metrics()),
      progress: (step, loss) => ctx.progress((0.8 * step) / params.steps, trainingMessage(step, params.steps, loss)),
      progressEvery: 5,
      memoryAdvice: 'train again with a smaller batch size, connectivity radius (fewer edges) or latent size.',
    });
    trainer.dispose();
    network.dispose();

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
