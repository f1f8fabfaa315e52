// The diffusion prior's training examples (docs/method.md §2, §6): designs visited by optimizers,
// chosen per run (all iterates, the last fraction, or the best), each with its condition
// y = (task c, cost level e), both normalized.
import { OptimizationDatasets } from '../datasets/trajectories';
import { seededRandom } from '../random';
import type { Db } from '../storage/database';

import { costAtQuantile as costAtQuantileOf, quantileSorted } from '../../../src-shared/sampling';

export interface IterateRecord {
  /** runs are told apart by dataset and name */
  datasetId: number;
  run: string;
  iteration: number;
  task: ArrayLike<number>;
  design: ArrayLike<number>;
  cost: number;
}

export type IterateSelection = { iterates: 'all' } | { iterates: 'last'; lastFraction: number } | { iterates: 'best' };

/** Per run, in iteration order, the iterates the selection keeps. */
export function selectIterates(records: Iterable<IterateRecord>, selection: IterateSelection): IterateRecord[][] {
  const runs = new Map<string, IterateRecord[]>();
  for (const r of records) {
    const key = `${r.datasetId}\u0000${r.run}`;
    const list = runs.get(key);
    if (list) list.push(r);
    else runs.set(key, [r]);
  }
  const out: IterateRecord[][] = [];
  for (const list of runs.values()) {
    list.sort((a, b) => a.iteration - b.iteration);
    if (selection.iterates === 'all') out.push(list);
    else if (selection.iterates === 'best') out.push([list.reduce((best, r) => (r.cost < best.cost ? r : best))]);
    else {
      if (!(selection.lastFraction > 0 && selection.lastFraction <= 1)) throw new Error(`lastFraction must be in (0, 1], got ${selection.lastFraction}`);
      // the last fraction of the run's iterations (by iteration number), at least the last one
      const first = list[0]!.iteration;
      const last = list[list.length - 1]!.iteration;
      const from = last - Math.max(1, Math.ceil((last - first + 1) * selection.lastFraction)) + 1;
      const kept = list.filter((r) => r.iteration >= from);
      out.push(kept.length ? kept : [list[list.length - 1]!]);
    }
  }
  return out;
}

/** How conditions are normalized: tasks into [-1, 1] over the task range, costs standardized. */
export interface ConditionScale {
  taskCentre: number[];
  taskHalfRange: number[];
  costMean: number;
  costStd: number;
  costMin: number;
  costMax: number;
  /** the training costs at quantiles 0, 0.05, …, 1 (21 values): the sampler's cost levels */
  costQuantiles: number[];
}

export function conditionScale(examples: readonly IterateRecord[], taskLower: readonly number[], taskUpper: readonly number[]): ConditionScale {
  if (!examples.length) throw new Error('no training examples');
  const costs = Float64Array.from(examples, (r) => r.cost).sort();
  const mean = costs.reduce((a, b) => a + b, 0) / costs.length;
  const std = Math.sqrt(costs.reduce((a, c) => a + (c - mean) ** 2, 0) / costs.length);
  return {
    taskCentre: taskLower.map((l, i) => (l + taskUpper[i]!) / 2),
    taskHalfRange: taskLower.map((l, i) => Math.max(1e-9, (taskUpper[i]! - l) / 2)),
    costMean: mean,
    costStd: std > 1e-12 ? std : 1,
    costMin: costs[0]!,
    costMax: costs[costs.length - 1]!,
    costQuantiles: Array.from({ length: 21 }, (_, k) => quantileSorted(costs, k / 20)),
  };
}

/** The cost at quantile q of the training costs (from the 21 stored quantiles). */
export function costAtQuantile(scale: ConditionScale, q: number): number {
  return costAtQuantileOf(scale.costQuantiles, q);
}

/** y = [(task - centre) / halfRange..., (cost - mean) / std] */
export function normalizeCondition(scale: ConditionScale, task: ArrayLike<number>, cost: number): Float32Array {
  const k = scale.taskCentre.length;
  if (task.length !== k) throw new Error(`the task has ${task.length} entries, the model was trained on ${k}`);
  const y = new Float32Array(k + 1);
  for (let i = 0; i < k; i++) y[i] = (task[i]! - scale.taskCentre[i]!) / scale.taskHalfRange[i]!;
  y[k] = (cost - scale.costMean) / scale.costStd;
  return y;
}

/** Designs [n*d] and conditions [n*(k+1)] as flat arrays. */
export interface DiffusionExamples {
  n: number;
  dim: number;
  designs: Float32Array;
  conditions: Float32Array;
}

export function toExamples(records: readonly IterateRecord[], dim: number, scale: ConditionScale): DiffusionExamples {
  const k = scale.taskCentre.length + 1;
  const designs = new Float32Array(records.length * dim);
  const conditions = new Float32Array(records.length * k);
  records.forEach((r, i) => {
    if (r.design.length !== dim) throw new Error(`run "${r.run}" iteration ${r.iteration}: the design has ${r.design.length} entries, the project's designs have ${dim}`);
    for (let j = 0; j < dim; j++) {
      const v = r.design[j]!;
      if (!(v >= -1 && v <= 1)) throw new Error(`run "${r.run}" iteration ${r.iteration}: design entry ${j} is ${v}, outside [-1, 1]`);
      designs[i * dim + j] = v;
    }
    if (!Number.isFinite(r.cost)) throw new Error(`run "${r.run}" iteration ${r.iteration}: the cost is ${r.cost}`);
    conditions.set(normalizeCondition(scale, r.task, r.cost), i * k);
  });
  return { n: records.length, dim, designs, conditions };
}

/** What the split reads of a training request. */
export interface ExampleSelection {
  datasetIds: number[];
  iterates: 'all' | 'last' | 'best';
  lastFraction: number;
  validationFraction: number;
  seed: number;
}

/**
 * The chosen optimization datasets' iterates as training and validation examples, split by run
 * (whole runs held out, so validation designs are not near-copies of training ones). The datasets
 * were checked before the job started (checkDiffusionTrain).
 */
export function loadDiffusionExamples(db: Db, params: ExampleSelection, dim: number, taskLower: number[], taskUpper: number[]): { scale: ConditionScale; train: DiffusionExamples; val: DiffusionExamples; runs: number } {
  const datasets = new OptimizationDatasets(db);
  const records: IterateRecord[] = [];
  for (const id of params.datasetIds) {
    for (const r of datasets.records(id)) records.push({ datasetId: id, run: r.run, iteration: r.iteration, task: r.task, design: r.design, cost: r.cost });
  }
  const runs = selectIterates(records, params.iterates === 'last' ? { iterates: 'last', lastFraction: params.lastFraction } : { iterates: params.iterates });
  const total = runs.reduce((a, r) => a + r.length, 0);
  if (total < 2) throw new Error(`The chosen datasets give ${total} training designs with iterates "${params.iterates}"; training needs at least 2.`);
  const order = runs.map((_, i) => i);
  const shuffle = seededRandom(params.seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let train: IterateRecord[];
  let val: IterateRecord[];
  if (runs.length >= 2) {
    const nVal = Math.min(runs.length - 1, Math.max(1, Math.round(runs.length * params.validationFraction)));
    val = order.slice(0, nVal).flatMap((i) => runs[i]!);
    train = order.slice(nVal).flatMap((i) => runs[i]!);
  } else {
    const all = runs[0]!;
    const nVal = Math.max(1, Math.round(all.length * params.validationFraction));
    val = all.slice(0, nVal);
    train = all.slice(nVal);
  }
  const scale = conditionScale(train, taskLower, taskUpper);
  return { scale, train: toExamples(train, dim, scale), val: toExamples(val, dim, scale), runs: runs.length };
}
