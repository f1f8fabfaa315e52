// Malformed API calls, generated from a valid call per method: each must be refused with an
// error that names what is wrong, write nothing, and leave the workbench answering. The same
// boundary serves IPC, browser mode and the CLI (dispatch); browser mode's own HTTP layer
// (percent-encoding, UTF-8, body size, nesting) is fuzzed through a real server at the end.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch, MAX_ARGUMENT_DEPTH } from '../../src-main/api/dispatch';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server';
import { JobKind, methods, type MethodName } from '../../src-shared/api';
import type { ApiEnvelope, ApiErrorPayload } from '../../src-shared/errors';
import { testWorkbench } from './helpers';

type Kind = 'id' | 'int' | 'number' | 'string' | 'name' | 'enum' | 'bool' | 'designs' | 'object' | 'base64';

/** Values that no field of that kind accepts, whatever its bounds. */
const BAD: Record<Kind, [string, unknown][]> = {
  id: [['a string', '1'], ['null', null], ['an array', [1]], ['an object', {}], ['a boolean', true], ['zero', 0], ['a negative', -3], ['a fraction', 1.5], ['NaN', Number.NaN], ['infinity', Number.POSITIVE_INFINITY]],
  int: [['a string', '10'], ['null', null], ['an array', []], ['a fraction', 2.5], ['NaN', Number.NaN], ['infinity', Number.POSITIVE_INFINITY], ['a huge number', 1e300]],
  number: [['a string', '0.1'], ['null', null], ['an object', {}], ['NaN', Number.NaN], ['infinity', Number.NEGATIVE_INFINITY]],
  string: [['a number', 7], ['null', null], ['an array', ['x']], ['an object', {}], ['a boolean', false], ['blank', '   '], ['too long', 'x'.repeat(5000)]],
  name: [['a number', 7], ['null', null], ['an array', ['x']], ['blank', ''], ['spaces', '  \t '], ['too long', 'n'.repeat(300)]],
  enum: [['an unknown value', 'no-such-value'], ['a number', 1], ['null', null], ['an array', ['csv']], ['an object', {}]],
  bool: [['a string', 'true'], ['a number', 1], ['null', null], ['an array', [true]]],
  designs: [['a string', '0,0'], ['null', null], ['an object', { 0: 0 }], ['an empty array', []], ['text entries', ['a', 'b']], ['NaN entries', [Number.NaN, 0]], ['infinite entries', [0, Number.POSITIVE_INFINITY]], ['null entries', [null, 0]], ['nested arrays', [[0], [0]]], ['too many entries', new Array(5000).fill(0)]],
  object: [['a string', 'x'], ['a number', 3], ['null', null], ['an array', [1, 2]], ['a boolean', true]],
  base64: [['a number', 1], ['null', null], ['an empty string', ''], ['an array', ['AAAA']], ['an object', {}]],
};

/** A valid call per method (ids of objects that exist are filled in), the kind of each field, and which fields are required. */
function calls(p: { projectId: number }): Partial<Record<MethodName, { args: Record<string, unknown>; kinds: Record<string, Kind>; required: string[] }>> {
  const { projectId } = p;
  return {
    'projects.get': { args: { id: projectId }, kinds: { id: 'id' }, required: ['id'] },
    'projects.create': { args: { name: 'Fuzz', environment: 'fluidtool-2d', settings: { joints: 8 } }, kinds: { name: 'name', environment: 'enum', settings: 'object' }, required: ['name'] },
    'projects.rename': { args: { id: projectId, name: 'Renamed' }, kinds: { id: 'id', name: 'name' }, required: ['id', 'name'] },
    'projects.delete': { args: { id: projectId }, kinds: { id: 'id' }, required: ['id'] },
    'jobs.list': { args: { projectId, limit: 10 }, kinds: { projectId: 'id', limit: 'int' }, required: [] },
    'jobs.start': { args: { kind: 'selfcheck', params: {} }, kinds: { kind: 'enum', projectId: 'id', params: 'object' }, required: ['kind'] },
    'jobs.cancel': { args: { id: 1 }, kinds: { id: 'id' }, required: ['id'] },
    'simulate.run': {
      args: { projectId, design: [0, 0, 0, 0, 0, 0, 0, 0], task: [0.6, 0.07], simulator: 'ground_truth', method: 'manual', run: 'r' },
      kinds: { projectId: 'id', design: 'designs', task: 'designs', simulator: 'enum', modelId: 'id', method: 'string', run: 'string' },
      required: ['projectId', 'design'],
    },
    'queries.list': {
      args: { projectId, limit: 5, offset: 0, sort: 'cost', method: 'cem', simulator: 'ground_truth', costMax: 1, hasOutcome: true, task: { x: 0.5, y: 0.1 } },
      kinds: { projectId: 'id', limit: 'int', offset: 'int', sort: 'enum', method: 'string', simulator: 'enum', costMax: 'number', hasOutcome: 'bool', task: 'object' },
      required: ['projectId'],
    },
    'simulate.replay': { args: { projectId, queryId: 1 }, kinds: { projectId: 'id', queryId: 'id' }, required: ['projectId', 'queryId'] },
    'queries.methods': { args: { projectId }, kinds: { projectId: 'id' }, required: ['projectId'] },
    'queries.points': { args: { projectId, jobId: 1, limit: 10 }, kinds: { projectId: 'id', jobId: 'id', limit: 'int' }, required: ['projectId'] },
    'queries.get': { args: { projectId, id: 1 }, kinds: { projectId: 'id', id: 'id' }, required: ['projectId', 'id'] },
    'queries.stored': { args: { projectId, task: [0.5, 0.07], count: 5, upToQueryId: 10 }, kinds: { projectId: 'id', task: 'designs', count: 'int', upToQueryId: 'int' }, required: ['projectId', 'task'] },
    'runs.notes': { args: { projectId }, kinds: { projectId: 'id' }, required: ['projectId'] },
    // name and note are nullable (null clears one), so only their absence and their type are fuzzed here; lengths in runs.test.ts
    'runs.annotate': { args: { jobId: 1, name: 'n', note: 'a note' }, kinds: { jobId: 'id' }, required: ['jobId', 'name', 'note'] },
    'datasets.list': { args: { projectId }, kinds: { projectId: 'id' }, required: ['projectId'] },
    'datasets.delete': { args: { id: 1 }, kinds: { id: 'id' }, required: ['id'] },
    'datasets.importPhysics': { args: { projectId, name: 'n', npzBase64: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==', fileName: 'a.npz' }, kinds: { projectId: 'id', name: 'name', npzBase64: 'base64', fileName: 'name' }, required: ['projectId', 'name', 'npzBase64'] },
    'datasets.exportPhysics': { args: { id: 1 }, kinds: { id: 'id' }, required: ['id'] },
    'datasets.previewImport': { args: { projectId, source: { fileName: 'a.csv', base64: 'YSxiCjEsMgo=' }, format: 'csv' }, kinds: { projectId: 'id', source: 'object', format: 'enum' }, required: ['projectId', 'source'] },
    'datasets.importOptimization': { args: { projectId, name: 'n', source: { fileName: 'a.csv', base64: 'YSxiCjEsMgo=' }, format: 'csv' }, kinds: { projectId: 'id', name: 'name', source: 'object', format: 'enum', mapping: 'object' }, required: ['projectId', 'name', 'source'] },
    'designs.list': { args: { projectId, jobId: 1, run: 'r', method: 'cem', limit: 10 }, kinds: { projectId: 'id', jobId: 'id', run: 'string', method: 'string', limit: 'int' }, required: ['projectId'] },
    'designs.export': {
      args: { projectId, from: 'queries', topK: 5, perTask: false, method: 'cem', format: 'csv' },
      kinds: { projectId: 'id', from: 'enum', datasetId: 'id', jobId: 'id', run: 'string', topK: 'int', perTask: 'bool', method: 'string', ids: 'designs', format: 'enum' },
      required: ['projectId'],
    },
    'datasets.exportOptimization': { args: { id: 1, format: 'csv' }, kinds: { id: 'id', format: 'enum' }, required: ['id'] },
    'datasets.runCurves': { args: { id: 1, maxRuns: 5 }, kinds: { id: 'id', maxRuns: 'int' }, required: ['id'] },
    'models.list': { args: { projectId, kind: 'diffusion' }, kinds: { projectId: 'id', kind: 'enum' }, required: ['projectId'] },
    'models.get': { args: { id: 1 }, kinds: { id: 'id' }, required: ['id'] },
    'models.delete': { args: { id: 1 }, kinds: { id: 'id' }, required: ['id'] },
    'models.exportOnnx': { args: { id: 1 }, kinds: { id: 'id' }, required: ['id'] },
    'benchmarks.get': { args: { name: 'paper' }, kinds: { name: 'enum' }, required: ['name'] },
    'outcome.calibrate': { args: { projectId, hidden: [16], batchSize: 8 }, kinds: { projectId: 'id', hidden: 'designs', batchSize: 'int' }, required: ['projectId', 'hidden', 'batchSize'] },
    'diffusion.calibrate': { args: { projectId, width: 16, blocks: 1, batchSize: 8, conditional: true }, kinds: { projectId: 'id', width: 'int', blocks: 'int', batchSize: 'int', conditional: 'bool' }, required: ['projectId', 'width', 'blocks', 'batchSize'] },
    'queue.configure': { args: { redisUrl: 'redis://127.0.0.1:1' }, kinds: { redisUrl: 'string' }, required: ['redisUrl'] },
  };
}

interface Case {
  label: string;
  method: string;
  args: unknown;
  /** the error codes that fit */
  codes: string[];
  /** what the message or an issue path must say */
  names: RegExp;
}

function deep(levels: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

function cases(projectId: number): Case[] {
  const out: Case[] = [];
  const table = calls({ projectId });
  for (const [method, spec] of Object.entries(table)) {
    for (const [key, kind] of Object.entries(spec.kinds)) {
      for (const [what, value] of BAD[kind]) {
        out.push({ label: `${method} ${key} = ${what}`, method, args: { ...spec.args, [key]: value }, codes: ['invalid_argument'], names: new RegExp(`\\b${key}\\b`) });
      }
    }
    for (const key of spec.required) {
      const { [key]: _gone, ...rest } = spec.args;
      out.push({ label: `${method} without ${key}`, method, args: rest, codes: ['invalid_argument'], names: new RegExp(`\\b${key}\\b`) });
    }
    out.push({ label: `${method} with an unknown key`, method, args: { ...spec.args, bogusKey: 1 }, codes: ['invalid_argument'], names: /bogusKey/ });
    for (const [what, value] of [['a string', 'x'], ['a number', 5], ['an array', [1]], ['a boolean', true]] as const) {
      out.push({ label: `${method} with ${what} for arguments`, method, args: value, codes: ['invalid_argument'], names: /arguments/ });
    }
    out.push({ label: `${method} nested 100,000 levels deep`, method, args: { ...spec.args, deep: deep(100_000) }, codes: ['invalid_argument'], names: new RegExp(`deeper than ${MAX_ARGUMENT_DEPTH}`) });
    // ids of the right type that name nothing
    for (const [key, kind] of Object.entries(spec.kinds)) {
      if (kind !== 'id' || !(key in spec.args) || method === 'jobs.list') continue;
      out.push({ label: `${method} ${key} that names nothing`, method, args: { ...spec.args, [key]: 987_654 }, codes: ['not_found'], names: /987654/ });
    }
  }
  for (const method of ['no.such', 'projects', '', 'projects.list.x', '__proto__', 'constructor', 'toString']) {
    out.push({ label: `unknown method "${method}"`, method, args: {}, codes: ['unknown_method'], names: new RegExp(`"${method.replace(/[.]/g, '\\.')}"`) });
  }
  // a job's parameters are checked against its kind before any row is written
  for (const kind of JobKind.options) {
    if (kind === 'selfcheck') continue;
    out.push({ label: `jobs.start ${kind} with an unknown parameter`, method: 'jobs.start', args: { kind, projectId, params: { bogusParam: 1 } }, codes: ['invalid_argument'], names: /bogusParam/ });
    out.push({ label: `jobs.start ${kind} without a project`, method: 'jobs.start', args: { kind, params: {} }, codes: ['invalid_argument'], names: /projectId|params/ });
    out.push({ label: `jobs.start ${kind} with a seed of text`, method: 'jobs.start', args: { kind, projectId, params: { seed: 'one' } }, codes: ['invalid_argument'], names: /params\.(seed|\w+)/ });
  }
  out.push({ label: 'dataset.physics with 3 states per frame', method: 'jobs.start', args: { kind: 'dataset.physics', projectId, params: { count: 4, stepsPerFrame: 3 } }, codes: ['invalid_argument'], names: /stepsPerFrame|states per frame/ });
  out.push({ label: 'datasets.previewImport of a path over the API', method: 'datasets.previewImport', args: { projectId, source: { path: '/etc/passwd' }, format: 'csv' }, codes: ['invalid_argument'], names: /source\.path/ });
  out.push({ label: 'datasets.importOptimization of a path over the API', method: 'datasets.importOptimization', args: { projectId, name: 'x', source: { path: '/etc/hostname' }, format: 'csv' }, codes: ['invalid_argument'], names: /source\.path/ });
  return out;
}

const TABLES = ['projects', 'jobs', 'datasets', 'simulator_queries', 'models', 'designs', 'run_notes'];

describe('malformed API calls', () => {
  let t: ReturnType<typeof testWorkbench>;
  let projectId: number;
  let call: (method: string, args: unknown) => Promise<ApiEnvelope<unknown>>;
  beforeAll(() => {
    t = testWorkbench();
    projectId = t.wb.projects.create({ name: 'Target', environment: 'fluidtool-2d', settings: {} }).id;
    const handlers = createHandlers(t.wb);
    call = (m, a) => dispatch(handlers, m, a);
  });
  afterAll(() => t.dispose());

  const counts = (): Record<string, number> =>
    Object.fromEntries(TABLES.map((name) => [name, (t.wb.db.prepare(`SELECT COUNT(*) AS n FROM ${name}`).get() as { n: number }).n]));

  it('covers every method of the contract', () => {
    const covered = new Set(Object.keys(calls({ projectId: 1 })));
    const withArgs = Object.keys(methods).filter((m) => !['app.ping', 'app.capabilities', 'projects.list', 'queue.status', 'queue.disable'].includes(m));
    expect(withArgs.filter((m) => !covered.has(m))).toEqual([]);
  });

  it('refuses at least 300 malformed calls, each with an error that names the problem, and writes nothing', async () => {
    const all = cases(projectId);
    expect(all.length).toBeGreaterThanOrEqual(300);
    const before = counts();
    const wrong: string[] = [];
    for (const c of all) {
      const e = await call(c.method, c.args);
      if (e.ok) {
        wrong.push(`${c.label}: accepted`);
        continue;
      }
      const error: ApiErrorPayload = e.error;
      const said = `${error.message} ${(error.issues ?? []).map((i) => `${i.path}: ${i.message}`).join(' ')}`;
      if (!c.codes.includes(error.code)) wrong.push(`${c.label}: code ${error.code} (${said.slice(0, 160)})`);
      else if (!c.names.test(said)) wrong.push(`${c.label}: does not name it (${said.slice(0, 200)})`);
      else if (error.code === 'internal' || /RangeError|TypeError|at .*\.ts:\d+/.test(said)) wrong.push(`${c.label}: internal error (${said.slice(0, 160)})`);
    }
    expect(wrong).toEqual([]);
    expect(counts()).toEqual(before);
    expect(t.wb.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((await call('app.ping', {})).ok).toBe(true);
    expect((await call('projects.get', { id: projectId })).ok).toBe(true);
  }, 60_000);
});

interface Reply {
  status: number;
  body: string;
}

function http(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

describe('malformed requests to browser mode', () => {
  let t: ReturnType<typeof testWorkbench>;
  let server: BrowserServer;
  beforeAll(async () => {
    t = testWorkbench();
    t.wb.projects.create({ name: 'Target', environment: 'fluidtool-2d', settings: {} });
    const handlers = createHandlers(t.wb);
    server = await startBrowserServer({ dispatch: (m, a) => dispatch(handlers, m, a), events: t.wb.events, staticDir: t.dir });
  });
  afterAll(async () => {
    await server.close();
    await t.dispose();
  });
  const post = (path: string, body: Buffer | string): Promise<Reply> =>
    http(server.port, path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-idw-token': server.token }, body });

  it('answers 400 with a message for bad percent-encoding, invalid UTF-8, deep nesting and paths, and stays up', async () => {
    const cookie = { cookie: `idw_token=${server.token}` };
    for (const path of ['/%', '/%E0%A4%A', '/assets/%zz.js', '/%C0%AF']) {
      const r = await http(server.port, path, { headers: cookie });
      expect(r.status, path).toBe(400);
      expect(r.body).toMatch(/percent-encoding/);
    }
    for (const path of ['/api/%', '/api/%E0%A4%A', '/api/projects.%']) {
      const r = await post(path, '{}');
      expect(r.status, path).toBe(400);
      expect(JSON.parse(r.body).error.message).toMatch(/percent-encoding/);
    }
    // a name in Latin-1 bytes, not UTF-8: refused, not replaced by U+FFFD
    const latin1 = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xe9, 0xe8]), Buffer.from('"}')]);
    const bad = await post('/api/projects.create', latin1);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toMatch(/not valid UTF-8/);
    const deepBody = `{"name":"x","deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const nested = await post('/api/projects.create', deepBody);
    expect(nested.status).toBe(400);
    expect(JSON.parse(nested.body).error.message).toMatch(/deeper than/);
    const path = await post('/api/datasets.previewImport', JSON.stringify({ projectId: 1, source: { path: '/etc/passwd' }, format: 'csv' }));
    expect(path.status).toBe(400);
    expect(path.body).not.toMatch(/root:/);
    expect(JSON.parse(path.body).error.message).toMatch(/command line only/);
    const names = (JSON.parse((await post('/api/projects.list', '{}')).body) as { result: { name: string }[] }).result.map((p) => p.name);
    expect(names).toEqual(['Target']);
    expect(t.wb.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
