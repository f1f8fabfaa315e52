import type { JobKind } from '../../../../src-shared/api';
import type { JobCheck, JobKindDefinition, JobRunner } from '../job-context';
import { JOB_CHECKS } from './checks';
import { diffusionTrain } from './diffusion-train';
import { gnsTrain } from './gns-train';
import { optimizationDataset } from './optimization-dataset';
import { optimizeJob } from './optimize';
import { outcomeTrain } from './outcome-train';
import { physicsDataset } from './physics-dataset';
import { sampleJob } from './sample';
import { selfcheck } from './selfcheck';

const kind = <P>(run: JobRunner<P>, check?: JobCheck<never>): JobKindDefinition => ({ run: run as JobRunner<never>, check });

/** Every job kind, keyed by the kind named in the API contract: its code, and its request check (from checks.ts). */
export const JOB_KINDS: Record<JobKind, JobKindDefinition> = {
  selfcheck: kind(selfcheck),
  'dataset.physics': kind(physicsDataset, JOB_CHECKS['dataset.physics']),
  'gns.train': kind(gnsTrain, JOB_CHECKS['gns.train']),
  'outcome.train': kind(outcomeTrain, JOB_CHECKS['outcome.train']),
  optimize: kind(optimizeJob, JOB_CHECKS.optimize),
  'dataset.optimization': kind(optimizationDataset, JOB_CHECKS['dataset.optimization']),
  'diffusion.train': kind(diffusionTrain, JOB_CHECKS['diffusion.train']),
  sample: kind(sampleJob, JOB_CHECKS.sample),
};
