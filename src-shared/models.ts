import type { z } from 'zod';
import type { JobParams, ModelStatus } from './api';

// What a model row's `config` and `metrics` hold, by model kind: what the training jobs write
// (src-main/engine/jobs/kinds/gns-train.ts, outcome-train.ts, diffusion-train.ts) and what the
// shipped models carry (resources/models/*/manifest.json, installed by models/default-model.ts).
// A model that has just started training has no figures yet, and rows written by older versions
// lack the newer ones: every figure that can be missing in a stored row is optional here.

/** [step, loss] or [ground-truth cost, learned cost]: a pair of numbers */
export type NumberPair = [number, number];

/** The training parameters a model was started with, as stored: older rows may lack newer ones. */
export type StoredTraining<K extends 'gns.train' | 'outcome.train' | 'diffusion.train'> = Partial<z.output<(typeof JobParams)[K]>>;

/** What every training writes to `metrics` (src-main/engine/jobs/training-loop.ts trainingMetrics, the phase, stoppedEarly). */
export interface TrainingProgress {
  /** "training", "evaluating", "done" */
  phase?: string;
  step?: number;
  steps?: number;
  trainLoss?: NumberPair[];
  valLoss?: NumberPair[];
  bestStep?: number | null;
  bestValLoss?: number | null;
  /** null before the first step */
  secondsPerStep?: number | null;
  trainingSeconds?: number;
  /** written when the training has ended */
  stoppedEarly?: boolean;
}

/** What every model's `config` may hold besides its network: the backend and, for a shipped model, where it came from. */
export interface ModelConfigBase {
  /** the TF.js backend it trained on */
  backend?: string;
  /** a model shipped with the app (models/default-model.ts installShipped) */
  shipped?: boolean;
  trainedAt?: string;
  command?: string;
}

/** The GNS network (src-main/engine/gns/spec.ts names it GnsConfig). */
export interface GnsNetworkConfig {
  /** latent size of nodes and edges */
  latent: number;
  /** hidden layers per MLP (each of width `latent`, ReLU) */
  mlpLayers: number;
  /** message-passing steps M */
  messagePassingSteps: number;
  /** connectivity radius R (box units) */
  radius: number;
  /** velocities in the node features (C = history length) */
  historyLength: number;
  /** size of the learned particle-type embedding */
  typeEmbedding: number;
  /** number of particle types the embedding has rows for (type ids 0..numTypes-1) */
  numTypes: number;
  /** std of the random-walk noise on input positions at the last step, in box units */
  noiseStd: number;
  /** box walls for the distance features: [xMin, xMax, yMin, yMax] */
  bounds: [number, number, number, number];
}

export interface SimulatorModelConfig extends ModelConfigBase {
  /** the network; the training parameters' sizes are what was asked, this is what was built */
  gns?: GnsNetworkConfig;
  training?: StoredTraining<'gns.train'>;
  /** states per frame of the data it learned from; written once trained */
  stepsPerFrame?: number;
}

export interface SimulatorModelMetrics extends TrainingProgress {
  trajectories?: { train: number; heldOut: number };
  /** threads its training steps ran on (2: data parallel) */
  trainingThreads?: number;
  /** mean distance of the water to the ground truth by frame ("10": …); null where no water was compared */
  positionError?: Record<string, number | null>;
  heldOutTrajectories?: number;
  /** Spearman of learned against ground-truth costs over random designs and tasks (null when it could not be computed) */
  spearman?: number | null;
  /** mean over a few tasks of the within-task Spearman */
  spearmanPerTask?: number | null;
  /** the tasks of the fidelity groups, and the group of each fidelity pair */
  fidelityTasks?: number[][];
  fidelityGroups?: number[];
  fidelityDesigns?: number;
  /** [ground-truth cost, learned cost] of each fidelity design */
  fidelity?: NumberPair[];
  /** mean wall time of one learned rollout during the evaluation */
  learnedRolloutMs?: number;
  /** where it trains or trained: "here", or "queue worker <host:pid>" (absent in models older than the queue) */
  trainedOn?: string;
}

/** The outcome network (src-main/engine/outcome/spec.ts names it OutcomeModelConfig). */
export interface OutcomeNetworkConfig {
  /** design entries d */
  designDim: number;
  /** outcome entries D (Environment.outcomeSpec.dim) */
  outcomeDim: number;
  /** leading outcome entries the cost depends on: weighted apart in the loss */
  costEntries: number;
  /** hidden layer widths, tanh after each */
  hidden: number[];
  /** Environment.outcomeSpec.version the model was trained on */
  outcomeVersion: string;
}

export interface OutcomeModelConfig extends ModelConfigBase {
  outcome?: OutcomeNetworkConfig;
  /** the normalization of designs and outcomes (empty until the data is read) */
  norm?: { mean: number[]; std: number[] };
  training?: StoredTraining<'outcome.train'>;
  /** the training data: the project's ground-truth outcomes with query ids in (fromId, upToId] */
  data?: { fromId: number; upToId: number };
  /** the physics settings it was trained for */
  physics?: Record<string, number>;
  /** the model a fine-tuned one started from */
  initModelId?: number;
  /** a fine-tune: the last query id its starting model learned from */
  startUpToId?: number;
}

/** The outcome model's cost fidelity on held-out designs (src-main/engine/outcome/fidelity.ts names it CostFidelity). */
export interface OutcomeFidelity {
  designs: number;
  tasks: number;
  /** mean over tasks of the within-task Spearman */
  spearmanMean: number;
  spearmanWorst: number;
  spearmanPerTask: number[];
  /** within-task Spearman among the task's best quarter of designs, mean over tasks */
  bestQuarterMean: number;
  /** 1-based true rank of the model's pick (its lowest predicted cost), per task, and the worst */
  pickRanks: number[];
  pickRankWorst: number;
  /** Spearman over every (design, task) pair pooled */
  spearmanPooled: number;
  /** mean |learned - true| capture */
  captureError: number;
  /** a sample of [true cost, learned cost] pairs and the task index of each, for a scatter plot */
  pairs: [number, number][];
  pairTasks: number[];
}

export interface OutcomeModelMetrics extends TrainingProgress {
  /** designs learned from and held out; anchors: the starting model's predictions a fine-tune also learns from */
  examples?: { train: number; val: number; anchors?: number };
  /** the validation loss of the cost entries alone */
  valCostLoss?: number | null;
  /** written when the training has ended */
  fidelity?: OutcomeFidelity;
  /** the fidelity's pooled and mean within-task Spearman and its designs, named as a GNS's */
  spearman?: number;
  spearmanPerTask?: number;
  fidelityDesigns?: number;
  /** where it trains or trained: "here", or "queue worker <host:pid>" (absent in models older than the queue) */
  trainedOn?: string;
}

/** The denoiser (src-main/engine/diffusion/denoiser.ts names it DenoiserConfig). */
export interface DenoiserNetworkConfig {
  /** design dimension d */
  dim: number;
  /** task dimension; the condition is [task, cost level]: taskDim + 1 entries */
  taskDim: number;
  width: number;
  blocks: number;
  /** sinusoidal time features (even) */
  timeEmbedding: number;
  conditional: boolean;
}

/** The training costs' range and their quantiles 0, 0.05, …, 1: the cost levels a conditional model can be asked for. */
export interface CostLevels {
  min: number;
  max: number;
  quantiles: number[];
}

export interface DiffusionModelConfig extends ModelConfigBase {
  denoiser?: DenoiserNetworkConfig;
  schedule?: { kind: 'cosine' | 'linear'; timesteps: number };
  training?: StoredTraining<'diffusion.train'>;
  /** written once the data is read */
  costLevels?: CostLevels;
}

export interface DiffusionModelMetrics extends TrainingProgress {
  /** designs the denoiser learned from and held out */
  examples?: { train: number; val: number };
  /** optimizer runs the designs came from */
  runs?: number;
  /** where it trains or trained: "here", or "queue worker <host:pid>" (absent in models older than the queue) */
  trainedOn?: string;
}

interface ModelInfoBase {
  id: number;
  projectId: number;
  name: string;
  status: ModelStatus;
  /** file names in the model's folder */
  files: string[];
  datasetId: number | null;
  jobId: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A learned simulator (GNS). */
export interface SimulatorModelInfo extends ModelInfoBase {
  kind: 'simulator';
  config: SimulatorModelConfig;
  metrics: SimulatorModelMetrics;
}
/** A learned outcome model. */
export interface OutcomeModelInfo extends ModelInfoBase {
  kind: 'outcome';
  config: OutcomeModelConfig;
  metrics: OutcomeModelMetrics;
}
/** A diffusion prior over designs. */
export interface DiffusionModelInfo extends ModelInfoBase {
  kind: 'diffusion';
  config: DiffusionModelConfig;
  metrics: DiffusionModelMetrics;
}

export type ModelInfo = SimulatorModelInfo | OutcomeModelInfo | DiffusionModelInfo;
/** The model of one kind. */
export type ModelOfKind<K extends ModelInfo['kind']> = Extract<ModelInfo, { kind: K }>;

/** whether a model is of this kind (the union narrowed) */
export function isKind<K extends ModelInfo['kind']>(model: ModelInfo, kind: K): model is ModelOfKind<K> {
  return model.kind === kind;
}

/** the model as one of this kind: throws when it is of another */
export function asKind<K extends ModelInfo['kind']>(model: ModelInfo, kind: K): ModelOfKind<K> {
  if (!isKind(model, kind)) throw new Error(`Model ${model.id} is a ${model.kind} model, not a ${kind} model.`);
  return model;
}

/**
 * A training job's live message, `step 140/600 · loss 0.215`: written by the training jobs every
 * step, read back by the model tables, so the step they show while training is this one (the
 * model's metrics move only at evaluations).
 */
export function trainingMessage(step: number, steps: number, loss: number): string {
  return `step ${step}/${steps} · loss ${loss.toPrecision(3)}`;
}

/** The step and budget a training job's message names, and the rest of it; null when it names none. */
export function trainingStepOf(message: string | null | undefined): { step: number; steps: number; rest: string } | null {
  const m = message ? /^step (\d+)\/(\d+)(?: · (.*))?$/.exec(message) : null;
  return m ? { step: Number(m[1]), steps: Number(m[2]), rest: m[3] ?? '' } : null;
}
