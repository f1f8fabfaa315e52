import type { DatasetInfo, JobInfo, ModelConfigBase, ModelInfo, TrainingProgress } from '@shared/api';
import { formatDate, formatDuration, formatLoss, formatNumber } from './format';

// What every trained model (learned simulator, outcome model or diffusion prior) reports of its
// training, with null for a figure not written yet, and how its figures and parameters read in
// the model tables and details.

/** [step, loss] */
export type CurvePoint = [number, number];

/** The loss curves every trained model reports. */
export interface LossCurves {
  step: number | null;
  steps: number | null;
  trainLoss: CurvePoint[];
  valLoss: CurvePoint[];
  bestStep: number | null;
  bestValLoss: number | null;
}

/** The loss curves and the progress and timing of a training, whatever the model. */
export interface TrainingMetrics extends LossCurves {
  /** "training", "evaluating", "done" */
  phase: string | null;
  secondsPerStep: number | null;
  trainingSeconds: number | null;
  stoppedEarly: boolean | null;
}

/** The training parameters every trained model records in `config.training`. */
export interface TrainingConfig {
  learningRate: number | null;
  batchSize: number | null;
  steps: number | null;
  evalEvery: number | null;
  patience: number | null;
  validationFraction: number | null;
  seed: number | null;
  datasetIds: number[];
  /** the TF.js backend it trained on */
  backend: string | null;
}

/** the figures of `metrics` every training writes; a model that has just started has none */
export function trainingMetrics(m: TrainingProgress): TrainingMetrics {
  return {
    phase: m.phase ?? null,
    step: m.step ?? null,
    steps: m.steps ?? null,
    trainLoss: m.trainLoss ?? [],
    valLoss: m.valLoss ?? [],
    bestStep: m.bestStep ?? null,
    bestValLoss: m.bestValLoss ?? null,
    secondsPerStep: m.secondsPerStep ?? null,
    trainingSeconds: m.trainingSeconds ?? null,
    stoppedEarly: m.stoppedEarly ?? null,
  };
}

/** The training parameters every kind of model stores in `config.training` (each optional in older rows). */
interface StoredTrainingCommon {
  learningRate?: number;
  batchSize?: number;
  steps?: number;
  evalEvery?: number;
  patience?: number;
  validationFraction?: number;
  seed?: number;
  datasetIds?: number[];
}

/** the training parameters of a model's config; its datasets fall back to the one it names itself */
export function trainingConfig(model: { config: ModelConfigBase & { training?: StoredTrainingCommon }; datasetId: number | null }): TrainingConfig {
  const training = model.config.training ?? {};
  const datasetIds = training.datasetIds ?? [];
  return {
    learningRate: training.learningRate ?? null,
    batchSize: training.batchSize ?? null,
    steps: training.steps ?? null,
    evalEvery: training.evalEvery ?? null,
    patience: training.patience ?? null,
    validationFraction: training.validationFraction ?? null,
    seed: training.seed ?? null,
    datasetIds: datasetIds.length ? datasetIds : model.datasetId === null ? [] : [model.datasetId],
    backend: model.config.backend ?? null,
  };
}

/** A model of some kind as its tables read it: its training figures and parameters, and its kind's own. */
export interface ModelReading {
  metrics: TrainingMetrics;
  config: TrainingConfig;
  /** an interrupted model can resume; default: while the datasets it learned from are named */
  resumable?: boolean;
}

/** What every models table is given. */
export interface ModelTableProps {
  models: ModelInfo[];
  /** each training model's job, for its live progress */
  jobs: ReadonlyMap<number, JobInfo>;
  /** the model shown below the table */
  selectedId: number | null;
  /** ids with an export, resume or stop in flight */
  busy: ReadonlySet<number>;
}

/** What every models table asks of its tab, for one model. */
export interface ModelTableEmits {
  export: [model: ModelInfo];
  resume: [model: ModelInfo];
  stop: [model: ModelInfo];
  delete: [model: ModelInfo];
}

/** One row of a models table: the reading, the step budget, the live training job and whether it can resume. */
export type ModelRow<R extends ModelReading> = R & { model: ModelInfo; steps: number | null; job: JobInfo | null; canResume: boolean };

/** The step budget a resume asks for: the larger of the configured one and the one the training reported. */
export function resumeBudget(configured: number | null, reported: number | null): number | null {
  const budgets = [configured, reported].filter((n): n is number => n !== null);
  return budgets.length ? Math.max(...budgets) : null;
}

/** One labelled figure of a model's details. */
export interface Fact {
  label: string;
  value: string;
}

/** a figure for the details, or a dash */
export function showFigure(value: number | null, digits = 4): string {
  return value === null ? '—' : formatNumber(value, digits);
}

/** the names of the datasets a model learned from, a deleted one by its id */
export function datasetNames(ids: readonly number[], datasets: readonly DatasetInfo[]): string {
  return ids.map((id) => datasets.find((d) => d.id === id)?.name ?? `dataset #${id} (deleted)`).join(', ');
}

/** The facts of a training's progress (phase, steps, best loss) and of its timing (time, seconds per step). */
export function trainingFacts(m: TrainingMetrics, configuredSteps: number | null): { progress: Fact[]; timing: Fact[] } {
  return {
    progress: [
      { label: 'Phase', value: m.phase ?? '—' },
      // while training, the model's step is its last evaluation's; the live step is the job's (the model table shows it)
      { label: m.phase === 'training' ? 'Steps, at the last evaluation' : 'Steps', value: `${m.step ?? 0} / ${m.steps ?? configuredSteps ?? '?'}${m.stoppedEarly ? ' (stopped early)' : ''}` },
      { label: 'Best validation loss', value: m.bestValLoss === null ? '—' : `${formatLoss(m.bestValLoss)} at step ${m.bestStep}` },
    ],
    timing: [
      { label: 'Training time', value: m.trainingSeconds === null ? '—' : formatDuration(m.trainingSeconds * 1000) },
      { label: 'Seconds per step', value: m.secondsPerStep === null ? '—' : m.secondsPerStep.toPrecision(3) },
    ],
  };
}

/** the model's creation time, the last of its facts */
export function createdFact(model: ModelInfo): Fact {
  return { label: 'Created', value: formatDate(model.createdAt) };
}

/**
 * The configuration rows every training shares: its optimisation (learning rate to validation
 * fraction) and its record (seed, backend, datasets), for a model's own rows to go between.
 */
export function trainingConfigRows(c: TrainingConfig, datasets: readonly DatasetInfo[]): { optimisation: Fact[]; record: Fact[] } {
  return {
    optimisation: [
      { label: 'Learning rate', value: c.learningRate === null ? '—' : String(c.learningRate) },
      { label: 'Batch size', value: showFigure(c.batchSize) },
      { label: 'Step budget', value: showFigure(c.steps) },
      { label: 'Evaluate every', value: c.evalEvery === null ? '—' : `${c.evalEvery} steps` },
      { label: 'Patience', value: c.patience === null ? '—' : `${c.patience} evaluations` },
      { label: 'Validation fraction', value: showFigure(c.validationFraction) },
    ],
    record: [
      { label: 'Seed', value: showFigure(c.seed) },
      { label: 'Backend', value: c.backend ?? '—' },
      { label: 'Datasets', value: datasetNames(c.datasetIds, datasets) || '—' },
    ],
  };
}
