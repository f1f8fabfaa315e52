import type { JobKind } from '../../../../src-shared/api';
import type { JobCheck } from '../job-context';
import { checkDiffusionTrain } from './diffusion-train.check';
import { checkGnsTrain } from './gns-train.check';
import { checkOptimizationDatasetParams } from './optimization-dataset.check';
import { checkOptimize } from './optimize.check';
import { checkOutcomeTrain } from './outcome-train.check';
import { checkPhysicsDataset } from './physics-dataset.check';
import { checkSample } from './sample.check';

/**
 * Every job kind's request check, keyed by kind: what jobs.start runs before a job row is written
 * and the worker runs again when the job starts. Light modules only (no TF.js, no job code), so
 * the main thread loads them without the kinds themselves.
 */
export const JOB_CHECKS: { [K in JobKind]?: JobCheck<never> } = {
  'dataset.physics': checkPhysicsDataset as JobCheck<never>,
  'gns.train': checkGnsTrain as JobCheck<never>,
  'outcome.train': checkOutcomeTrain as JobCheck<never>,
  optimize: checkOptimize as JobCheck<never>,
  'dataset.optimization': checkOptimizationDatasetParams as JobCheck<never>,
  'diffusion.train': checkDiffusionTrain as JobCheck<never>,
  sample: checkSample as JobCheck<never>,
};
