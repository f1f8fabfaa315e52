import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { SHIPPED_QUERY_METHOD } from '../../src-main/engine/models/shipped-outcomes';
import { Workbench } from '../../src-main/engine/workbench';
import type { ApiEnvelope } from '../../src-shared/errors';
import { countRows, tempDir, testWorkbench } from './helpers';

function error(e: ApiEnvelope<unknown>) {
  if (e.ok) throw new Error(`expected an error, got ${JSON.stringify(e.result)}`);
  return e.error;
}

describe('API boundary', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (method: string, args: unknown) => Promise<ApiEnvelope<unknown>>;
  beforeEach(() => {
    t = testWorkbench();
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
  });
  afterEach(() => t.dispose());

  const bad: [string, unknown, RegExp][] = [
    ['missing name', {}, /name: is required/],
    ['empty name', { name: '   ' }, /name: must not be empty/],
    ['name of the wrong type', { name: 42 }, /name: must be a string, got a number/],
    ['joints out of range', { name: 'p', settings: { joints: 99 } }, /settings\.joints: must be at most 32/],
    ['fractional particles', { name: 'p', settings: { particles: 10.5 } }, /settings\.particles/],
    ['NaN frames', { name: 'p', settings: { frames: Number.NaN } }, /settings\.frames: must be a number, got NaN/],
    ['Infinity radius', { name: 'p', settings: { targetRadius: Number.POSITIVE_INFINITY } }, /settings\.targetRadius/],
    ['inverted task range', { name: 'p', settings: { taskRange: { xMin: 0.8, xMax: 0.2, yMin: 0, yMax: 0.3 } } }, /xMin must be less than xMax/],
    ['unknown setting', { name: 'p', settings: { viscosity: 3 } }, /unknown field: viscosity/],
    ['unknown environment', { name: 'p', environment: 'rigid-3d' }, /environment: must be one of "fluidtool-2d"/],
    ['arguments not an object', 'hello', /must be a object|expected object|must be a/],
  ];
  it.each(bad)('projects.create refuses %s with a typed error and writes nothing', async (_label, args, message) => {
    const e = error(await call('projects.create', args));
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toMatch(message);
    expect(countRows(t.wb, 'projects')).toBe(0);
  });

  it('names the field of each problem in issues', async () => {
    const e = error(await call('projects.create', { name: '', settings: { joints: 2, frames: 1000 } }));
    expect(e.issues?.map((i) => i.path).sort()).toEqual(['name', 'settings.frames', 'settings.joints']);
  });

  it('refuses unknown methods and unknown ids', async () => {
    expect(error(await call('projects.drop', {})).code).toBe('unknown_method');
    expect(error(await call('projects.get', { id: 12345 })).code).toBe('not_found');
    expect(error(await call('projects.get', { id: -1 })).code).toBe('invalid_argument');
    expect(error(await call('projects.rename', { id: 12345, name: 'x' })).code).toBe('not_found');
  });

  it('creates, renames, lists and deletes through the API', async () => {
    const created = await call('projects.create', { name: 'Tank', settings: { joints: 6 } });
    if (!created.ok) throw new Error(created.error.message);
    const id = (created.result as { id: number }).id;
    expect(error(await call('projects.create', { name: 'tank' })).code).toBe('conflict');
    const renamed = await call('projects.rename', { id, name: 'Tank 2' });
    expect(renamed.ok && (renamed.result as { name: string }).name).toBe('Tank 2');
    const list = await call('projects.list', {});
    expect(list.ok && (list.result as unknown[]).length).toBe(1);
    expect((await call('projects.delete', { id })).ok).toBe(true);
    expect(countRows(t.wb, 'projects')).toBe(0);
  });

  it('refuses bad job parameters before a job row is written', async () => {
    const e1 = error(await call('jobs.start', { kind: 'selfcheck', params: { matmulSize: 1e9 } }));
    expect(e1.code).toBe('invalid_argument');
    expect(e1.message).toMatch(/params\.matmulSize: must be at most 2048/);
    expect(error(await call('jobs.start', { kind: 'rm -rf' })).code).toBe('invalid_argument');
    expect(error(await call('jobs.start', { kind: 'selfcheck', projectId: 777 })).code).toBe('not_found');
    expect(countRows(t.wb, 'jobs')).toBe(0);
  });

  it('emits projects.changed when projects change', async () => {
    const seen: unknown[] = [];
    t.wb.events.on((event, payload) => seen.push([event, payload]));
    await call('projects.create', { name: 'Evented' });
    expect(seen).toEqual([['projects.changed', { projectId: 1 }]]);
  });

  it('reports capabilities: TF.js backend, ONNX Runtime, SQLite, data directory', async () => {
    const r = await call('app.capabilities', {});
    if (!r.ok) throw new Error(r.error.message);
    const c = r.result as Awaited<ReturnType<Workbench['capabilities']>>;
    expect(['tensorflow', 'wasm']).toContain(c.tfjs.backend);
    expect(c.onnxruntime.executionProviders).toContain('cpu');
    expect(c.sqlite.version).toMatch(/^3\.\d+\.\d+$/);
    expect(c.dataDir).toBe(t.dir);
    expect(typeof c.electron.detail).toBe('string');
  });
});

describe('built-in project', () => {
  it('is created once on a new database and not again after the user deletes it', async () => {
    const dir = tempDir();
    const first = new Workbench({ dataDir: dir.path, mode: 'cli', seedBuiltin: true });
    const list = first.projects.list();
    expect(list.map((p) => p.name)).toEqual(['FluidTool-2D']);
    expect(list[0]!.settings.joints).toBe(8);
    // with the shipped trajectories' best designs as stored ground-truth queries, outcomes and all
    const shipped = first.queries.count(list[0]!.id, { method: SHIPPED_QUERY_METHOD, hasOutcome: true });
    expect(shipped).toBeGreaterThan(1000);
    await first.deleteProject(list[0]!.id);
    await first.close();
    const second = new Workbench({ dataDir: dir.path, mode: 'cli', seedBuiltin: true });
    expect(second.projects.list()).toEqual([]);
    await second.close();
    dir.remove();
  });

  it('a built-in project made before the shipped outcomes gets them once', async () => {
    const dir = tempDir();
    const first = new Workbench({ dataDir: dir.path, mode: 'cli', seedBuiltin: true });
    const id = first.projects.list()[0]!.id;
    const shipped = first.queries.count(id, { method: SHIPPED_QUERY_METHOD });
    // as a database from before them: no shipped queries, no mark
    first.db.prepare('DELETE FROM simulator_queries WHERE method = ?').run(SHIPPED_QUERY_METHOD);
    first.db.prepare("DELETE FROM meta WHERE key = 'builtin_stored_seeded'").run();
    await first.close();
    for (let open = 0; open < 2; open++) {
      const again = new Workbench({ dataDir: dir.path, mode: 'cli', seedBuiltin: true });
      expect(again.queries.count(id, { method: SHIPPED_QUERY_METHOD })).toBe(shipped);
      await again.close();
    }
    dir.remove();
  });
});
