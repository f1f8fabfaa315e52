// bench:sampling-sweep — picks the sampler defaults that bench:paper uses, on tuning tasks drawn
// from the whole task range with their own seed (never bench:paper's held-out tasks): conditional
// guidance weight, requested cost quantile and particle temperature, for the shipped default
// diffusion model on the ground truth; with --energy, the energy guidance scale and the guided
// steps (gradient of the shipped outcome model, conditional guidance on). Writes
// bench/results/sampling-sweep.json (sampling-sweep-energy.json with --energy).
//   npm run bench:sampling-sweep -- [--tasks 4] [--energy]
import { parseArgs } from 'node:util';
import { OptimizationDatasets } from '../src-main/engine/datasets/trajectories';
import { installDefaultDiffusion, installDefaultOutcome } from '../src-main/engine/models/default-model';
import { seededRandom } from '../src-main/engine/random';
import { jobResult, type JobInfo } from '../src-shared/api';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { benchWorkbench, ok } from './harness';
import { quantile, writeResults } from './report';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '4' }, energy: { type: 'boolean', default: false } } });


async function main(): Promise<void> {
  const bench = await benchWorkbench('sweep');
  const { wb, call } = bench;
  try {
    const project = wb.projects.create({ name: 'sweep', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS });
    if (!installDefaultDiffusion(wb.models, new OptimizationDatasets(wb.db), project)?.model) throw new Error('no shipped diffusion model: npm run train:default:diffusion');
    const env = wb.environment(project.id);
    const rand = seededRandom(777);
    const tasks = Array.from({ length: Number(values.tasks) }, () => Array.from(env.sampleTask(rand)));
    const sample = async (params: Record<string, unknown>, task: number[]): Promise<number> => {
      const started = ok<JobInfo>(await call('jobs.start', { kind: 'sample', projectId: project.id, params: { count: 16, ddimSteps: 25, seed: 5, ...params, task } }));
      const done = await wb.jobs.whenFinished(started.id);
      if (done.status !== 'succeeded') throw new Error(`${done.error}`);
      return jobResult(done, 'sample').curve.at(-1)![1];
    };
    const rows: { settings: Record<string, unknown>; medianCost: number; costs: number[] }[] = [];
    const grid: Record<string, unknown>[] = [];
    const conditional = { enabled: true, weight: 2, costQuantile: 0.05 };
    if (values.energy) {
      const outcome = installDefaultOutcome(wb.models, project);
      if (!outcome) throw new Error('no shipped outcome model: npm run train:default:outcome');
      const fixed = { conditional, simulatorModelId: outcome.id, refine: { enabled: false, checks: 1, steps: 0 } };
      grid.push(fixed);
      for (const lastSteps of [5, 12, 25]) for (const scale of [0.1, 0.3, 1, 3]) grid.push({ ...fixed, energy: { enabled: true, scale, clip: 1, lastSteps } });
    } else {
      for (const weight of [0, 1, 2, 4]) for (const costQuantile of [0, 0.05, 0.25]) if (weight > 0 || costQuantile === 0.05) grid.push({ conditional: { enabled: weight > 0, weight, costQuantile } });
      for (const temperature of [0.002, 0.005, 0.01, 0.03]) grid.push({ conditional, particles: { enabled: true, count: 16, rounds: 2, temperature } });
    }
    for (const settings of grid) {
      const costs: number[] = [];
      for (const task of tasks) costs.push(await sample(settings, task));
      const medianCost = quantile([...costs].sort((a, b) => a - b), 0.5);
      rows.push({ settings, medianCost, costs });
      console.log(`${JSON.stringify(settings)}: median best cost ${medianCost.toFixed(4)} (${costs.map((c) => c.toFixed(4)).join(', ')})`);
    }
    writeResults(values.energy ? 'sampling-sweep-energy' : 'sampling-sweep', `npm run bench:sampling-sweep -- --tasks ${values.tasks}${values.energy ? ' --energy' : ''}`, { tasks, rows });
  } finally {
    await bench.close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
