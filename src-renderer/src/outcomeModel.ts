import type { OutcomeFidelity, OutcomeModelInfo, StoredTraining } from '@shared/api';
import { trainingConfig, trainingMetrics, type TrainingConfig, type TrainingMetrics } from './modelTraining';
import type { FidelityVerdict } from './simulatorModel';
import { formatSigned } from './format';

// A learned outcome model's `metrics` and `config` (typed in src-shared/models.ts; the outcome.train
// job writes them: src-main/engine/jobs/kinds/outcome-train.ts) as its table and details read
// them: a model that has just started training has none of the figures, and every one then reads
// as null.

export type { OutcomeFidelity };

export interface OutcomeMetrics extends TrainingMetrics {
  /** designs learned from, and those held out for validation and the fidelity check */
  examples: { train: number; val: number } | null;
  /** the validation loss of the cost entries alone (centroid and spread) */
  valCostLoss: number | null;
  /** null until the training has ended */
  fidelity: OutcomeFidelity | null;
}

/** The network and the training parameters a model was started with (config.outcome, config.training). */
export interface OutcomeConfig extends TrainingConfig {
  designDim: number | null;
  outcomeDim: number | null;
  costEntries: number | null;
  hidden: number[];
  /** rollouts the training made first, and whether it learned from the stored queries too */
  generate: number | null;
  useStored: boolean | null;
  densityWeight: number | null;
  decaySteps: number | null;
  fidelityTasks: number | null;
  /** the model a fine-tuned one started from */
  initModelId: number | null;
  /** the training data: the project's ground-truth queries with ids in (fromId, upToId] */
  data: { fromId: number; upToId: number } | null;
  /** the default model shipped with the app */
  shipped: boolean;
  /** the training parameters as stored */
  training: StoredTraining<'outcome.train'>;
}

export function outcomeMetrics(model: Pick<OutcomeModelInfo, 'kind' | 'metrics'>): OutcomeMetrics {
  const m = model.metrics;
  return {
    ...trainingMetrics(m),
    examples: m.examples ? { train: m.examples.train, val: m.examples.val } : null,
    valCostLoss: m.valCostLoss ?? null,
    fidelity: m.fidelity ?? null,
  };
}

export function outcomeConfig(model: Pick<OutcomeModelInfo, 'kind' | 'config' | 'datasetId'>): OutcomeConfig {
  const config = model.config;
  const training = config.training ?? {};
  // the network's own config wins: a fine-tuned model keeps its starting model's
  const hidden = config.outcome?.hidden ?? [];
  return {
    ...trainingConfig(model),
    designDim: config.outcome?.designDim ?? null,
    outcomeDim: config.outcome?.outcomeDim ?? null,
    costEntries: config.outcome?.costEntries ?? null,
    hidden: hidden.length ? hidden : (training.hidden ?? []),
    generate: training.generate ?? null,
    useStored: training.useStored ?? null,
    densityWeight: training.densityWeight ?? null,
    decaySteps: training.decaySteps ?? null,
    fidelityTasks: training.fidelityTasks ?? null,
    initModelId: config.initModelId ?? training.initModelId ?? null,
    data: config.data ?? null,
    shipped: config.shipped === true,
    training,
  };
}

/** What an outcome model's fidelity must reach to be trusted to rank designs for Adam and energy guidance. */
export const OUTCOME_TARGET = { spearmanMean: 0.95, spearmanWorst: 0.9, designs: 300, tasks: 8 } as const;

/** "mean 0.912 < 0.95", "only 60 designs": what keeps a fidelity from "ok", in the order the verdict weighs them. */
export function outcomeShortfalls(f: OutcomeFidelity): { rho: string[]; size: string[] } {
  const t = OUTCOME_TARGET;
  const rho: string[] = [];
  if (f.spearmanMean < t.spearmanMean) rho.push(`mean ρ ${formatSigned(f.spearmanMean)} < ${t.spearmanMean}`);
  if (f.spearmanWorst < t.spearmanWorst) rho.push(`worst task ρ ${formatSigned(f.spearmanWorst)} < ${t.spearmanWorst}`);
  const size: string[] = [];
  if (f.designs < t.designs) size.push(`only ${f.designs} designs (< ${t.designs})`);
  if (f.tasks < t.tasks) size.push(`only ${f.tasks} tasks (< ${t.tasks})`);
  return { rho, size };
}

/** The badge of an outcome model's fidelity: "ok" when every target is met; otherwise what is short. Null while not measured. */
export function outcomeVerdict(f: OutcomeFidelity | null): FidelityVerdict | null {
  if (!f) return null;
  const t = OUTCOME_TARGET;
  const target = `Target: within-task Spearman ρ mean ≥ ${t.spearmanMean} and worst task ≥ ${t.spearmanWorst}, measured on at least ${t.designs} held-out designs × ${t.tasks} tasks.`;
  const { rho, size } = outcomeShortfalls(f);
  const short = [...rho, ...size];
  if (!short.length) return { kind: 'ok', designs: f.designs, label: 'ok', tone: 'success', explanation: target };
  const explanation = `Short of the target: ${short.join('; ')}. ${target}`;
  if (rho.length) {
    const label = rho.length === 2 ? 'below target' : f.spearmanMean < t.spearmanMean ? `mean below ${t.spearmanMean}` : `worst task below ${t.spearmanWorst}`;
    return { kind: 'below', designs: f.designs, label, tone: 'warning', explanation };
  }
  const label = f.designs < t.designs && f.tasks < t.tasks ? `only ${f.designs} designs × ${f.tasks} tasks` : f.designs < t.designs ? `only ${f.designs} designs` : `only ${f.tasks} tasks`;
  return { kind: 'few', designs: f.designs, label, tone: 'warning', explanation };
}

/** "ρ 0.973 within task (worst 0.941)": the fidelity in one phrase; null while not measured. */
export function outcomeFidelityPhrase(f: OutcomeFidelity | null): string | null {
  return f ? `ρ ${formatSigned(f.spearmanMean)} within task (worst ${formatSigned(f.spearmanWorst)})` : null;
}
