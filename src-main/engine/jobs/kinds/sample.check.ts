import type { z } from 'zod';
import type { JobParams, ModelInfo } from '../../../../src-shared/api';
import { ApiError } from '../../../../src-shared/errors';
import { readyDiffusionModel } from '../../diffusion/model-file';
import { resolveLearnedModel } from '../../simulators/learned-energy';
import type { JobCheck, JobCheckContext } from '../job-context';

export type SampleParams = z.output<(typeof JobParams)['sample']>;

/**
 * The models a sampling run needs, checked before a job row or query is written and again in the
 * job: the diffusion model, and a learned simulator when it scores designs or guides by energy.
 */
export function resolveSampleModels({ project, env, models }: Pick<JobCheckContext, 'project' | 'env' | 'models'>, params: SampleParams): { diffusion: ModelInfo; simulator: ModelInfo | null } {
  const projectId = project.id;
  const diffusion = readyDiffusionModel(models, projectId, params.modelId);
  const config = diffusion.config as { denoiser?: { conditional?: boolean; dim?: number } };
  if (params.conditional.enabled && !config.denoiser?.conditional) {
    throw new ApiError('invalid_argument', `Diffusion model "${diffusion.name}" was trained without a condition, so conditional guidance cannot steer it: turn conditional guidance off or train a conditional model.`, [
      { path: 'params.conditional.enabled', message: 'the model is unconditional' },
    ]);
  }
  const dim = env.designSpace.dim;
  if (config.denoiser?.dim !== undefined && config.denoiser.dim !== dim) {
    throw new ApiError('invalid_argument', `Diffusion model "${diffusion.name}" makes ${config.denoiser.dim}-dimensional designs; this project's have ${dim}.`, [{ path: 'params.modelId', message: 'wrong design dimension' }]);
  }
  const learned = params.simulator === 'learned';
  const simulator =
    learned || params.energy.enabled
      ? resolveLearnedModel(models, projectId, params.simulatorModelId, { env, settings: project.settings }, {
          gradient: params.energy.enabled,
          rollouts: learned,
          why: params.energy.enabled ? 'energy guidance follows the gradient of a learned model' : 'a learned model was chosen to score designs',
          user: params.energy.enabled ? 'energy guidance' : 'the learned simulator',
          path: 'params.simulatorModelId',
        })
      : null;
  return { diffusion, simulator };
}

/** A sampling request: its task, the diffusion model and the learned model it needs. */
export const checkSample: JobCheck<SampleParams> = (ctx, params) => {
  if (params.task) ctx.env.checkTask(params.task, 'params.task');
  resolveSampleModels(ctx, params);
};
