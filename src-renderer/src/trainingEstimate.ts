// How long a GNS training will take, before it starts. A training step costs roughly
// batch × latent² × M × edges, and the edges of a radius graph grow as particles × radius²;
// the seconds per step come from the newest timed model of the project, scaled by the ratio of
// those factors, else from a built-in figure. The evaluation adds ~2 s per fidelity design and worker.

export interface StepFactors {
  batchSize: number;
  latent: number;
  messagePassingSteps: number;
  radius: number;
  /** particles per trajectory, water and tool */
  particles: number;
  /** threads a step runs on: 2 when a batch of 2 or more windows is split over a compute worker */
  threads: number;
}

export interface Calibration {
  secondsPerStep: number;
  factors: StepFactors;
  /** the model it was measured on, or null for the built-in figure */
  modelName: string | null;
}

/** Measured on the reference machine for the defaults on a 330-particle scene. */
export const BUILTIN_CALIBRATION: Calibration = {
  secondsPerStep: 0.4,
  factors: { batchSize: 2, latent: 64, messagePassingSteps: 5, radius: 0.025, particles: 330, threads: 1 },
  modelName: null,
};

/** one held-out design through both simulators, on one worker */
export const SECONDS_PER_FIDELITY_DESIGN = 2;

export interface TrainingEstimate {
  secondsPerStep: number;
  trainingSeconds: number;
  evaluationSeconds: number;
  totalSeconds: number;
}

/** Relative cost of a step: the windows of the slowest thread, each latent² × M × edges. */
export function stepCost(f: StepFactors): number {
  return Math.ceil(f.batchSize / Math.max(1, f.threads)) * f.latent ** 2 * f.messagePassingSteps * f.particles * f.radius ** 2;
}

/** Threads a training will use: the job's and, for batches of 2 or more, a compute worker's. */
export function trainingThreads(batchSize: number, cores: number): number {
  return batchSize >= 2 && cores >= 2 ? 2 : 1;
}

export function estimateTraining(
  factors: StepFactors,
  plan: { steps: number; fidelityDesigns: number; workers: number },
  calibration: Calibration,
): TrainingEstimate {
  const secondsPerStep = (calibration.secondsPerStep * stepCost(factors)) / stepCost(calibration.factors);
  const trainingSeconds = secondsPerStep * plan.steps;
  const evaluationSeconds = (plan.fidelityDesigns * SECONDS_PER_FIDELITY_DESIGN) / Math.max(1, plan.workers);
  return { secondsPerStep, trainingSeconds, evaluationSeconds, totalSeconds: trainingSeconds + evaluationSeconds };
}

/** "latent 64, M 5, batch 2, R 0.025, 330 particles" */
export function describeFactors(f: StepFactors): string {
  return `latent ${f.latent}, M ${f.messagePassingSteps}, batch ${f.batchSize}, R ${f.radius}, ${Math.round(f.particles)} particles, ${f.threads} thread${f.threads === 1 ? '' : 's'}`;
}

// A diffusion prior's training step is one MLP forward and backward pass over a batch: roughly
// batch × width² × blocks. Calibrated the same way, from the newest timed diffusion model of the
// project, else from a built-in figure.

export interface DenoiserStepFactors {
  batchSize: number;
  width: number;
  blocks: number;
}

export interface DenoiserCalibration {
  secondsPerStep: number;
  factors: DenoiserStepFactors;
  /** the model it was measured on, or null for the built-in figure */
  modelName: string | null;
}

/** A rough figure for the TF.js WebAssembly backend on two cores, at the schema's defaults. */
export const BUILTIN_DENOISER_CALIBRATION: DenoiserCalibration = {
  secondsPerStep: 0.05,
  factors: { batchSize: 256, width: 256, blocks: 4 },
  modelName: null,
};

export function denoiserStepCost(f: DenoiserStepFactors): number {
  return f.batchSize * f.width ** 2 * f.blocks;
}

/** Seconds per step and for the whole budget (early stopping may end it sooner). */
export function estimateDenoiserTraining(
  factors: DenoiserStepFactors,
  steps: number,
  calibration: DenoiserCalibration,
): { secondsPerStep: number; totalSeconds: number } {
  const secondsPerStep = (calibration.secondsPerStep * denoiserStepCost(factors)) / denoiserStepCost(calibration.factors);
  return { secondsPerStep, totalSeconds: secondsPerStep * steps };
}

/** "width 256, 4 blocks, batch 256" */
export function describeDenoiserFactors(f: DenoiserStepFactors): string {
  return `width ${f.width}, ${f.blocks} block${f.blocks === 1 ? '' : 's'}, batch ${f.batchSize}`;
}

// An outcome model's training: first the ground-truth rollouts it makes (on the compute workers),
// then its steps. A step is one MLP forward and backward pass over a batch: a fixed part plus a
// part that grows as batch × Σ (inputs × outputs) over the dense layers [d, …hidden, D]. The
// seconds per step come from the newest timed outcome model of the project, else from a built-in
// figure; the milliseconds per rollout from the project's stored ground-truth queries, else from
// a built-in figure.

export interface OutcomeStepFactors {
  batchSize: number;
  /** layer widths from the design to the outcome: [d, …hidden, D] */
  widths: number[];
}

export interface OutcomeCalibration {
  secondsPerStep: number;
  factors: OutcomeStepFactors;
  /** the model it was measured on, or null for the built-in figure */
  modelName: string | null;
}

/** The part of a step that does not grow with the network (TF.js calls, the batch's gather, the job's bookkeeping). */
export const OUTCOME_STEP_OVERHEAD_SECONDS = 0.005;

/**
 * The schema's defaults (8 joints, hidden 128 × 128, batch 128, D = 1027) on the reference
 * machine (TF.js WebAssembly, 2 cores): the default outcome model's 24,000 steps
 * (npm run train:default:outcome, 2026-12-07) took 0.0085–0.009 s a step (203 and 217 s in two
 * trainings; 0.0084 at 8,000 steps before); rounded up.
 */
export const BUILTIN_OUTCOME_CALIBRATION: OutcomeCalibration = {
  secondsPerStep: 0.01,
  factors: { batchSize: 128, widths: [8, 128, 128, 1027] },
  modelName: null,
};

/** One ground-truth rollout on one core (bench:physics, 256 particles × 50 frames, median 87 ms). */
export const BUILTIN_ROLLOUT_MS = 90;

export function outcomeStepCost(f: OutcomeStepFactors): number {
  let products = 0;
  for (let i = 1; i < f.widths.length; i++) products += f.widths[i - 1]! * f.widths[i]!;
  return f.batchSize * products;
}

export interface OutcomeTrainingEstimate {
  rolloutSeconds: number;
  secondsPerStep: number;
  trainingSeconds: number;
  totalSeconds: number;
}

export function estimateOutcomeTraining(
  factors: OutcomeStepFactors,
  plan: { rollouts: number; msPerRollout: number; workers: number; steps: number },
  calibration: OutcomeCalibration,
): OutcomeTrainingEstimate {
  const overhead = Math.min(OUTCOME_STEP_OVERHEAD_SECONDS, calibration.secondsPerStep);
  const secondsPerStep = overhead + ((calibration.secondsPerStep - overhead) * outcomeStepCost(factors)) / Math.max(1, outcomeStepCost(calibration.factors));
  const rolloutSeconds = (plan.rollouts * plan.msPerRollout) / 1000 / Math.max(1, plan.workers);
  const trainingSeconds = secondsPerStep * plan.steps;
  return { rolloutSeconds, secondsPerStep, trainingSeconds, totalSeconds: rolloutSeconds + trainingSeconds };
}

/** "8 → 128 → 128 → 1027, batch 128" */
export function describeOutcomeFactors(f: OutcomeStepFactors): string {
  return `${f.widths.join(' → ')}, batch ${f.batchSize}`;
}
