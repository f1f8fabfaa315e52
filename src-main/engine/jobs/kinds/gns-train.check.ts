import type { z } from 'zod';
import type { DatasetInfo, JobParams } from '../../../../src-shared/api';
import { ApiError } from '../../../../src-shared/errors';
import { PhysicsDatasets } from '../../datasets/physics';
import type { JobCheck } from '../job-context';

export type GnsTrainParams = z.output<(typeof JobParams)['gns.train']>;

/** A GNS training request: the model to resume or fine-tune, physics datasets of the project of one kind, enough trajectories. */
export const checkGnsTrain: JobCheck<GnsTrainParams> = ({ db, project, models, checkNotTraining }, params) => {
  const projectId = project.id;
  const datasets = new PhysicsDatasets(db);
  if (params.resumeModelId !== undefined) {
    const m = models.get(params.resumeModelId);
    if (m.projectId !== projectId || m.kind !== 'simulator') throw new ApiError('invalid_argument', `Model ${m.id} is not a learned simulator of this project.`, [{ path: 'params.resumeModelId', message: 'wrong model' }]);
    checkNotTraining(m);
    if (!models.hasFile(m, 'checkpoint.json')) throw new ApiError('invalid_argument', `Model "${m.name}" has no checkpoint to resume from.`, [{ path: 'params.resumeModelId', message: 'no checkpoint' }]);
    return;
  }
  if (params.initModelId !== undefined) {
    const m = models.get(params.initModelId);
    if (m.projectId !== projectId || m.kind !== 'simulator') throw new ApiError('invalid_argument', `Model ${m.id} is not a learned simulator of this project.`, [{ path: 'params.initModelId', message: 'wrong model' }]);
    if (m.status !== 'ready' || !models.hasFile(m, 'weights.bin') || !models.hasFile(m, 'model.json')) {
      throw new ApiError('invalid_argument', `Model "${m.name}" has no finished weights to start from (status ${m.status}).`, [{ path: 'params.initModelId', message: 'not ready' }]);
    }
    const modelPerFrame = (m.config.stepsPerFrame as number | undefined) ?? 1;
    const dataPerFrame = params.datasetIds.map((id) => stepsPerFrameOf(datasets.get(id)));
    if (dataPerFrame.some((k) => k !== modelPerFrame)) {
      throw new ApiError('invalid_argument', `Model "${m.name}" takes ${modelPerFrame} steps per frame; fine-tune it on datasets recorded with ${modelPerFrame} states per frame.`, [
        { path: 'params.datasetIds', message: 'states per frame differ from the model' },
      ]);
    }
  }
  params.datasetIds.forEach((id, i) => {
    const ds = datasets.get(id);
    if (ds.projectId !== projectId) throw new ApiError('invalid_argument', `Dataset ${id} belongs to another project.`, [{ path: `params.datasetIds.${i}`, message: 'not in this project' }]);
    if (ds.kind !== 'physics') throw new ApiError('invalid_argument', `Dataset "${ds.name}" is not a physics dataset.`, [{ path: `params.datasetIds.${i}`, message: 'not a physics dataset' }]);
    if (ds.status === 'building') throw new ApiError('conflict', `Dataset "${ds.name}" is still being generated.`);
  });
  const perFrame = new Set(params.datasetIds.map((id) => stepsPerFrameOf(datasets.get(id))));
  if (perFrame.size > 1) {
    throw new ApiError('invalid_argument', `The chosen datasets were recorded with different states per frame (${[...perFrame].join(', ')}); train on datasets of one kind.`, [
      { path: 'params.datasetIds', message: 'mixed states per frame' },
    ]);
  }
  const total = params.datasetIds.reduce((n, id) => n + datasets.count(id), 0);
  if (total < 2) {
    throw new ApiError('invalid_argument', `The chosen datasets hold ${total} trajectories; training needs at least 2 (one is held out for validation).`, [
      { path: 'params.datasetIds', message: 'too few trajectories' },
    ]);
  }
};

/** States per frame a dataset was recorded with (1 when absent); an optimization dataset has none of its own (checked apart). */
function stepsPerFrameOf(ds: DatasetInfo): number {
  return ds.kind === 'physics' ? (ds.stats.stepsPerFrame ?? 1) : 1;
}
