import { afterEach, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src-shared/api';
import { Workbench } from '../../src-main/engine/workbench';
import { FIXTURE_KINDS, WORKER_ENTRY, deadPid, tempDir, testWorkbench } from './helpers';

// Test kinds (test/fixtures/test-job-kinds.ts) are not in the API's JobKind enum on purpose.
const kind = (k: string) => k as never;

describe('job runner', () => {
  let t: ReturnType<typeof testWorkbench>;
  afterEach(() => t?.dispose());

  function updates(): JobInfo[] {
    const seen: JobInfo[] = [];
    t.wb.events.on((event, payload) => {
      if (event === 'job.updated') seen.push(payload as JobInfo);
    });
    return seen;
  }

  it('streams progress and keeps the job row current until it succeeds', async () => {
    t = testWorkbench();
    const seen = updates();
    const job = t.wb.jobs.start(kind('steps'), { steps: 5, stepMs: 150 }, null);
    const done = await t.wb.jobs.whenFinished(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.progress).toBe(1);
    expect(done.result).toEqual({ steps: 5 });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt!);
    const statuses = seen.map((j) => j.status);
    expect(statuses[0]).toBe('queued');
    expect(statuses).toContain('running');
    const running = seen.filter((j) => j.status === 'running' && j.progress > 0).map((j) => j.progress);
    expect(running.length).toBeGreaterThanOrEqual(3);
    expect([...running].sort((a, b) => a - b)).toEqual(running);
    expect(t.wb.jobStore.get(job.id).status).toBe('succeeded');
  });

  it('coalesces a burst of live events to about one per progress interval, the counts summed and the last point delivered before the job ends', async () => {
    t = testWorkbench();
    const points: number[] = [];
    let added = 0;
    let endedBeforeLast = false;
    let ended = false;
    t.wb.events.on((event, payload) => {
      if (event === 'run.progress') {
        points.push((payload as { queries: number }).queries);
        if (ended) endedBeforeLast = true;
      }
      if (event === 'queries.added') added += (payload as { count: number }).count;
      if (event === 'job.updated' && (payload as JobInfo).status === 'succeeded') ended = true;
    });
    const t0 = Date.now();
    const job = t.wb.jobs.start(kind('burst'), { events: 3000, projectId: 1 }, null);
    await t.wb.jobs.whenFinished(job.id);
    const seconds = (Date.now() - t0) / 1000;
    expect(added).toBe(6000);
    expect(points.at(-1)).toBe(3000);
    expect(endedBeforeLast).toBe(false);
    // 3,000 points made in well under a second arrive as about one per 100 ms
    expect(points.length).toBeLessThanOrEqual(Math.ceil(seconds * 10) + 2);
    expect([...points].sort((a, b) => a - b)).toEqual(points);
  });

  it('survives a jobs-table write that fails: the error is logged and the job goes on', async () => {
    t = testWorkbench();
    const store = t.wb.jobStore;
    const progress = store.progress.bind(store);
    let failures = 0;
    store.progress = (...args: Parameters<typeof progress>) => {
      if (failures++ === 0) throw new Error('SQLITE_FULL: database or disk is full');
      progress(...args);
    };
    const job = t.wb.jobs.start(kind('steps'), { steps: 4, stepMs: 150 }, null);
    const done = await t.wb.jobs.whenFinished(job.id);
    expect(failures).toBeGreaterThan(1);
    expect(done.status).toBe('succeeded');
    const next = t.wb.jobs.start(kind('steps'), { steps: 1, stepMs: 1 }, null);
    expect((await t.wb.jobs.whenFinished(next.id)).status).toBe('succeeded');
  });

  it('cancels a running job at its next check', async () => {
    t = testWorkbench();
    const job = t.wb.jobs.start(kind('steps'), { steps: 100, stepMs: 50 }, null);
    await new Promise((r) => setTimeout(r, 400));
    t.wb.jobs.cancel(job.id);
    const done = await t.wb.jobs.whenFinished(job.id);
    expect(done.status).toBe('cancelled');
    expect(done.progress).toBeLessThan(1);
  });

  it('stops a job that ignores cancellation by terminating its worker, and the pool goes on', async () => {
    t = testWorkbench({ jobs: { cancelGraceMs: 300 } });
    const job = t.wb.jobs.start(kind('stubborn'), { ms: 20_000 }, null);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    t.wb.jobs.cancel(job.id);
    const done = await t.wb.jobs.whenFinished(job.id);
    expect(done.status).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(5000);
    const next = t.wb.jobs.start(kind('steps'), { steps: 1, stepMs: 1 }, null);
    expect((await t.wb.jobs.whenFinished(next.id)).status).toBe('succeeded');
  });

  it('cancels a queued job without running it', async () => {
    t = testWorkbench({ jobs: { size: 1 } });
    const first = t.wb.jobs.start(kind('steps'), { steps: 4, stepMs: 100 }, null);
    const second = t.wb.jobs.start(kind('steps'), { steps: 1, stepMs: 1 }, null);
    expect(t.wb.jobStore.get(second.id).status).toBe('queued');
    expect(t.wb.jobs.cancel(second.id).status).toBe('cancelled');
    expect((await t.wb.jobs.whenFinished(first.id)).status).toBe('succeeded');
    expect(t.wb.jobStore.get(second.id).startedAt).toBeNull();
  });

  it.each([
    ['throws', /deliberate failure in the job/],
    ['crashes', /The job crashed: uncaught crash in the worker/],
    ['exits', /stopped unexpectedly \(exit code 7\)/],
  ])('marks a job that %s as failed with the error, and keeps serving', async (k, message) => {
    t = testWorkbench();
    const job = t.wb.jobs.start(kind(k), {}, null);
    const done = await t.wb.jobs.whenFinished(job.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(message);
    const next = t.wb.jobs.start(kind('steps'), { steps: 1, stepMs: 1 }, null);
    expect((await t.wb.jobs.whenFinished(next.id)).status).toBe('succeeded');
  });

  it('runs at most pool-size jobs at once', async () => {
    t = testWorkbench({ jobs: { size: 2 } });
    let maxRunning = 0;
    t.wb.events.on(() => {
      maxRunning = Math.max(maxRunning, t.wb.jobStore.list({ statuses: ['running'] }).length);
    });
    const jobs = [0, 1, 2, 3].map(() => t.wb.jobs.start(kind('steps'), { steps: 3, stepMs: 60 }, null));
    const done = await Promise.all(jobs.map((j) => t.wb.jobs.whenFinished(j.id)));
    expect(done.every((j) => j.status === 'succeeded')).toBe(true);
    expect(maxRunning).toBe(2);
  });

  it('gives workers their own database connection', async () => {
    t = testWorkbench();
    const job = t.wb.jobs.start(kind('writes'), {}, null);
    expect((await t.wb.jobs.whenFinished(job.id)).status).toBe('succeeded');
    expect(t.wb.db.prepare("SELECT value FROM meta WHERE key = 'worker-wrote'").get()).toEqual({ value: 'yes' });
  });

  it('runs the real self-check job on the TF.js backend in a worker', async () => {
    t = testWorkbench();
    const job = t.wb.jobs.start('selfcheck', { matmulSize: 64, repeats: 3 }, null);
    const done = await t.wb.jobs.whenFinished(job.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.result).toMatchObject({ integrity: 'ok', matmulSize: 64 });
    expect(['tensorflow', 'wasm']).toContain((done.result as { backend: string }).backend);
  });

  it('cancels a project\'s running jobs when the project is deleted', async () => {
    t = testWorkbench();
    const p = t.wb.projects.create({ name: 'P', environment: 'fluidtool-2d', settings: {} });
    const job = t.wb.jobs.start(kind('steps'), { steps: 200, stepMs: 50 }, p.id);
    await new Promise((r) => setTimeout(r, 200));
    await t.wb.deleteProject(p.id);
    expect(t.wb.jobStore.find(job.id)).toBeNull();
    expect(t.wb.jobs.running).toBe(0);
  });
});

describe('restart', () => {
  it('marks jobs that were queued or running as interrupted', async () => {
    const dir = tempDir();
    const first = new Workbench({ dataDir: dir.path, mode: 'cli', jobs: { entry: WORKER_ENTRY, extraKindsModule: FIXTURE_KINDS } });
    const running = first.jobs.start(kind('steps'), { steps: 1000, stepMs: 50 }, null);
    await new Promise((r) => setTimeout(r, 300));
    expect(first.jobStore.get(running.id).status).toBe('running');
    // simulate a killed process: its workers die with it and the row stays "running". The
    // workers go first, so no late progress message reaches a closed database.
    await first.jobs.close();
    expect(first.jobStore.get(running.id).status).toBe('running');
    // and its owner row names a process that is gone (a pid that has exited)
    first.db.prepare('UPDATE owners SET pid = ? WHERE token = ?').run(deadPid(), first.ownership.token);
    first.db.close();
    const second = new Workbench({ dataDir: dir.path, mode: 'cli' });
    expect(second.interruptedJobs).toEqual([running.id]);
    const job = second.jobStore.get(running.id);
    expect(job.status).toBe('interrupted');
    expect(job.error).toMatch(/stopped while this job was running/);
    await second.close();
    dir.remove();
  });
});
