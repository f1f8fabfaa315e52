import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { JOB_CHECKS } from '../../src-main/engine/jobs/kinds/checks';
import { JOB_KINDS } from '../../src-main/engine/jobs/kinds';
import { JobParams, type JobKind } from '../../src-shared/api';
import type { ApiEnvelope } from '../../src-shared/errors';
import { countRows, err, testWorkbench } from './helpers';

// Each job kind's request check (jobs/kinds/*.check.ts) runs in jobs.start before a job row is
// written, and again in the worker as the job starts: a job queued another way is refused with
// the same message, before its code writes anything.
describe('job request checks', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;

  beforeAll(() => {
    t = testWorkbench();
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
    projectId = t.wb.projects.create({ name: 'Checks', environment: 'fluidtool-2d', settings: { particles: 36, frames: 14, joints: 4 } }).id;
  });
  afterAll(() => t.dispose());

  it('registers every check with its kind', () => {
    for (const kind of Object.keys(JOB_KINDS) as JobKind[]) expect(JOB_KINDS[kind].check).toBe(JOB_CHECKS[kind]);
    expect(JOB_CHECKS.selfcheck).toBeUndefined();
  });

  it.each([
    ['dataset.physics', { count: 2, stepsPerFrame: 7 }, 'datasets'],
    ['diffusion.train', { datasetIds: [9999] }, 'models'],
    ['gns.train', { datasetIds: [9999] }, 'models'],
    ['outcome.train', { generate: 0 }, 'models'],
    ['sample', { count: 2 }, 'designs'],
  ] as const)('refuses a bad %s request in jobs.start and, with the same message, in a job queued directly', async (kind, params, table) => {
    const refused = err(await call('jobs.start', { kind, projectId, params }));
    expect(countRows(t.wb, 'jobs')).toBe(0);
    const job = t.wb.jobs.start(kind, JobParams[kind].parse(params), projectId);
    const done = await t.wb.jobs.whenFinished(job.id);
    expect(done.status).toBe('failed');
    expect(done.error).toBe(refused.message);
    expect(countRows(t.wb, table)).toBe(0);
    t.wb.db.prepare('DELETE FROM jobs').run();
  });
});
