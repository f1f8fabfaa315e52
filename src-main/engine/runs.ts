import type { JobInfo } from '../../src-shared/api';
import { samplingMethod } from '../../src-shared/sampling';

/** The job kinds whose work is a run: its queries name it, the Runs tab lists it. */
export const RUN_JOB_KINDS: readonly JobInfo['kind'][] = ['optimize', 'sample'];

/**
 * The run names a run's queries carry: an optimize job's `<optimizer>-<job>` (Adam's restarts add
 * `-restart-<n>`), a sample job's `<sampling method>-<job>` (jobs/kinds/optimize.ts and
 * sample.ts name them so). Null for a job that is not a run.
 */
export function runNamesOf(job: JobInfo): { exact: string[]; prefixes: string[] } | null {
  if (job.kind === 'optimize') {
    const base = `${(job.params as { optimizer?: string }).optimizer}-${job.id}`;
    return { exact: [base], prefixes: [`${base}-restart-`] };
  }
  if (job.kind === 'sample') return { exact: [`${samplingMethod(job.params as Parameters<typeof samplingMethod>[0])}-${job.id}`], prefixes: [] };
  return null;
}
