import type { FluidTool2DSettings } from '../../../../src-shared/environments';
import { PhysicsDatasets } from '../../datasets/physics';
import { createEnvironment } from '../../environments';
import { seededRandom } from '../../random';
import { ProjectStore } from '../../storage/projects';
import { QueryStore } from '../../storage/queries';
import type { JobRunner } from '../job-context';
import '../../compute/rollout'; // registers the rollout with the compute pool
import type { PhysicsDatasetParams } from './physics-dataset.check';

/**
 * Generates a physics dataset: N random designs, each with a random task, one ground-truth
 * rollout each, spread over the compute workers (or the Redis queue's). Each batch of trajectories
 * is written in one transaction together with its simulator queries, so a killed job loses at most
 * one batch.
 */
export const physicsDataset: JobRunner<PhysicsDatasetParams> = async (params, ctx) => {
  if (ctx.projectId === null) throw new Error('A physics dataset belongs to a project: start the job with a projectId.');
  const projectId = ctx.projectId;
  const db = ctx.database();
  const project = new ProjectStore(db).get(projectId);
  const env = createEnvironment(project.environment, project.settings);
  const datasets = new PhysicsDatasets(db);
  const queries = new QueryStore(db);
  const name = params.name ?? `Physics ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  const dataset = datasets.create(projectId, name, 'generated', ctx.jobId);
  ctx.emit('datasets.changed', { projectId });
  const rand = seededRandom(params.seed);
  const pool = ctx.compute();
  const batchSize = Math.max(4, pool.size * 4);
  let done = 0;
  let finished = false;
  try {
    while (done < params.count) {
      ctx.throwIfCancelled();
      const n = Math.min(batchSize, params.count - done);
      const designs = Array.from({ length: n }, () => env.sampleDesign(rand));
      const tasks = Array.from({ length: n }, () => env.sampleTask(rand));
      // each part is written as it comes back (the whole batch from the local pool, each queue
      // batch from the Redis queue): trajectories and queries in one transaction; a queue batch
      // already written is skipped, so a retried one never duplicates rows
      await pool.map(
        'rollout',
        designs.map((design, i) => ({
          environment: project.environment,
          settings: project.settings as FluidTool2DSettings,
          design,
          task: tasks[i]!,
          keepRollout: true,
          stepsPerFrame: params.stepsPerFrame,
        })),
        {
          onBatch: (b) => {
            const part = (i: number): number => b.start + i;
            db.transaction(() => {
              if (b.id !== null && queries.batchFirstId(b.id) !== null) return;
              datasets.append(
                dataset.id,
                b.results.map((o, i) => ({
                  design: designs[part(i)]!,
                  task: tasks[part(i)]!,
                  positions: o.rollout!.positions,
                  frames: o.rollout!.frames,
                  particles: o.rollout!.particles,
                  particleTypes: o.rollout!.particleTypes,
                  cost: o.cost,
                  capture: o.capture,
                })),
              );
              queries.record(
                b.results.map((o, i) => ({
                  projectId,
                  design: designs[part(i)]!,
                  task: tasks[part(i)]!,
                  simulator: 'ground_truth' as const,
                  cost: o.cost,
                  capture: o.capture,
                  wallMs: o.wallMs,
                  method: 'dataset.physics',
                  run: `dataset-${dataset.id}`,
                  outcome: o.outcome,
                })),
                b.id === null ? {} : { batchId: b.id },
              );
            }).immediate();
          },
        },
      );
      done += n;
      ctx.emit('queries.added', { projectId, count: n });
      ctx.progress(done / params.count, `${done} of ${params.count} rollouts`);
    }
    const info = datasets.finish(dataset.id, 'ready', { stepsPerFrame: params.stepsPerFrame });
    finished = true;
    return { datasetId: dataset.id, trajectories: done, stats: info.stats };
  } finally {
    if (!finished) datasets.finish(dataset.id, 'incomplete', { stepsPerFrame: params.stepsPerFrame });
    ctx.emit('datasets.changed', { projectId });
  }
};
