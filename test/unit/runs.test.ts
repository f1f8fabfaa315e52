// Runs' names and notes (run_notes, runs.annotate / runs.notes) and the queries of a run or a
// project as columns (queries.points), through the API boundary.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { openDatabase } from '../../src-main/engine/storage/database';
import type { QueryPoints, RunNote } from '../../src-shared/api';
import type { ApiEnvelope } from '../../src-shared/errors';
import { countRows, err, ok, testWorkbench } from './helpers';

describe('run names and notes', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  let runJob: number;
  beforeEach(() => {
    t = testWorkbench();
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
    projectId = t.wb.projects.create({ name: 'R', environment: 'fluidtool-2d', settings: {} }).id;
    runJob = t.wb.jobStore.create('optimize', { optimizer: 'cem', budget: 16 }, projectId).id;
  });
  afterEach(() => t.dispose());

  it('stores a name and a note, trims them, lists them by project, and clears them', async () => {
    const saved = ok<RunNote>(await call('runs.annotate', { jobId: runJob, name: '  wide tool  ', note: 'the one to show\nsecond line' }));
    expect(saved).toMatchObject({ jobId: runJob, projectId, name: 'wide tool', note: 'the one to show\nsecond line' });
    expect(ok<RunNote[]>(await call('runs.notes', { projectId }))).toEqual([saved]);
    // a blank name clears it and keeps the note
    expect(ok<RunNote>(await call('runs.annotate', { jobId: runJob, name: '   ', note: 'kept' }))).toMatchObject({ name: null, note: 'kept' });
    // both cleared: no row left
    ok(await call('runs.annotate', { jobId: runJob, name: null, note: null }));
    expect(countRows(t.wb, 'run_notes')).toBe(0);
  });

  it('refuses a job that is not a run, a name too long, and a job that does not exist, writing nothing', async () => {
    const selfcheck = t.wb.jobStore.create('selfcheck', {}, null).id;
    expect(err(await call('runs.annotate', { jobId: selfcheck, name: 'x', note: null })).message).toMatch(/selfcheck job, not a run/);
    const long = err(await call('runs.annotate', { jobId: runJob, name: 'n'.repeat(101), note: null }));
    expect(long.message).toMatch(/name: must be at most 100 characters/);
    expect(err(await call('runs.annotate', { jobId: 987_654, name: 'x', note: null })).code).toBe('not_found');
    expect(countRows(t.wb, 'run_notes')).toBe(0);
  });

  it('goes with its project', async () => {
    ok(await call('runs.annotate', { jobId: runJob, name: 'gone soon', note: null }));
    ok(await call('projects.delete', { id: projectId }));
    expect(countRows(t.wb, 'run_notes')).toBe(0);
  });

  it('survives reopening the database (notes are stored, not kept in memory)', async () => {
    ok(await call('runs.annotate', { jobId: runJob, name: 'kept', note: 'across restarts' }));
    const path = t.wb.db.name;
    const db = openDatabase(path);
    try {
      expect(db.prepare('SELECT name, note FROM run_notes WHERE job_id = ?').get(runJob)).toEqual({ name: 'kept', note: 'across restarts' });
    } finally {
      db.close();
    }
  });
});

describe('queries.points', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  beforeEach(() => {
    t = testWorkbench();
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
    projectId = t.wb.projects.create({ name: 'P', environment: 'fluidtool-2d', settings: {} }).id;
  });
  afterEach(() => t.dispose());

  function record(run: string | null, method: string, cost: number, first: number): void {
    t.wb.queries.record([{ projectId, design: Array.from({ length: 8 }, (_, j) => (first + j) / 10 - 0.5), task: [0.6, 0.07], simulator: 'ground_truth', cost, wallMs: 1, method, run }]);
  }

  it("returns a run's queries (Adam's restarts included, another job's not), oldest first, and the project's", async () => {
    const adam = t.wb.jobStore.create('optimize', { optimizer: 'adam', budget: 8 }, projectId).id;
    const other = t.wb.jobStore.create('optimize', { optimizer: 'adam', budget: 8 }, projectId).id;
    record(`adam-${adam}-restart-1`, 'adam', 0.3, 0);
    record(`adam-${other}`, 'adam', 0.9, 1);
    record(`adam-${adam}-restart-2`, 'adam', 0.2, 2);
    record(`adam-${adam}1`, 'adam', 0.8, 3); // a job id that only starts like this one's
    record(null, 'manual', 0.5, 4);
    const run = ok<QueryPoints>(await call('queries.points', { projectId, jobId: adam }));
    expect(run.total).toBe(2);
    expect(run.costs).toEqual([0.3, 0.2]);
    expect(run.designs[1]![0]).toBeCloseTo(-0.3, 6);
    expect(run.designs[1]).toHaveLength(8);
    const all = ok<QueryPoints>(await call('queries.points', { projectId, limit: 2 }));
    expect(all.total).toBe(5);
    // the newest two, oldest first
    expect(all.costs).toEqual([0.8, 0.5]);
    expect(all.methods).toEqual(['adam', 'manual']);
    expect(all.ids[0]! < all.ids[1]!).toBe(true);
  });

  it("names a sample job's run by its sampling method", async () => {
    const job = t.wb.jobStore.create('sample', { conditional: { enabled: true }, particles: { enabled: true } }, projectId).id;
    record(`ddm+cond+ps-${job}`, 'ddm+cond+ps', 0.1, 0);
    record(`ddm-${job}`, 'ddm', 0.4, 0);
    expect(ok<QueryPoints>(await call('queries.points', { projectId, jobId: job })).costs).toEqual([0.1]);
  });

  it('queries.get returns one query of the project, and refuses one of another project', async () => {
    record('r', 'manual', 0.25, 0);
    const [id] = ok<QueryPoints>(await call('queries.points', { projectId })).ids;
    expect(ok<{ id: number; cost: number }>(await call('queries.get', { projectId, id }))).toMatchObject({ id, cost: 0.25 });
    const other = t.wb.projects.create({ name: 'Else', environment: 'fluidtool-2d', settings: {} }).id;
    expect(err(await call('queries.get', { projectId: other, id: id! })).message).toMatch(`Project ${other} has no simulator query ${id}`);
  });

  it('refuses a job of another project or one that is not a run', async () => {
    const otherProject = t.wb.projects.create({ name: 'Other', environment: 'fluidtool-2d', settings: {} }).id;
    const job = t.wb.jobStore.create('optimize', { optimizer: 'cem' }, otherProject).id;
    expect(err(await call('queries.points', { projectId, jobId: job })).message).toMatch(`Project ${projectId} has no job ${job}`);
    const physics = t.wb.jobStore.create('dataset.physics', {}, projectId).id;
    expect(err(await call('queries.points', { projectId, jobId: physics })).message).toMatch(/not a run/);
  });
});
