import type { z } from 'zod';
import { JobParams } from '../../../../src-shared/api';
import { OptimizationDatasets } from '../../datasets/trajectories';
import { createEnvironment } from '../../environments';
import { seededRandom } from '../../random';
import { ProjectStore } from '../../storage/projects';
import type { JobRunner } from '../job-context';
import { createOptimizationDataset, runOptimization } from './optimize';

type Params = z.output<(typeof JobParams)['dataset.optimization']>;

/**
 * The diffusion prior's training data (docs/method.md §6): `runs` optimizer runs, each on a task
 * sampled from the project's task range, cycling through the chosen optimizers, every iterate
 * into one optimization dataset. A cancelled job keeps the runs it finished, marked incomplete.
 */
export const optimizationDataset: JobRunner<Params> = async (params, ctx) => {
  if (ctx.projectId === null) throw new Error('An optimization dataset belongs to a project: start the job with a projectId.');
  const projectId = ctx.projectId;
  const db = ctx.database();
  const project = new ProjectStore(db).get(projectId);
  const env = createEnvironment(project.environment, project.settings);
  const name = params.name ?? `Trajectories ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  const datasetId = createOptimizationDataset(db, projectId, name, `generated:${params.optimizers.join('+')}`, ctx.jobId);
  ctx.emit('datasets.changed', { projectId });
  const rand = seededRandom(params.seed);
  const runs: { run: number; optimizer: string; task: number[]; bestCost: number | null; queries: number }[] = [];
  let finished = false;
  try {
    for (let r = 0; r < params.runs; r++) {
      ctx.throwIfCancelled();
      const optimizer = params.optimizers[r % params.optimizers.length]!;
      const region = params.taskRegion;
      const task = region ? env.checkTask([region.xMin + (region.xMax - region.xMin) * rand(), region.yMin + (region.yMax - region.yMin) * rand()], 'params.taskRegion') : Array.from(env.sampleTask(rand));
      const runParams = JobParams.optimize.parse({ optimizer, simulator: params.simulator, modelId: params.modelId, task: Array.from(task), budget: params.budget, seed: params.seed + r + 1, ...(params.cem ? { cem: params.cem } : {}) });
      const result = await runOptimization(runParams, ctx, {
        runBase: `${optimizer}-${ctx.jobId}-${r + 1}`,
        datasetId,
        progress: (queries, best) =>
          ctx.progress((r + queries / params.budget) / params.runs, `run ${r + 1}/${params.runs} (${optimizer}) · queries ${queries}/${params.budget} · best ${best.toPrecision(4)}`),
      });
      runs.push({ run: r + 1, optimizer, task: Array.from(task), bestCost: result.best?.cost ?? null, queries: result.queries });
    }
    const info = new OptimizationDatasets(db).finish(datasetId, 'ready');
    finished = true;
    return { datasetId, runs, stats: info.stats };
  } finally {
    if (!finished) new OptimizationDatasets(db).finish(datasetId, 'incomplete');
    ctx.emit('datasets.changed', { projectId });
  }
};
