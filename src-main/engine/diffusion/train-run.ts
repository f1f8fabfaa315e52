// One training of the denoiser, from fresh weights or a checkpoint, to the best weights: the loop
// a diffusion.train job runs here and a queue worker runs on another machine (idw worker). It
// knows no database: its hooks report progress and hand each evaluation's checkpoint out.
import type * as TfModule from '@tensorflow/tfjs';
import type { AdamSnapshot } from '../adam-state';
import { runTrainingLoop, freshTrainingState, type TrainingHooks, type TrainingState } from '../jobs/training-loop';
import type { DiffusionTrainParams } from '../jobs/kinds/diffusion-train.check';
import { DenoiserNetwork, flattenWeights, unflattenWeights, type DenoiserConfig } from './denoiser';
import { makeSchedule, type ScheduleKind } from './schedule';
import { denoisingBatch, DiffusionTrainer, stepRandom } from './train';
import type { DiffusionExamples } from './training-data';

const VALIDATION_EXAMPLES = 1024;

export interface DenoiserTrainingSpec {
  denoiser: DenoiserConfig;
  schedule: { kind: ScheduleKind; timesteps: number };
  params: Pick<DiffusionTrainParams, 'steps' | 'evalEvery' | 'patience' | 'batchSize' | 'learningRate' | 'seed' | 'conditional' | 'conditionDropout'>;
  train: DiffusionExamples;
  val: DiffusionExamples;
  /** where a resumed training continues */
  checkpoint: { state: TrainingState; weights: Float32Array; best: Float32Array; optimizer: AdamSnapshot } | null;
}

/** Trains to the step budget or early stopping; returns the best weights (flat) and the final state. */
export async function trainDenoiser(tf: typeof TfModule, spec: DenoiserTrainingSpec, hooks: TrainingHooks): Promise<{ best: Float32Array; state: TrainingState; stoppedEarly: boolean }> {
  const { denoiser, params, checkpoint } = spec;
  const schedule = makeSchedule(spec.schedule.kind, spec.schedule.timesteps);
  const network = checkpoint ? DenoiserNetwork.fromWeights(tf, denoiser, unflattenWeights(denoiser, checkpoint.weights)) : DenoiserNetwork.create(tf, denoiser, params.seed);
  let best = checkpoint ? checkpoint.best : flattenWeights(network.weights());
  const opt = new DiffusionTrainer(tf, network, { learningRate: params.learningRate });
  try {
    if (checkpoint) opt.restoreOptimizerState(checkpoint.optimizer);
    const state = checkpoint?.state ?? freshTrainingState();
    const dropout = params.conditional ? params.conditionDropout : 0;
    // one fixed validation batch: its loss is comparable from one evaluation to the next
    const valBatch = denoisingBatch(spec.val, schedule, Math.min(VALIDATION_EXAMPLES, Math.max(64, 4 * spec.val.n)), dropout, stepRandom(params.seed, -1));
    const { stoppedEarly } = await runTrainingLoop(hooks, state, {
      steps: params.steps,
      evalEvery: params.evalEvery,
      patience: params.patience,
      trainStep: (step) => opt.step(denoisingBatch(spec.train, schedule, params.batchSize, dropout, stepRandom(params.seed, step))),
      validate: () => opt.loss(valBatch),
      onBest: () => {
        best = flattenWeights(network.weights());
      },
      onEvaluated: () => {
        const weights = flattenWeights(network.weights());
        hooks.evaluated(state, { weights, best, optimizer: opt.optimizerState(), layout: { weightsSize: weights.length } });
      },
      progress: hooks.progress,
      progressEvery: 10,
      memoryAdvice: 'train again with a smaller batch size or a narrower denoiser.',
    });
    return { best, state, stoppedEarly };
  } finally {
    opt.dispose();
    network.dispose();
  }
}
