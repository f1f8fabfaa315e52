// A trained GNS against the ground truth (as learning_to_simulate's evaluation): its rollouts
// from the first frame of held-out trajectories (mean position error of the water), and the cost
// it gives random designs and tasks beside the ground truth's (fidelity, Spearman), every query stored.
import type { FluidTool2DSettings } from '../../../src-shared/environments';
import { PARTICLE_TYPE } from '../../../src-shared/fluidtool2d';
import type { StoredTrajectory } from '../datasets/physics';
import type { Environment } from '../environments';
import type { JobContext } from '../jobs/job-context';
import { seededRandom } from '../random';
import { LearnedRunner } from '../simulators/learned';
import { spearman } from '../stats';
import type { QueryStore } from '../storage/queries';
import '../compute/rollout'; // registers the rollout with the compute pool
import type { GnsConfig, GnsNormalization } from './spec';
import { mixSeed } from './training-data';

/** Mean distance of the water to the truth at the given frames. */
function positionErrors(truth: Float32Array, learned: Float32Array, particleTypes: Uint8Array, frames: number[]): number[] {
  const n = particleTypes.length;
  return frames.map((f) => {
    let sum = 0;
    let count = 0;
    for (let p = 0; p < n; p++) {
      if (particleTypes[p] !== PARTICLE_TYPE.water) continue;
      const k = (f * n + p) * 2;
      sum += Math.hypot(learned[k]! - truth[k]!, learned[k + 1]! - truth[k + 1]!);
      count++;
    }
    return count ? sum / count : Number.NaN;
  });
}

/** Held-out position errors and cost fidelity against the ground truth. */
export async function evaluateGns(
  ctx: JobContext,
  learned: { id: number; config: GnsConfig; norm: GnsNormalization; onnx: Uint8Array; stepsPerFrame: number },
  heldOut: StoredTrajectory[],
  params: { fidelityDesigns: number; seed: number },
  project: { env: Environment; settings: FluidTool2DSettings },
  queries: QueryStore,
  projectId: number,
): Promise<Record<string, unknown> & { positionError: Record<string, number>; spearman?: number }> {
  const env = project.env;
  const runner = await LearnedRunner.load(learned);
  try {
    // 1. mean particle position error on held-out trajectories, from their own first frame
    const sample = heldOut.slice(0, 8);
    // frames 10, 25, 50 of the environment (k model steps each), within the trajectory
    const perFrame = learned.stepsPerFrame;
    const atFrames = (states: number): number[] => [...new Set([10, 25, 50].map((f) => Math.min(f, Math.floor((states - 1) / perFrame))))];
    const errors = new Map<number, number[]>();
    let done = 0;
    await Promise.all(
      sample.map(async (t) => {
        const frame = t.particles * 2;
        const r = await runner.rolloutFrom(t.positions.slice(0, frame), t.particleTypes, t.frames);
        const frames = atFrames(t.frames);
        positionErrors(t.positions, r.positions, t.particleTypes, frames.map((f) => f * perFrame)).forEach((e, i) => {
          const list = errors.get(frames[i]!) ?? [];
          list.push(e);
          errors.set(frames[i]!, list);
        });
        ctx.progress(0.8 + (0.05 * ++done) / sample.length, `Held-out rollouts ${done}/${sample.length}`);
      }),
    );
    const positionError = Object.fromEntries([...errors].sort((a, b) => a[0] - b[0]).map(([f, list]) => [String(f), list.reduce((a, b) => a + b, 0) / list.length]));

    // 2. cost fidelity: the same random designs and tasks through both simulators
    const n = params.fidelityDesigns;
    if (n === 0) return { positionError, heldOutTrajectories: sample.length };
    // random designs, with random tasks shared by groups of designs: over all pairs the cost
    // varies with the task as much as with the design, so the ranking of designs for one task,
    // what inverse design needs, is measured within each group too
    const rand = seededRandom(mixSeed(params.seed, -2));
    const designs = Array.from({ length: n }, () => env.sampleDesign(rand));
    const groups = Math.max(1, Math.min(4, Math.floor(n / 10)));
    const groupTasks = Array.from({ length: groups }, () => env.sampleTask(rand));
    const tasks = designs.map((_, i) => groupTasks[i % groups]!);
    ctx.throwIfCancelled();
    ctx.progress(0.85, `Ground truth for ${n} designs`);
    const truth = await ctx.compute().map(
      'rollout',
      designs.map((design, i) => ({ environment: env.id, settings: project.settings, design, task: tasks[i]!, keepRollout: false })),
    );
    const learnedCosts: { cost: number; capture: number; wallMs: number }[] = new Array(n);
    let k = 0;
    await Promise.all(
      designs.map(async (design, i) => {
        ctx.throwIfCancelled();
        const r = await runner.rollout(env, design);
        learnedCosts[i] = { ...env.evaluate(r, tasks[i]!), wallMs: r.computeMs };
        if (++k % 5 === 0) ctx.progress(0.85 + (0.15 * k) / n, `Learned rollouts ${k}/${n}`);
      }),
    );
    const run = `model-${learned.id}`;
    recordQueries(queries, projectId, designs, tasks, truth, 'ground_truth', null, run);
    recordQueries(queries, projectId, designs, tasks, learnedCosts, 'learned', learned.id, run);
    ctx.emit('queries.added', { projectId, count: 2 * n });
    const rho = spearman(
      truth.map((t) => t.cost),
      learnedCosts.map((l) => l.cost),
    );
    const perTask = groupTasks.map((_, g) => {
      const idx = designs.map((__, i) => i).filter((i) => i % groups === g);
      return spearman(
        idx.map((i) => truth[i]!.cost),
        idx.map((i) => learnedCosts[i]!.cost),
      );
    });
    return {
      positionError,
      heldOutTrajectories: sample.length,
      spearman: rho,
      spearmanPerTask: perTask.reduce((a, b) => a + b, 0) / perTask.length,
      fidelityTasks: groupTasks.map((t) => Array.from(t)),
      fidelityGroups: designs.map((_, i) => i % groups),
      fidelityDesigns: n,
      fidelity: truth.map((t, i) => [t.cost, learnedCosts[i]!.cost]),
      learnedRolloutMs: learnedCosts.reduce((a, l) => a + l.wallMs, 0) / n,
    };
  } finally {
    await runner.close();
  }
}

function recordQueries(
  queries: QueryStore,
  projectId: number,
  designs: Float32Array[],
  tasks: Float32Array[],
  results: { cost: number; capture: number; wallMs: number }[],
  simulator: 'ground_truth' | 'learned',
  modelId: number | null,
  run: string,
): void {
  // one row per design: every query is stored, the evaluation's too
  queries.record(
    results.map((r, i) => ({ projectId, design: designs[i]!, task: tasks[i]!, simulator, modelId, cost: r.cost, capture: r.capture, wallMs: r.wallMs, method: 'gns.fidelity', run })),
  );
}
