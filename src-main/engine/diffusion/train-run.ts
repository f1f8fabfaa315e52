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
  params: Pick<DiffusionTrainParams, 'steps' | 'evalEvery' | 'patience' | 'batchSize' | 'learningRate' | 'seed' | 'conditional' | 'conditionDropout'> & Partial<Pick<DiffusionTrainParams, 'ema' | 'keep'>>;
  train: DiffusionExamples;
  val: DiffusionExamples;
  /** where a resumed training continues */
  checkpoint: { state: TrainingState; weights: Float32Array; best: Float32Array; optimizer: AdamSnapshot } | null;
}

/**
 * Trains to the step budget or early stopping; returns the weights kept (flat) and the final state.
 * keep "best" (the default): the weights of the best validation loss, early stopping after
 * `patience` evaluations without a better one. keep "last": every step is run and the last
 * weights are kept; with `ema` > 0 they are the moving average of the weights (its validation
 * loss is the curve's), which a checkpoint holds in place of the best weights, so a resumed
 * training continues the same average.
 */
export async function trainDenoiser(tf: typeof TfModule, spec: DenoiserTrainingSpec, hooks: TrainingHooks): Promise<{ best: Float32Array; state: TrainingState; stoppedEarly: boolean }> {
  const { denoiser, params, checkpoint } = spec;
  const schedule = makeSchedule(spec.schedule.kind, spec.schedule.timesteps);
  const network = checkpoint ? DenoiserNetwork.fromWeights(tf, denoiser, unflattenWeights(denoiser, checkpoint.weights)) : DenoiserNetwork.create(tf, denoiser, params.seed);
  let best = checkpoint ? checkpoint.best : flattenWeights(network.weights());
  const opt = new DiffusionTrainer(tf, network, { learningRate: params.learningRate });
  const keepLast = params.keep === 'last';
  const ema = keepLast && (params.ema ?? 0) > 0 ? network.movingAverage(params.ema!, checkpoint ? checkpoint.best : undefined) : null;
  /** the validation loss of the kept weights: the moving average's, swapped in for the evaluation */
  const validateKept = (batch: ReturnType<typeof denoisingBatch>): number => {
    if (!ema) return opt.loss(batch);
    const live = flattenWeights(network.weights());
    network.assignFlat(ema.flat());
    try {
      return opt.loss(batch);
    } finally {
      network.assignFlat(live);
    }
  };
  try {
    if (checkpoint) opt.restoreOptimizerState(checkpoint.optimizer);
    const state = checkpoint?.state ?? freshTrainingState();
    const dropout = params.conditional ? params.conditionDropout : 0;
    // one fixed validation batch: its loss is comparable from one evaluation to the next
    const valBatch = denoisingBatch(spec.val, schedule, Math.min(VALIDATION_EXAMPLES, Math.max(64, 4 * spec.val.n)), dropout, stepRandom(params.seed, -1));
    const { stoppedEarly } = await runTrainingLoop(hooks, state, {
      steps: params.steps,
      evalEvery: params.evalEvery,
      // keep "last": no early stopping
      patience: keepLast ? Number.POSITIVE_INFINITY : params.patience,
      trainStep: (step) => {
        const loss = opt.step(denoisingBatch(spec.train, schedule, params.batchSize, dropout, stepRandom(params.seed, step)));
        ema?.update(step);
        return loss;
      },
      validate: () => validateKept(valBatch),
      onBest: () => {
        if (!keepLast) best = flattenWeights(network.weights());
      },
      onEvaluated: () => {
        const weights = flattenWeights(network.weights());
        if (keepLast) best = ema ? ema.flat() : weights;
        hooks.evaluated(state, { weights, best, optimizer: opt.optimizerState(), layout: { weightsSize: weights.length } });
      },
      progress: hooks.progress,
      progressEvery: 10,
      memoryAdvice: 'train again with a smaller batch size or a narrower denoiser.',
    });
    return { best, state, stoppedEarly };
  } finally {
    ema?.dispose();
    opt.dispose();
    network.dispose();
  }
}
