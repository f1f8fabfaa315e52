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
  const ranked = queries
    .outcomeHeads(projectId, dim, costEntries, opts.upToId === undefined ? {} : { upToId: opts.upToId })
    .map((h) => ({ ...h, cost: env.outcomeCost(h.head, task) }))
    .filter((h) => Number.isFinite(h.cost))
    .sort((a, b) => a.cost - b.cost || a.queryId - b.queryId);
  const chosen: StoredDesign[] = [];
  for (const h of ranked) {
    if (chosen.length >= count) break;
    if (chosen.some((c) => c.design.every((v, j) => Math.abs(v - h.design[j]!) <= tolerance))) continue;
    const outcome = queries.outcome(h.queryId);
    if (!outcome) continue;
    const { cost, capture } = env.evaluateOutcome(outcome, task);
    chosen.push({ queryId: h.queryId, design: h.design, cost, capture });
  }
  return chosen;
}
