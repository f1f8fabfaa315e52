// bench:optimizers — best cost against cumulative queries (docs/method.md §9) of the optimize job on
// the ground truth of the default FluidTool-2D task: CEM (budget 256, population 32) and random
// search, 3 seeds each, median and interquartile range at every batch. With --with-adam it also
// trains a small learned simulator (a few hundred steps on a small physics dataset) and runs Adam
// through it; its best designs are then re-scored on the ground truth. Writes bench/results/optimizers.json.
import type { OptimizeResult } from '../src-main/engine/jobs/kinds/optimize';
import { jobResult, type JobInfo } from '../src-shared/api';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { benchWorkbench, ok } from './harness';
import { band, writeResults } from './report';

const SEEDS = [1, 2, 3];
const BUDGET = 256;
const withAdam = process.argv.includes('--with-adam');


async function main(): Promise<void> {
  const bench = await benchWorkbench('optimizers');
  const { wb, call } = bench;
  try {
    const projectId = wb.projects.create({ name: 'bench', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS }).id;
    const task = Array.from(wb.environment(projectId).defaultTask());
    const run = async (params: Record<string, unknown>): Promise<{ result: OptimizeResult; seconds: number }> => {
      const t0 = performance.now();
      const started = ok<JobInfo>(await call('jobs.start', { kind: 'optimize', projectId, params }));
      const job = await wb.jobs.whenFinished(started.id);
      if (job.status !== 'succeeded') throw new Error(`optimize job ${job.id} ${job.status}: ${job.error}`);
      return { result: jobResult(job, 'optimize'), seconds: (performance.now() - t0) / 1000 };
    };

    const figures: Record<string, unknown> = { settings: FLUIDTOOL2D_DEFAULTS, task, budget: BUDGET, seeds: SEEDS };
    const methods: Record<string, unknown> = {};
    for (const [name, params] of [
      ['cem', { optimizer: 'cem', cem: { population: 32 } }],
      ['random', { optimizer: 'random' }],
    ] as const) {
      const runs = [];
      for (const seed of SEEDS) {
        const r = await run({ ...params, budget: BUDGET, seed });
        runs.push(r);
        console.log(`${name} seed ${seed}: best ${r.result.best!.cost.toPrecision(4)} (capture ${((r.result.best!.capture ?? 0) * 100).toFixed(1)}%) in ${r.result.queries} queries, ${r.seconds.toFixed(1)} s`);
      }
      const curve = band(runs.map((r) => r.result.curve));
      methods[name] = {
        simulator: 'ground_truth',
        finalBest: curve.at(-1),
        curve,
        secondsPerRun: runs.map((r) => Number(r.seconds.toFixed(1))),
        bestDesigns: runs.map((r) => ({ cost: r.result.best!.cost, capture: r.result.best!.capture, design: r.result.best!.design.map((v) => Number(v.toFixed(4))) })),
      };
    }

    if (withAdam) {
      // a small learned simulator: 24 trajectories, 300 steps; Adam's costs are the model's, so its best designs are re-scored on the ground truth
      const data = ok<JobInfo>(await call('jobs.start', { kind: 'dataset.physics', projectId, params: { count: 24, seed: 11 } }));
      const datasetId = jobResult(await wb.jobs.whenFinished(data.id), 'dataset.physics').datasetId;
      const t0 = performance.now();
      const train = ok<JobInfo>(await call('jobs.start', { kind: 'gns.train', projectId, params: { datasetIds: [datasetId], steps: 300, evalEvery: 50, fidelityDesigns: 0, seed: 3 } }));
      const trained = await wb.jobs.whenFinished(train.id);
      if (trained.status !== 'succeeded') throw new Error(`training ${trained.status}: ${trained.error}`);
      const trainSeconds = (performance.now() - t0) / 1000;
      const adamBudget = 24; // ~4 s per gradient step at the default size (bench:gns)
      const runs = [];
      for (const seed of SEEDS) {
        const r = await run({ optimizer: 'adam', budget: adamBudget, seed, adam: { learningRate: 0.05, restarts: 2, smoothness: 0 } });
        const gt = ok<{ cost: number; capture: number }>(await call('simulate.run', { projectId, design: r.result.best!.design, task, method: 'bench.rescore' }));
        runs.push({ ...r, groundTruth: gt });
        console.log(`adam seed ${seed}: learned best ${r.result.best!.cost.toPrecision(4)}, ground truth ${gt.cost.toPrecision(4)}, ${r.seconds.toFixed(1)} s`);
      }
      const curve = band(runs.map((r) => r.result.curve));
      methods.adam = {
        simulator: 'learned',
        model: { datasetTrajectories: 24, steps: 300, trainSeconds: Number(trainSeconds.toFixed(1)) },
        budget: adamBudget,
        finalBest: curve.at(-1),
        curve,
        groundTruthOfBest: runs.map((r) => ({ cost: r.groundTruth.cost, capture: r.groundTruth.capture })),
        secondsPerRun: runs.map((r) => Number(r.seconds.toFixed(1))),
      };
    } else {
      methods.adam = { measured: false, why: 'no ready learned simulator ships with the workbench; training one takes minutes, so Adam runs only with --with-adam' };
    }
    figures.methods = methods;
    const file = writeResults('optimizers', `npm run bench:optimizers${withAdam ? ' -- --with-adam' : ''}`, figures);
    console.log(`wrote ${file}`);
  } finally {
    await bench.close();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
