// A short calibration of the diffusion prior's training step on this machine: a denoiser of the
// requested sizes takes a warm-up step and then a few timed Adam steps on random designs, as
// the diffusion.train job's steps are (the same network, batch and trainer). The Diffusion tab's
// estimate uses it when no diffusion model has been trained here yet. Runs on a compute worker,
// so the calling thread (the Electron main process, the browser-mode server) stays free.
import { registerComputeFunction } from '../compute/registry';
import { medianStepSeconds } from '../nn/step-time';
import { loadTf } from '../tf';
import { seededRandom } from '../random';
import { DenoiserNetwork, TIME_EMBEDDING_DEFAULT } from './denoiser';
import { makeSchedule } from './schedule';
import { DiffusionTrainer, denoisingBatch } from './train';

export interface DenoiserStepTimeArgs {
  dim: number;
  taskDim: number;
  width: number;
  blocks: number;
  batchSize: number;
  conditional: boolean;
  /** timed steps after one warm-up step */
  steps: number;
}

/** The median seconds of `steps` training steps (after a warm-up step that pays TF.js's first-call costs). */
export async function denoiserStepTime(a: DenoiserStepTimeArgs): Promise<{ secondsPerStep: number; steps: number; backend: string }> {
  const { tf, backend } = await loadTf();
  const config = { dim: a.dim, taskDim: a.taskDim, width: a.width, blocks: a.blocks, timeEmbedding: TIME_EMBEDDING_DEFAULT, conditional: a.conditional };
  const network = DenoiserNetwork.create(tf, config, 1);
  const trainer = new DiffusionTrainer(tf, network, { learningRate: 1e-3 });
  try {
    const rand = seededRandom(1);
    const n = Math.max(64, a.batchSize);
    const k = a.taskDim + 1;
    const examples = { n, dim: a.dim, designs: Float32Array.from({ length: n * a.dim }, () => 2 * rand() - 1), conditions: Float32Array.from({ length: n * k }, () => rand()) };
    const schedule = makeSchedule('cosine', 100);
    const timed = medianStepSeconds(
      a.steps,
      () => denoisingBatch(examples, schedule, a.batchSize, 0.15, rand),
      (batch) => trainer.step(batch),
    );
    return { ...timed, backend };
  } finally {
    trainer.dispose();
    network.dispose();
  }
}

declare module '../compute/registry' {
  interface ComputeFunctions {
    /** a few timed training steps of a denoiser: the Diffusion tab's estimate on this machine */
    denoiserStepTime: typeof denoiserStepTime;
  }
}
registerComputeFunction('denoiserStepTime', denoiserStepTime);
