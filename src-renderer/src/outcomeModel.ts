import type { ModelInfo } from '@shared/api';
import { figure, pairs, record } from './metricsReading';
import { trainingConfig, trainingMetrics, type TrainingConfig, type TrainingMetrics } from './modelTraining';
import type { FidelityVerdict } from './simulatorModel';
import { formatSigned } from './format';

// What a learned outcome model's ModelInfo carries in `metrics` and `config` (the outcome.train
// job writes them: src-main/engine/jobs/kinds/outcome-train.ts), read defensively: a model that
// has just started training has none of the figures, and every one then reads as null. The one
// place the renderer reads the engine's CostFidelity object (src-main/engine/outcome/fidelity.ts).

/** The fidelity protocol's figures on held-out designs, each ranked for several random tasks. */
export interface OutcomeFidelity {
  designs: number;
  tasks: number;
  /** within-task Spearman of learned against true cost: mean over the tasks, the worst task, each task */
  spearmanMean: number;
  spearmanWorst: number;
  spearmanPerTask: number[];
  /** within-task Spearman among each task's best quarter of designs (by true cost), mean over tasks */
  bestQuarterMean: number | null;
  /** 1-based true rank of the design the model ranks first, per task, and the worst */
  pickRanks: number[];
  pickRankWorst: number | null;
  /** Spearman over every (design, task) pair pooled */
  spearmanPooled: number | null;
  /** mean |learned − true| capture */
  captureError: number | null;
  /** a sample of [true cost, learned cost] pairs, and the task of each */
  pairs: [number, number][];
  pairTasks: number[];
}

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
  training: Record<string, unknown>;
}

const numbers = (value: unknown): number[] => (Array.isArray(value) ? value.map(figure).filter((v): v is number => v !== null) : []);

function outcomeFidelity(value: unknown): OutcomeFidelity | null {
  const f = record(value);
  const designs = figure(f.designs);
  const tasks = figure(f.tasks);
  const spearmanMean = figure(f.spearmanMean);
  const spearmanWorst = figure(f.spearmanWorst);
  if (designs === null || tasks === null || spearmanMean === null || spearmanWorst === null) return null;
  return {
    designs,
    tasks,
    spearmanMean,
    spearmanWorst,
    spearmanPerTask: numbers(f.spearmanPerTask),
    bestQuarterMean: figure(f.bestQuarterMean),
    pickRanks: numbers(f.pickRanks),
    pickRankWorst: figure(f.pickRankWorst),
    spearmanPooled: figure(f.spearmanPooled),
    captureError: figure(f.captureError),
    pairs: pairs(f.pairs),
    pairTasks: numbers(f.pairTasks),
  };
}

export function outcomeMetrics(model: ModelInfo): OutcomeMetrics {
  const m = record(model.metrics);
  const examples = record(m.examples);
  const train = figure(examples.train);
  const val = figure(examples.val);
  return {
    ...trainingMetrics(m),
    examples: train === null || val === null ? null : { train, val },
    valCostLoss: figure(m.valCostLoss),
    fidelity: outcomeFidelity(m.fidelity),
  };
}

export function outcomeConfig(model: ModelInfo): OutcomeConfig {
  const config = record(model.config);
  const network = record(config.outcome);
  const training = record(config.training);
  const data = record(config.data);
  const fromId = figure(data.fromId);
  const upToId = figure(data.upToId);
  // the network's own config wins: a fine-tuned model keeps its starting model's
  const hidden = numbers(network.hidden);
  return {
    ...trainingConfig(model),
    designDim: figure(network.designDim),
    outcomeDim: figure(network.outcomeDim),
    costEntries: figure(network.costEntries),
    hidden: hidden.length ? hidden : numbers(training.hidden),
    generate: figure(training.generate),
    useStored: typeof training.useStored === 'boolean' ? training.useStored : null,
    densityWeight: figure(training.densityWeight),
    decaySteps: figure(training.decaySteps),
    fidelityTasks: figure(training.fidelityTasks),
    initModelId: figure(config.initModelId) ?? figure(training.initModelId),
    data: fromId === null || upToId === null ? null : { fromId, upToId },
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
