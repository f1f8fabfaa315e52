import { ENVIRONMENTS, type EnvironmentId, type FluidTool2DSettings } from '../../../src-shared/environments';
import type { Environment } from './environment';
import { FluidTool2D } from './fluidtool2d';

/** The environment of a project, from its stored settings. */
export function createEnvironment(id: EnvironmentId, settings: FluidTool2DSettings): Environment {
  switch (id) {
    case 'fluidtool-2d':
      return new FluidTool2D(ENVIRONMENTS[id].settings.parse(settings));
  }
}
export type { Environment, Evaluation, OutcomeSpec, Rollout } from './environment';
