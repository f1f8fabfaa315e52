import type { JobKind } from '../../../../src-shared/api';
import type { JobRunner } from '../job-context';
import { diffusionTrain } from './diffusion-train';
import { gnsTrain } from './gns-train';
import { optimizationDataset } from './optimization-dataset';
import { optimizeJob } from './optimize';
import { outcomeTrain } from './outcome-train';
import { physicsDataset } from './physics-dataset';
import { sampleJob } from './sample';
import { selfcheck } from './selfcheck';

/** Every job kind's code, keyed by the kind named in the API contract. */
export const JOB_RUNNERS: Record<JobKind, JobRunner<never>> = {
  selfcheck: selfcheck as JobRunner<never>,
  'dataset.physics': physicsDataset as JobRunner<never>,
  'gns.train': gnsTrain as JobRunner<never>,
  'outcome.train': outcomeTrain as JobRunner<never>,
  optimize: optimizeJob as JobRunner<never>,
  'dataset.optimization': optimizationDataset as JobRunner<never>,
  'diffusion.train': diffusionTrain as JobRunner<never>,
  sample: sampleJob as JobRunner<never>,
};
