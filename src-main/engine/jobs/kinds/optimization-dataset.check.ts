import type { z } from 'zod';
import type { JobParams } from '../../../../src-shared/api';
import { ApiError } from '../../../../src-shared/errors';
import type { JobCheck } from '../job-context';
import { resolveOptimizeModel } from './optimize.check';

export type OptimizationDatasetParams = z.output<(typeof JobParams)['dataset.optimization']>;

/** Runs of several optimizers: the learned model each needs, and a task region inside the project's task range. */
export const checkOptimizationDatasetParams: JobCheck<OptimizationDatasetParams> = ({ project, env, models }, params) => {
  for (const optimizer of new Set(params.optimizers)) resolveOptimizeModel(models, project.id, { env, settings: project.settings }, { optimizer, simulator: params.simulator, modelId: params.modelId });
  const r = params.taskRegion;
  if (r) {
    if (r.xMin > r.xMax || r.yMin > r.yMax) throw new ApiError('invalid_argument', 'The task region is empty: its minimum exceeds its maximum.', [{ path: 'params.taskRegion', message: 'min > max' }]);
    env.checkTask([r.xMin, r.yMin], 'params.taskRegion');
    env.checkTask([r.xMax, r.yMax], 'params.taskRegion');
  }
};
