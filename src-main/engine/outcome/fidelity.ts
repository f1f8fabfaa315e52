// Cost fidelity of a learned model on held-out designs (the protocol the README states): for each
// of several tasks, the Spearman rank correlation of learned against ground-truth cost over the
// designs; the same among each task's best quarter (by true cost); the true rank of the design
// the model ranks first; and the capture error. Ground-truth costs come from stored outcomes, so
// every task is scored without a new rollout.
import type { Environment } from '../environments';
import { seededRandom } from '../random';
import type { OutcomeFidelity } from '../../../src-shared/models';
import { spearman } from '../stats';
import type { OutcomeModel } from './model-file';

/** The protocol's figures (declared in src-shared/models.ts, where a model row's metrics hold them). */
export type CostFidelity = OutcomeFidelity;

export interface ScoredDesign {
  trueCost: number;
  learnedCost: number;
  trueCapture: number;
  learnedCapture: number;
}

/** perTask[t][i]: design i scored for task t (the same designs for every task). */
export function costFidelity(perTask: ScoredDesign[][], maxPairs = 400): CostFidelity {
  const within = perTask.map((s) => spearman(s.map((x) => x.trueCost), s.map((x) => x.learnedCost)));
  const quarter = perTask.map((s) => {
    const best = [...s].sort((a, b) => a.trueCost - b.trueCost).slice(0, Math.max(3, Math.floor(s.length / 4)));
    return spearman(best.map((x) => x.trueCost), best.map((x) => x.learnedCost));
  });
  const picks = perTask.map((s) => {
    let pick = 0;
    s.forEach((x, i) => {
      if (x.learnedCost < s[pick]!.learnedCost) pick = i;
    });
    return 1 + s.filter((x) => x.trueCost < s[pick]!.trueCost).length;
  });
  const all = perTask.flat();
  const pairs: [number, number][] = [];
  const pairTasks: number[] = [];
  const per = Math.max(1, Math.floor(maxPairs / Math.max(1, perTask.length)));
  perTask.forEach((s, t) => {
    for (const x of s.slice(0, per)) {
      pairs.push([x.trueCost, x.learnedCost]);
      pairTasks.push(t);
    }
  });
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  return {
    designs: perTask[0]?.length ?? 0,
    tasks: perTask.length,
    spearmanMean: mean(within),
    spearmanWorst: Math.min(...within),
    spearmanPerTask: within,
    bestQuarterMean: mean(quarter),
    pickRanks: picks,
    pickRankWorst: Math.max(...picks),
    spearmanPooled: spearman(all.map((x) => x.trueCost), all.map((x) => x.learnedCost)),
    captureError: mean(all.map((x) => Math.abs(x.learnedCapture - x.trueCapture))),
    pairs,
    pairTasks,
  };
}

/**
 * The fidelity protocol on held-out designs: `tasks` random tasks of the project's range; the
 * true cost and capture from each design's stored outcome, the learned ones from the model.
 */
export function outcomeFidelity(env: Environment, model: OutcomeModel, heldOut: readonly { design: Float32Array; outcome: Float32Array }[], tasks: number, seed: number): CostFidelity {
  const rand = seededRandom(seed ^ 0x6a09e667);
  const predicted = heldOut.map((h) => model.predict(h.design));
  const perTask: ScoredDesign[][] = Array.from({ length: tasks }, () => {
    const task = env.sampleTask(rand);
    return heldOut.map((h, i) => {
      const truth = env.evaluateOutcome(h.outcome, task);
      const learned = env.evaluateOutcome(predicted[i]!, task);
      return { trueCost: truth.cost, learnedCost: learned.cost, trueCapture: truth.capture, learnedCapture: learned.capture };
    });
  });
  return costFidelity(perTask);
}
