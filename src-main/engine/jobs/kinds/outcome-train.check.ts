import type { z } from 'zod';
import type { JobParams, ModelInfo } from '../../../../src-shared/api';
import type { FluidTool2DSettings } from '../../../../src-shared/environments';
import { ApiError } from '../../../../src-shared/errors';
import type { Environment } from '../../environments';
import type { ModelStore } from '../../models/store';
import { OutcomeModel } from '../../outcome/model-file';
import { QueryStore } from '../../storage/queries';
import type { JobCheck } from '../job-context';

export type OutcomeTrainParams = z.output<(typeof JobParams)['outcome.train']>;

/** fewest examples a training accepts (a few held out); a fine-tune keeps its start's knowledge and needs 2 */
export const MIN_OUTCOME_EXAMPLES = 20;
export const MIN_FINE_TUNE_EXAMPLES = 2;

/** A ready outcome model of the project, checked to fit its environment; throws ApiError naming `path`. */
export function readyOutcomeModel(models: ModelStore, projectId: number, modelId: number, env: Environment, settings: FluidTool2DSettings, path: string): { info: ModelInfo; model: OutcomeModel } {
  const info = models.get(modelId);
  if (info.projectId !== projectId || info.kind !== 'outcome') throw new ApiError('invalid_argument', `Model ${modelId} is not an outcome model of this project.`, [{ path, message: 'wrong model' }]);
  if (info.status !== 'ready') throw new ApiError('invalid_argument', `Outcome model "${info.name}" is ${info.status}, not ready.`, [{ path, message: `model is ${info.status}` }]);
  for (const f of ['model.json', 'weights.bin']) {
    if (!models.hasFile(info, f)) throw new ApiError('invalid_argument', `Outcome model "${info.name}" has no ${f}.`, [{ path, message: `no ${f}` }]);
  }
  const model = OutcomeModel.fromBytes(models.readFile(info, 'model.json'), models.readFile(info, 'weights.bin'));
  model.checkFor(env, settings, info.name);
  return { info, model };
}

/** An outcome-model training request: the model to resume or start from, enough data. */
export const checkOutcomeTrain: JobCheck<OutcomeTrainParams> = ({ db, project, env, models, checkNotTraining }, params) => {
  const projectId = project.id;
  const path = params.resumeModelId !== undefined ? 'params.resumeModelId' : 'params.initModelId';
  if (params.resumeModelId !== undefined) {
    const m = models.get(params.resumeModelId);
    if (m.projectId !== projectId || m.kind !== 'outcome') throw new ApiError('invalid_argument', `Model ${m.id} is not an outcome model of this project.`, [{ path, message: 'wrong model' }]);
    checkNotTraining(m);
    if (!models.hasFile(m, 'checkpoint.json')) throw new ApiError('invalid_argument', `Model "${m.name}" has no checkpoint to resume from.`, [{ path, message: 'no checkpoint' }]);
    return;
  }
  if (params.initModelId !== undefined) readyOutcomeModel(models, projectId, params.initModelId, env, project.settings, path);
  const stored = params.useStored ? new QueryStore(db).countOutcomeExamples(projectId, env.outcomeSpec.dim) : 0;
  const least = params.initModelId !== undefined ? MIN_FINE_TUNE_EXAMPLES : MIN_OUTCOME_EXAMPLES;
  if (stored + params.generate < least) {
    throw new ApiError(
      'invalid_argument',
      `An outcome model ${params.initModelId !== undefined ? 'fine-tune ' : ''}needs at least ${least} ground-truth queries with outcomes; this project has ${stored}${params.useStored ? '' : ' in use'} and the training would make ${params.generate}. Generate rollouts (a few thousand for a good model).`,
      [{ path: 'params.generate', message: 'too little training data' }],
    );
  }
};
