// Stored designs: what a project's ground-truth queries already say about a new task. Every
// ground-truth query stores its outcome, a task-independent summary of the final state
// (FluidTool-2D: the water's centroid and total variance, and a coarse density map), and the
// environment computes cost and capture from an outcome for any task. So each design the project
// ever rolled out has an exact, known cost for a task it was never run on: no model, no new query.
// For FluidTool-2D the cost is |centroid - target|^2 + variance, and the variance, most of it,
// does not depend on the target: a design that gathers the water well for one target is good for
// its neighbours. The README (*Stored designs*) has the measurements.
import type { Environment } from '../environments';
import type { QueryStore } from '../storage/queries';

export interface StoredDesign {
  /** the project's ground-truth query whose outcome this is (the first, if the design was queried more than once) */
  queryId: number;
  design: Float32Array;
  /** cost and capture for the task, from the stored outcome */
  cost: number;
  capture: number;
}

/**
 * The project's stored designs cheapest for `task`, at most `count`, none within `tolerance`
 * (max norm) of a cheaper one: ground-truth queries with an outcome of the environment's size
 * and an id at most `upToId`. Ranks every stored design by its outcome's cost entries, then
 * reads the whole outcome of those it returns (for capture).
 */
export function storedDesignsFor(
  queries: Pick<QueryStore, 'outcomeHeads' | 'outcome'>,
  env: Pick<Environment, 'outcomeSpec' | 'outcomeCost' | 'evaluateOutcome'>,
  projectId: number,
  task: ArrayLike<number>,
  opts: { count: number; upToId?: number; tolerance?: number },
): StoredDesign[] {
  const { count, tolerance = 1e-3 } = opts;
  if (count <= 0) return [];
  const { dim, costEntries } = env.outcomeSpec;
  const heads = queries.outcomeHeads(projectId, dim, costEntries, opts.upToId === undefined ? {} : { upToId: opts.upToId });
  const d = heads.designDim;
  const e = heads.entries;
  const costs = new Float64Array(heads.count);
  for (let i = 0; i < heads.count; i++) costs[i] = env.outcomeCost(heads.heads.subarray(i * e, (i + 1) * e), task);
  // only the cheapest need ordering: those up to a cost bound that admits a few times `count`
  // (more when copies and near-copies crowd them out), found by a native sort of the costs alone
  const bounds = costs.filter(Number.isFinite).sort();
  const chosen: StoredDesign[] = [];
  for (let admit = Math.min(bounds.length, 16 * count); admit > 0; admit = Math.min(bounds.length, admit * 4)) {
    const bound = bounds[admit - 1]!;
    const ranked: number[] = [];
    for (let i = 0; i < heads.count; i++) if (costs[i]! <= bound) ranked.push(i);
    // ties by query id: a design queried again has the same outcome, and its first query is kept
    ranked.sort((a, b) => costs[a]! - costs[b]! || heads.ids[a]! - heads.ids[b]!);
    chosen.length = 0;
    for (const i of ranked) {
      if (chosen.length >= count) break;
      const design = heads.designs.subarray(i * d, (i + 1) * d);
      if (chosen.some((c) => c.design.every((v, j) => Math.abs(v - design[j]!) <= tolerance))) continue;
      const queryId = heads.ids[i]!;
      const outcome = queries.outcome(queryId);
      if (!outcome) continue;
      const { cost, capture } = env.evaluateOutcome(outcome, task);
      chosen.push({ queryId, design: design.slice(), cost, capture });
    }
    if (chosen.length >= count || admit === bounds.length) break;
  }
  return chosen;
}
