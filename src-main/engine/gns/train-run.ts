// One training of a GNS, from fresh weights, a starting model's or a checkpoint, to the best
// weights: the loop a gns.train job runs here and a queue worker runs on another machine (idw
// worker). It knows no database: its hooks report progress and hand each evaluation's checkpoint
// out. Its data parallelism goes through `helper` (a compute worker of whichever machine runs it).
import type * as TfModule from '@tensorflow/tfjs';
import type { AdamSnapshot } from '../adam-state';
import { freshTrainingState, runTrainingLoop, type TrainingHooks, type TrainingState } from '../jobs/training-loop';
import type { GnsTrainParams } from '../jobs/kinds/gns-train.check';
import { seededRandom } from '../random';
import { GnsNetwork } from './network';
import type { TrajectoryPositions } from './normalization';
import { gnsCheckpoint } from './simulator';
import type { GnsConfig, GnsNormalization, GnsWeights } from './spec';
import { GnsTrainer, sampleWindows, type PartGradientFn } from './train';
import { mixSeed } from './training-data';

export interface GnsTrainingSpec {
  gns: GnsConfig;
  params: Pick<GnsTrainParams, 'steps' | 'evalEvery' | 'patience' | 'batchSize' | 'learningRate' | 'decaySteps' | 'seed'>;
  norm: GnsNormalization;
  train: TrajectoryPositions[];
  val: TrajectoryPositions[];
  /** a fine-tune's starting weights; null: fresh ones from the seed */
  start: GnsWeights | null;
  /** where a resumed training continues */
  checkpoint: { state: TrainingState; weights: GnsWeights; best: GnsWeights; optimizer: AdamSnapshot } | null;
}

export async function trainGns(tf: typeof TfModule, spec: GnsTrainingSpec, hooks: TrainingHooks, helper?: PartGradientFn): Promise<{ best: GnsWeights; state: TrainingState; stoppedEarly: boolean }> {
  const { gns, params, norm, checkpoint, train, val } = spec;
  const network = checkpoint ? GnsNetwork.fromWeights(tf, gns, checkpoint.weights) : spec.start ? GnsNetwork.fromWeights(tf, gns, spec.start) : GnsNetwork.create(tf, gns, params.seed);
  let best: GnsWeights = checkpoint ? checkpoint.best : network.weights();
  const trainer = new GnsTrainer(tf, network, norm, gns, { learningRate: params.learningRate, seed: params.seed, helper });
  try {
    if (checkpoint) trainer.restoreOptimizerState(checkpoint.optimizer);
    const state = checkpoint?.state ?? freshTrainingState();
    const valWindows = sampleWindows(val, Math.min(64, 8 * val.length), seededRandom(mixSeed(params.seed, -1)), gns);
    const { stoppedEarly } = await runTrainingLoop(hooks, state, {
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
        best = network.weights();
      },
      onEvaluated: () => hooks.evaluated(state, { ...gnsCheckpoint(network.weights(), best, norm), optimizer: trainer.optimizerState() }),
      progress: hooks.progress,
      progressEvery: 5,
      memoryAdvice: 'train again with a smaller batch size, connectivity radius (fewer edges) or latent size.',
    });
    return { best, state, stoppedEarly };
  } finally {
    trainer.dispose();
    network.dispose();
  }
}
