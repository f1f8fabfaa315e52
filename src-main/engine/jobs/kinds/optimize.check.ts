import type { z } from 'zod';
import type { JobParams, ModelInfo } from '../../../../src-shared/api';
import { DatasetStore } from '../../storage/datasets';
import { ApiError } from '../../../../src-shared/errors';
import type { ModelStore } from '../../models/store';
import { resolveLearnedModel, type ProjectFit } from '../../simulators/learned-energy';
import type { Db } from '../../storage/database';
import type { JobCheck } from '../job-context';

export type OptimizeParams = z.output<(typeof JobParams)['optimize']>;

/**
 * The learned model an optimize job uses: the given one, else the project's newest ready outcome
 * model, else its newest GNS; Adam needs its gradient. Throws ApiError before any job row or
 * query is written (checkOptimize) and again in the job.
 */
export function resolveOptimizeModel(models: ModelStore, projectId: number, fit: ProjectFit, params: Pick<OptimizeParams, 'optimizer' | 'simulator' | 'modelId'>): ModelInfo | null {
  if (params.optimizer !== 'adam' && params.simulator !== 'learned') return null;
  const adam = params.optimizer === 'adam';
  return resolveLearnedModel(models, projectId, params.modelId, fit, {
    gradient: adam,
    rollouts: !adam,
    why: adam ? 'Adam follows the gradient of a learned model' : 'a learned model was chosen to score designs',
    user: adam ? 'Adam' : 'the learned simulator',
    path: 'params.modelId',
  });
}

/** The optimization dataset to append to, checked: same project, kind optimization. */
export function checkOptimizationDataset(db: Db, projectId: number, datasetId: number): void {
  const row = new DatasetStore(db).row(datasetId);
  if (!row) throw new ApiError('not_found', `There is no dataset with id ${datasetId}.`, [{ path: 'params.datasetId', message: 'no such dataset' }]);
  if (row.project_id !== projectId) throw new ApiError('invalid_argument', `Dataset ${datasetId} belongs to another project.`, [{ path: 'params.datasetId', message: 'not in this project' }]);
  if (row.kind !== 'optimization') throw new ApiError('invalid_argument', `Dataset "${row.name}" is a ${row.kind} dataset, not an optimization dataset.`, [{ path: 'params.datasetId', message: 'not an optimization dataset' }]);
}

/** An optimization request: its task, the learned model it needs, the dataset it appends to. */
export const checkOptimize: JobCheck<OptimizeParams> = ({ db, project, env, models }, params) => {
  if (params.task) env.checkTask(params.task, 'params.task');
  resolveOptimizeModel(models, project.id, { env, settings: project.settings }, params);
  if (params.datasetId !== undefined) checkOptimizationDataset(db, project.id, params.datasetId);
};
