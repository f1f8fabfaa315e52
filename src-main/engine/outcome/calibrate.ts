// A short calibration of the outcome model's training step on this machine: a network of the
// requested sizes takes a warm-up step and then a few timed Adam steps on random designs and
// outcomes, as the outcome.train job's steps are (the same network and trainer). The outcome
// dialog's estimate uses it when no outcome model has been trained here yet. Runs on a compute
// worker, so the calling thread stays free.
import { registerComputeFunction } from '../compute/registry';
import { seededRandom } from '../random';
import { medianStepSeconds } from '../nn/step-time';
import { loadTf } from '../tf';
import { OutcomeNetwork } from './network';
import { initialOutcomeWeights, type OutcomeModelConfig } from './spec';
import { drawBatch, OutcomeTrainer } from './train';

export interface OutcomeStepTimeArgs {
  designDim: number;
  outcomeDim: number;
  costEntries: number;
  hidden: number[];
  batchSize: number;
  /** timed steps after one warm-up step */
  steps: number;
}

/** The median seconds of `steps` training steps (after a warm-up step that pays TF.js's first-call costs). */
export async function outcomeStepTime(a: OutcomeStepTimeArgs): Promise<{ secondsPerStep: number; steps: number; backend: string }> {
  const { tf, backend } = await loadTf();
  const config: OutcomeModelConfig = { designDim: a.designDim, outcomeDim: a.outcomeDim, costEntries: a.costEntries, hidden: a.hidden, outcomeVersion: 'calibration' };
  const rand = seededRandom(1);
  const network = new OutcomeNetwork(tf, config, initialOutcomeWeights(config, rand));
  const trainer = new OutcomeTrainer(tf, network, { learningRate: 1e-3, restWeight: 0.1 });
  try {
    const n = Math.max(64, a.batchSize);
    const data = { n, designs: Float32Array.from({ length: n * a.designDim }, () => 2 * rand() - 1), targets: Float32Array.from({ length: n * a.outcomeDim }, () => rand() - 0.5) };
    const timed = medianStepSeconds(
      a.steps,
      () => drawBatch(n, a.batchSize, rand),
      (idx) => trainer.step(data, idx),
    );
    return { ...timed, backend };
  } finally {
    trainer.dispose();
    network.dispose();
  }
}

declare module '../compute/registry' {
  interface ComputeFunctions {
    /** a few timed training steps of an outcome model: the outcome dialog's estimate on this machine */
    outcomeStepTime: typeof outcomeStepTime;
  }
}
registerComputeFunction('outcomeStepTime', outcomeStepTime);
