import type { z } from 'zod';
import type { JobParams } from '../../../../src-shared/api';
import { ApiError } from '../../../../src-shared/errors';
import type { JobCheck } from '../job-context';

export type PhysicsDatasetParams = z.output<(typeof JobParams)['dataset.physics']>;

/** What the schema cannot see: the states per frame must divide the project's substeps. */
export const checkPhysicsDataset: JobCheck<PhysicsDatasetParams> = ({ project }, params) => {
  const substeps = project.settings.substeps;
  if (substeps % params.stepsPerFrame !== 0) {
    const divisors = Array.from({ length: substeps }, (_, i) => i + 1).filter((k) => substeps % k === 0 && k <= 40);
    throw new ApiError('invalid_argument', `${params.stepsPerFrame} states per frame do not divide project "${project.name}"'s ${substeps} substeps per frame: choose one of ${divisors.join(', ')}.`, [
      { path: 'params.stepsPerFrame', message: `must divide ${substeps}` },
    ]);
  }
};
