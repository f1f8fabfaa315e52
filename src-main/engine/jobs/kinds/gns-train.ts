import type { ModelInfo, SimulatorModelConfig } from '../../../../src-shared/api';
import { createEnvironment } from '../../environments';
import { evaluateGns } from '../../gns/fidelity';
import { GnsNetwork } from '../../gns/network';
import { computeNormalization } from '../../gns/normalization';
import { exportGnsOnnx } from '../../gns/onnx-export';
import { deserializeWeights, serializeWeights, type GnsModelFile, type WeightsLayout } from '../../gns/serialize';
import { GNS_DEFAULTS, type GnsNormalization, type GnsWeights } from '../../gns/spec';
import { GnsTrainer, sampleWindows, type PartGradientArgs } from '../../gns/train';
import { gnsConfigOf, loadGnsTrainingData, mixSeed, readGnsModel } from '../../gns/training-data';
import { ModelStore } from '../../models/store';
import { floatBytes } from '../../nn/floats';
import { seededRandom } from '../../random';
import { ProjectStore } from '../../storage/projects';
import { QueryStore } from '../../storage/queries';
import { loadTf } from '../../tf';
import type { JobRunner } from '../job-context';
import { freshTrainingState, ModelTraining, trainingMetrics } from '../training-loop';
import type { GnsTrainParams as Params } from './gns-train.check';
import { trainingMessage } from '../../../../src-shared/models';

export type { GnsModelFile } from '../../gns/serialize';

/** What checkpoint.json holds besides the training state: how to read the weights back. */
interface GnsCheckpointLayout {
  norm: GnsNormalization;
  layout: WeightsLayout;
}

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

  // a resumed model keeps the parameters it was started with, only the step budget may grow
  let model: ModelInfo;
  let params: Params;
  // fine-tuning: the ready model the new one starts from, its network and features kept
  const start = requested.resumeModelId === undefined && requested.initModelId !== undefined ? readGnsModel(models, requested.initModelId) : null;
  if (requested.resumeModelId !== undefined) {
    model = models.get(requested.resumeModelId);
    params = { ...(model.config.training as Params), steps: Math.max(requested.steps, (model.config.training as Params).steps) };
  } else {
    const wall = 3 / project.settings.grid;
    // fine-tuning keeps the starting model's network; only the noise is a training setting
    const gns = start ? { ...start.file.gns, noiseStd: requested.noiseStd } : gnsConfigOf(requested, [wall, 1 - wall, wall, 1 - wall]);
    params = { ...requested, latent: gns.latent, messagePassingSteps: gns.messagePassingSteps, mlpLayers: gns.mlpLayers, radius: gns.radius };
    const name = params.name ?? `GNS ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    model = models.create({ projectId, kind: 'simulator', name, config: { gns, training: params, backend }, datasetId: params.datasetIds[0]!, jobId: ctx.jobId, status: 'training' });
  }
  const gns = (model.config as SimulatorModelConfig).gns ?? gnsConfigOf(params, GNS_DEFAULTS.bounds);
  const training = ModelTraining.start(ctx, models, model, requested.resumeModelId !== undefined);

  return training.run(async () => {
    ctx.progress(0, 'Loading trajectories');
    const { train, val, heldOut, stepsPerFrame } = loadGnsTrainingData(db, params.datasetIds, params, gns.historyLength);
    // data parallelism: with a compute worker to spare, it takes the second half of every batch
    const parallel = params.batchSize >= 2 && ctx.compute().size >= 1;
    const helper = parallel ? (args: PartGradientArgs) => ctx.compute().run('gnsPartGradient', args) : undefined;
    // network, optimizer and curves: from the last checkpoint, the starting model (its normalization kept), or fresh
    const checkpoint = requested.resumeModelId !== undefined ? training.readCheckpoint<GnsCheckpointLayout>((json) => json.layout.size) : null;
    const norm = checkpoint?.json.norm ?? start?.file.norm ?? computeNormalization(train, gns);
    const network = checkpoint
      ? GnsNetwork.fromWeights(tf, gns, deserializeWeights(checkpoint.json.layout, checkpoint.weights))
      : start
        ? GnsNetwork.fromWeights(tf, gns, start.weights)
        : GnsNetwork.create(tf, gns, params.seed);
    let bestWeights: GnsWeights = checkpoint ? deserializeWeights(checkpoint.json.layout, checkpoint.best) : network.weights();
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
      checkpoint: () => {
        const weights = serializeWeights(network.weights());
        return { weights: weights.data, best: serializeWeights(bestWeights).data, optimizer: trainer.optimizerState(), layout: { norm, layout: weights.layout } };
      },
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
    const layout = serializeWeights(bestWeights);
    const modelFile: GnsModelFile = { gns, norm, layout: layout.layout, stepsPerFrame };
    const id = training.update({ config: { ...training.model.config, stepsPerFrame } }).id;
    const onnx = exportGnsOnnx(gns, bestWeights, { model: String(id), project: String(projectId) });
    training.writeModelFiles([
      ['model.onnx', onnx],
      ['model.json', JSON.stringify(modelFile)],
      ['weights.bin', floatBytes(layout.data)],
    ]);
    training.publish('evaluating', metrics());

    const env = createEnvironment(project.environment, project.settings);
    const evaluation = await evaluateGns(ctx, { id, config: gns, norm, onnx, stepsPerFrame }, heldOut, params, { env, settings: project.settings }, new QueryStore(db), projectId);
    training.finish({ metrics: { ...training.model.metrics, phase: 'done', stoppedEarly, ...evaluation } });
    return { modelId: id, steps: state.step, bestValLoss: state.best?.valLoss ?? null, stoppedEarly, positionError: evaluation.positionError, spearman: evaluation.spearman ?? null };
  });
};
