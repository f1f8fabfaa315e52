import type { z } from 'zod';
import type { JobParams } from '../../../../src-shared/api';
import { ApiError } from '../../../../src-shared/errors';
import { PhysicsDatasets } from '../../datasets/physics';
import type { JobCheck } from '../job-context';

export type DiffusionTrainParams = z.output<(typeof JobParams)['diffusion.train']>;

/** A diffusion training request: the model to resume, or optimization datasets of this project, finished, with rows. */
export const checkDiffusionTrain: JobCheck<DiffusionTrainParams> = ({ db, project, models, checkNotTraining }, params) => {
  const projectId = project.id;
  if (params.resumeModelId !== undefined) {
    const model = models.get(params.resumeModelId);
    if (model.projectId !== projectId || model.kind !== 'diffusion') throw new ApiError('invalid_argument', `Model ${model.id} is not a diffusion model of this project.`, [{ path: 'params.resumeModelId', message: 'wrong model' }]);
    checkNotTraining(model);
    if (!models.hasFile(model, 'checkpoint.json')) throw new ApiError('invalid_argument', `Model "${model.name}" has no checkpoint to resume from.`, [{ path: 'params.resumeModelId', message: 'no checkpoint' }]);
    return;
  }
  const datasets = new PhysicsDatasets(db);
  let rows = 0;
  params.datasetIds.forEach((id, i) => {
    const ds = datasets.get(id);
    const path = `params.datasetIds.${i}`;
    if (ds.projectId !== projectId) throw new ApiError('invalid_argument', `Dataset ${id} belongs to another project.`, [{ path, message: 'not in this project' }]);
    if (ds.kind !== 'optimization') throw new ApiError('invalid_argument', `Dataset "${ds.name}" is a ${ds.kind} dataset; the diffusion prior learns from optimization datasets.`, [{ path, message: 'not an optimization dataset' }]);
    if (ds.status === 'building') throw new ApiError('conflict', `Dataset "${ds.name}" is still being built.`);
    rows += Number(ds.stats.rows ?? 0);
  });
  if (rows < 2) throw new ApiError('invalid_argument', `The chosen datasets hold ${rows} iterates; training needs at least 2.`, [{ path: 'params.datasetIds', message: 'too few iterates' }]);
};
