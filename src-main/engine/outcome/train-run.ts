// One training of an outcome model, from its starting weights or a checkpoint, to the best
// weights: the loop an outcome.train job runs here and a queue worker runs on another machine
// (idw worker). It knows no database: its hooks report progress and hand each evaluation's
// checkpoint out, with the validation loss of the cost entries alone.
import type * as TfModule from '@tensorflow/tfjs';
import type { AdamSnapshot } from '../adam-state';
import { stepRandom } from '../diffusion/train';
import { freshTrainingState, runTrainingLoop, type TrainingHooks, type TrainingState } from '../jobs/training-loop';
import type { OutcomeTrainParams } from '../jobs/kinds/outcome-train.check';
import { OutcomeNetwork } from './network';
import { flattenOutcomeWeights, unflattenOutcomeWeights, type OutcomeModelConfig } from './spec';
import { drawBatch, OutcomeTrainer, type OutcomeExamples } from './train';
import { FOCUS_SHARE } from './training-data';

export interface OutcomeTrainingSpec {
  config: OutcomeModelConfig;
  params: Pick<OutcomeTrainParams, 'steps' | 'evalEvery' | 'patience' | 'batchSize' | 'learningRate' | 'decaySteps' | 'densityWeight' | 'seed'>;
  train: OutcomeExamples;
  val: OutcomeExamples;
  /** indices of training examples drawn more often (a fine-tune's new outcomes) */
  focus: number[];
  /** the weights a training starts from (flat): a fine-tune's starting model's, or fresh ones */
  initial: Float32Array;
  /** where a resumed training continues */
  checkpoint: { state: TrainingState; weights: Float32Array; best: Float32Array; optimizer: AdamSnapshot } | null;
}

export async function trainOutcome(
  tf: typeof TfModule,
  spec: OutcomeTrainingSpec,
  hooks: TrainingHooks,
): Promise<{ best: Float32Array; state: TrainingState; stoppedEarly: boolean; costLoss: number | null }> {
  const { config, params, checkpoint, train } = spec;
  const network = new OutcomeNetwork(tf, config, unflattenOutcomeWeights(config, checkpoint ? checkpoint.weights : spec.initial));
  let best = checkpoint ? checkpoint.best : spec.initial;
  const trainer = new OutcomeTrainer(tf, network, { learningRate: params.learningRate, decaySteps: params.decaySteps, restWeight: params.densityWeight });
  try {
    if (checkpoint) trainer.restoreOptimizerState(checkpoint.optimizer);
    const state = checkpoint?.state ?? freshTrainingState();
    let costLoss: number | null = null;
    const { stoppedEarly } = await runTrainingLoop(hooks, state, {
      steps: params.steps,
      evalEvery: params.evalEvery,
      patience: params.patience,
      trainStep: (step) => trainer.step(train, drawBatch(train.n, Math.min(params.batchSize, train.n), stepRandom(params.seed, step), spec.focus, FOCUS_SHARE)),
      validate: () => {
        const v = trainer.evaluate(spec.val);
        costLoss = v.costLoss;
        return v.loss;
      },
      onBest: () => {
        best = flattenOutcomeWeights(network.weights());
      },
      onEvaluated: () => {
        const w = flattenOutcomeWeights(network.weights());
        hooks.evaluated(state, { weights: w, best, optimizer: trainer.optimizerState(), layout: { weightsSize: w.length } }, costLoss);
      },
      progress: hooks.progress,
      progressEvery: 20,
      memoryAdvice: 'train again with narrower hidden layers or a smaller batch.',
    });
    return { best, state, stoppedEarly, costLoss };
  } finally {
    trainer.dispose();
    network.dispose();
  }
}
