import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { OptimizationDatasets } from '../../src-main/engine/datasets/trajectories';
import type { ApiEnvelope } from '../../src-shared/errors';
import type { DatasetInfo, TrajectoryPreview } from '../../src-shared/api';
import { countRows, err, ok, tempDir, testWorkbench } from './helpers';

/** the files below put their targets anywhere in the lower box, wider than the default range */
const WIDE_TASKS = { xMin: 0.15, xMax: 0.85, yMin: 0.05, yMax: 0.35 };

const FIXTURES = join(__dirname, '..', 'fixtures', 'trajectories');
const fixture = (name: string): string => join(FIXTURES, name);


describe('optimization trajectory import', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  let store: OptimizationDatasets;
  beforeEach(() => {
    t = testWorkbench();
    const handlers = createHandlers(t.wb, { filePaths: true }); // paths as the CLI sends them
    call = (m, a) => dispatch(handlers, m, a);
    // 4 joints: designs are 4 numbers; default task range x 0.15–0.85, y 0.05–0.35
    projectId = t.wb.projects.create({ name: 'Traj', environment: 'fluidtool-2d', settings: { joints: 4, taskRange: WIDE_TASKS } }).id;
    store = new OptimizationDatasets(t.wb.db);
  });
  afterEach(() => t.dispose());

  const importFile = (file: string, extra: Record<string, unknown> = {}) =>
    call('datasets.importOptimization', { projectId, name: file, source: { path: fixture(file) }, ...extra });

  it('previews a CSV: columns, first rows and the detected mapping', async () => {
    const p = ok<TrajectoryPreview>(await call('datasets.previewImport', { projectId, source: { path: fixture('good.csv') } }));
    expect(p.format).toBe('csv');
    expect(p.columns).toEqual(['run', 'optimizer', 'iteration', 'task_x', 'task_y', 'x0', 'x1', 'x2', 'x3', 'cost']);
    expect(p.rows).toHaveLength(6);
    expect(p.rows[5]![0]).toBe('b, "2"');
    expect(p.mapping).toEqual({ run: 'run', optimizer: 'optimizer', iteration: 'iteration', cost: 'cost', task: ['task_x', 'task_y'], design: ['x0', 'x1', 'x2', 'x3'] });
    expect(p.problems).toEqual([]);
  });

  it('preview lists problems with their row and column, and no mapping when a field is missing', async () => {
    const bad = ok<TrajectoryPreview>(await call('datasets.previewImport', { projectId, source: { path: fixture('out-of-bounds.csv') } }));
    expect(bad.problems).toEqual([{ row: 2, column: 'x2', message: 'value 1.5 is outside [-1, 1] (designs are normalized)' }]);
    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, 'nocost.csv'), 'tx,ty,x0,x1,x2,x3\n0.5,0.2,0,0,0,0\n');
      const p = ok<TrajectoryPreview>(await call('datasets.previewImport', { projectId, source: { path: join(dir.path, 'nocost.csv') } }));
      expect(p.mapping).toBeNull();
      expect(p.problems.map((x) => x.message).join(' ')).toMatch(/no cost column/);
    } finally {
      dir.remove();
    }
  });

  it('gives each run its cost against iteration: the cheapest record of each iteration, runs in the order written, long runs thinned', async () => {
    const dir = tempDir();
    try {
      // run "b" first, a population of 3 per iteration; run "a" 1,000 iterations of one record
      const lines = ['run,iteration,tx,ty,x0,x1,x2,x3,cost'];
      for (let it = 0; it < 4; it++) for (let k = 0; k < 3; k++) lines.push(`b,${it},0.5,0.1,0,0,0,0,${1 - it * 0.1 + k * 0.01}`);
      for (let it = 0; it < 1000; it++) lines.push(`a,${it},0.5,0.1,0,0,0,0,${it === 777 ? 0.001 : 0.5 + Math.sin(it) / 10}`);
      writeFileSync(join(dir.path, 'runs.csv'), `${lines.join('\n')}\n`);
      const ds = ok<DatasetInfo>(await call('datasets.importOptimization', { projectId, name: 'runs', source: { path: join(dir.path, 'runs.csv') } }));
      type Curves = { totalRuns: number; runs: { run: string; optimizer: string; records: number; best: number; iterations: number; points: [number, number][] }[] };
      const curves = ok<Curves>(await call('datasets.runCurves', { id: ds.id }));
      expect(curves.totalRuns).toBe(2);
      expect(curves.runs.map((r) => [r.run, r.records, r.iterations])).toEqual([
        ['b', 12, 4],
        ['a', 1000, 1000],
      ]);
      expect(curves.runs[0]!.points.map(([i, c]) => [i, Number(c.toFixed(6))])).toEqual([
        [0, 1],
        [1, 0.9],
        [2, 0.8],
        [3, 0.7],
      ]);
      const a = curves.runs[1]!;
      expect(a.points.length).toBeLessThanOrEqual(403);
      expect(a.points[0]![0]).toBe(0);
      expect(a.points.at(-1)![0]).toBe(999);
      expect(a.points).toContainEqual([777, expect.closeTo(0.001, 6)]);
      expect(a.best).toBeCloseTo(0.001, 6);
      expect(a.points.map((p) => p[0])).toEqual([...a.points.map((p) => p[0])].sort((x, y) => x - y));
      expect(ok<Curves>(await call('datasets.runCurves', { id: ds.id, maxRuns: 1 })).runs.map((r) => r.run)).toEqual(['b']);
      const missing = await call('datasets.runCurves', { id: 9999 });
      expect(missing.ok).toBe(false);
    } finally {
      dir.remove();
    }
  });

  it('imports a CSV with every field: records, runs and stats with a cost histogram', async () => {
    const ds = ok<DatasetInfo>(await importFile('good.csv'));
    expect(ds.kind).toBe('optimization');
    expect(ds.status).toBe('ready');
    expect(ds.source).toBe('imported:good.csv');
    const records = [...store.records(ds.id)];
    expect(records).toHaveLength(6);
    expect(records[5]!.run).toBe('b, "2"');
    expect(records[4]).toMatchObject({ run: 'b', optimizer: 'adam', iteration: 1, cost: 0.07 });
    expect(Array.from(records[4]!.design)).toEqual(Array.from(Float32Array.of(-0.9, 0.8, 0.1, 0.45)));
    expect(Array.from(records[4]!.task)).toEqual(Array.from(Float32Array.of(0.3, 0.1)));
    const s = ds.stats as unknown as { rows: number; runs: number; tasks: number; optimizers: number; minCost: number; maxCost: number; costHistogram: { edges: number[]; counts: number[] } };
    expect(s).toMatchObject({ rows: 6, runs: 3, tasks: 3, optimizers: 3, minCost: 0.031, maxCost: 0.12, designDim: 4 });
    expect(s.costHistogram.counts).toHaveLength(20);
    expect(s.costHistogram.edges).toHaveLength(21);
    expect(s.costHistogram.counts.reduce((a, b) => a + b)).toBe(6);
    expect(s.costHistogram.counts[19]).toBe(1); // the maximum falls in the last bin
  });

  it('imports JSON (vector keys, synonyms), JSONL (no run, no iteration) and NPZ (task broadcast, strings skipped)', async () => {
    const json = ok<DatasetInfo>(await importFile('good.json'));
    expect([...store.records(json.id)].map((r) => [r.run, r.optimizer, r.iteration, r.cost])).toEqual([
      ['a', 'cem', 0, 0.05],
      ['a', 'cem', 1, 0.04],
      ['a', 'cem', 2, 0.031],
      ['b', 'adam', 0, 0.09],
      ['b', 'adam', 1, 0.07],
      ['b, "2"', 'random', 0, 0.12],
    ]);
    const jsonl = ok<DatasetInfo>(await importFile('good.jsonl'));
    const lines = [...store.records(jsonl.id)];
    expect(lines.map((r) => [r.run, r.optimizer, r.iteration])).toEqual(Array.from({ length: 6 }, (_, i) => ['1', 'imported', i]));
    expect(Array.from(lines[3]!.design)).toEqual(Array.from(Float32Array.of(-1, 1, 0, 0.5)));

    const preview = ok<TrajectoryPreview>(await call('datasets.previewImport', { projectId, source: { path: fixture('good.npz') } }));
    expect(preview.mapping).toMatchObject({ run: 'run', iteration: 'iteration', optimizer: null, cost: 'cost', task: ['task'], design: ['design'] });
    expect(preview.problems[0]).toMatchObject({ column: 'optimizer' });
    expect(preview.problems[0]!.message).toMatch(/skipped/);
    const npz = ok<DatasetInfo>(await importFile('good.npz'));
    const arrays = [...store.records(npz.id)];
    expect(arrays.map((r) => [r.run, r.optimizer, r.iteration])).toEqual([['1', 'imported', 0], ['1', 'imported', 1], ['1', 'imported', 2], ['2', 'imported', 0], ['2', 'imported', 1]]);
    expect(arrays.every((r) => r.task[0] === Math.fround(0.5) && r.task[1] === Math.fround(0.2))).toBe(true);
    expect(Array.from(arrays[2]!.design)).toEqual(Array.from(Float32Array.of(0.2, 0, 0.2, -0.3)));
  });

  it('imports uploaded bytes (base64) like a file, and takes a corrected mapping', async () => {
    const csv = 'seed,a,b,p,q,r,s,loss\n7,0.5,0.2,0.1,0.2,0.3,0.4,1.5\n7,0.5,0.2,0.1,0.2,0.3,0.5,1.25\n';
    const source = { fileName: 'odd.csv', base64: Buffer.from(csv).toString('base64') };
    const p = ok<TrajectoryPreview>(await call('datasets.previewImport', { projectId, source }));
    expect(p.mapping).toBeNull();
    const mapping = { run: 'seed', optimizer: null, iteration: null, cost: 'loss', task: ['a', 'b'], design: ['p', 'q', 'r', 's'] };
    const ds = ok<DatasetInfo>(await call('datasets.importOptimization', { projectId, name: 'odd', source, mapping }));
    expect([...store.records(ds.id)].map((r) => [r.run, r.iteration, r.cost])).toEqual([['7', 0, 1.5], ['7', 1, 1.25]]);
    const wrong = err(await call('datasets.importOptimization', { projectId, name: 'odd', source, mapping: { ...mapping, cost: 'nope' } }));
    expect(wrong.message).toMatch(/mapping.cost: there is no column "nope"/);
  });

  const malformed: [file: string, code: string, message: RegExp][] = [
    ['wrong-dimension.csv', 'invalid_argument', /3 design columns \(x0, x1, x2\); this project's designs have 4/],
    ['nan.csv', 'invalid_argument', /^row 2, column x1: value is NaN$/],
    ['not-a-number.csv', 'invalid_argument', /^row 2, column cost: value "abc" is not a number$/],
    ['out-of-bounds.csv', 'invalid_argument', /^row 2, column x2: value 1.5 is outside \[-1, 1\]/],
    ['truncated.csv', 'invalid_argument', /^row 3, column x2: has 5 fields; the header has 8 \(is the file truncated\?\)$/],
    ['header-only.csv', 'invalid_argument', /has a header but no rows/],
    ['empty.csv', 'invalid_argument', /"empty.csv" is empty/],
    ['bad-encoding.csv', 'invalid_argument', /is not valid UTF-8 \(bad bytes at line 2/],
    ['utf16.csv', 'invalid_argument', /is UTF-16 text .* save it as UTF-8/],
    ['duplicate-column.csv', 'invalid_argument', /"x1" and "X1" both look like design entry 1|columns 4 and 8 are both named/],
    ['truncated.json', 'invalid_argument', /is not valid JSON .*truncated/],
    ['wrong-shape.npz', 'invalid_argument', /^row 1, column design: has 3 values; this project's designs have 4/],
  ];
  it.each(malformed)('refuses %s with a clear error and stores nothing', async (file, code, message) => {
    const e = err(await importFile(file));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(countRows(t.wb, 'optimization_records')).toBe(0);
    expect(countRows(t.wb, 'datasets')).toBe(0);
    expect(t.wb.db.inTransaction).toBe(false);
  });

  it('a failure after many good rows rolls back every row, and issues name the row and column', async () => {
    const dir = tempDir();
    try {
      const good = Array.from({ length: 50_000 }, (_, i) => `r${i % 7},0.5,0.2,0.1,0.2,0.3,0.4,${i}`);
      writeFileSync(join(dir.path, 'late.csv'), ['run,task_x,task_y,x0,x1,x2,x3,cost', ...good, 'r1,0.5,0.2,0.1,0.2,Infinity,0.4,1'].join('\n'));
      // a write made while the import streams is the workbench's own: the failed import must not take it along
      const pending = call('datasets.importOptimization', { projectId, name: 'late', source: { path: join(dir.path, 'late.csv') } });
      await new Promise((resolve) => setImmediate(resolve));
      t.wb.queries.record([{ projectId, design: [0, 0, 0, 0], task: [0.5, 0.2], simulator: 'ground_truth', cost: 1, wallMs: 1, method: 'during-import' }]);
      const e = err(await pending);
      expect(countRows(t.wb, 'simulator_queries')).toBe(1);
      expect(e.message).toBe('row 50001, column x2: value "Infinity" is infinite');
      expect(e.issues).toEqual([{ path: 'row 50001 / x2', message: 'value "Infinity" is infinite' }]);
      expect(countRows(t.wb, 'optimization_records')).toBe(0);
      expect(countRows(t.wb, 'datasets')).toBe(0);
      // the connection is usable afterwards: a good import still succeeds
      ok<DatasetInfo>(await importFile('good.csv'));
      expect(countRows(t.wb, 'optimization_records')).toBe(6);
    } finally {
      dir.remove();
    }
  });

  it('inserts on a compute worker while the file is read: the same records in the same order as in one thread', async () => {
    const dir = tempDir();
    try {
      // 3 full batches handed to the worker and a partial one, runs interleaved so order matters
      const lines = Array.from({ length: 65_000 }, (_, i) => `r${i % 13},${i % 5 ? 'cem' : 'adam'},${i},0.5,0.2,${(i % 97) / 100},0.2,-0.3,0.4,${i / 7}`);
      const file = join(dir.path, 'many.csv');
      writeFileSync(file, ['run,optimizer,iteration,task_x,task_y,x0,x1,x2,x3,cost', ...lines].join('\n'));
      const bounds = { designDim: 4, taskRange: WIDE_TASKS };
      const inserter = t.wb.recordInserter();
      expect(inserter?.compute.size).toBeGreaterThan(0);
      const run = vi.spyOn(t.wb.compute, 'run');
      const viaWorker = await store.importFile(projectId, 'worker', { path: file }, { bounds, owner: t.wb.ownership.token, inserter });
      expect(run.mock.calls.filter(([fn]) => fn === 'insertOptimizationRecords')).toHaveLength(4);
      run.mockRestore();
      const inline = await store.importFile(projectId, 'inline', { path: file }, { bounds, owner: t.wb.ownership.token });
      const rows = (id: number): unknown[] =>
        t.wb.db.prepare('SELECT run, optimizer, iteration, task, design, cost FROM optimization_records WHERE dataset_id = ? ORDER BY id').all(id);
      const a = rows(viaWorker.id);
      expect(a).toHaveLength(65_000);
      expect(a).toEqual(rows(inline.id));
      expect(viaWorker.stats).toEqual(inline.stats);
    } finally {
      dir.remove();
    }
  });

  it('refuses a line longer than 1 MB without reading it into memory, in CSV and JSONL', async () => {
    const dir = tempDir();
    try {
      const huge = 'run,task_x,task_y,x0,x1,x2,x3,cost\na,0.5,0.2,0.1,0.2,0.3,0.4,0.05\nb' + 'x'.repeat(3 * 2 ** 20) + '\n';
      writeFileSync(join(dir.path, 'huge.csv'), huge);
      writeFileSync(join(dir.path, 'huge.jsonl'), `{"tx": 0.5, "ty": 0.2, "x0": 0, "x1": 0, "x2": 0, "x3": 0, "cost": 1}\n{"run": "${'y'.repeat(3 * 2 ** 20)}"}\n`);
      for (const f of ['huge.csv', 'huge.jsonl']) {
        const e = err(await call('datasets.importOptimization', { projectId, name: 'huge', source: { path: join(dir.path, f) } }));
        expect(e.message).toMatch(/line \d is longer than 1 MB without a line break/);
      }
      expect(countRows(t.wb, 'datasets')).toBe(0);
    } finally {
      dir.remove();
    }
  });

  it('an invalid UTF-8 sequence split across read chunks is still found, and a valid one is not refused', async () => {
    const dir = tempDir();
    try {
      const header = 'note,task_x,task_y,x0,x1,x2,x3,cost\n';
      // a 2-byte character (é) straddling the 256 KiB chunk boundary
      const pad = 'a'.repeat(256 * 1024 - header.length - 1);
      writeFileSync(join(dir.path, 'straddle.csv'), Buffer.concat([Buffer.from(header + pad), Buffer.from('é,0.5,0.2,0,0,0,0,1\n')]));
      const ds = ok<DatasetInfo>(await call('datasets.importOptimization', { projectId, name: 's', source: { path: join(dir.path, 'straddle.csv') } }));
      expect(ok<TrajectoryPreview>(await call('datasets.previewImport', { projectId, source: { path: join(dir.path, 'straddle.csv') } })).rows[0]![0]).toBe(`${pad}é`);
      expect(store.count(ds.id)).toBe(1);
      writeFileSync(join(dir.path, 'broken.csv'), Buffer.concat([Buffer.from(header + pad), Buffer.from([0xc3, 0x28]), Buffer.from(',0.5,0.2,0,0,0,0,1\n')]));
      expect(err(await call('datasets.importOptimization', { projectId, name: 'b', source: { path: join(dir.path, 'broken.csv') } })).message).toMatch(/not valid UTF-8/);
    } finally {
      dir.remove();
    }
  });

  it('exports a dataset in the import layout (CSV and JSON) and imports it back to the same records', async () => {
    const ds = ok<DatasetInfo>(await importFile('good.csv'));
    const before = [...store.records(ds.id)].map(({ id: _, ...r }) => r);
    const dir = tempDir();
    try {
      for (const format of ['csv', 'json'] as const) {
        const out = ok<{ fileName: string; content: string; rows: number }>(await call('datasets.exportOptimization', { id: ds.id, format }));
        expect(out.rows).toBe(6);
        expect(out.fileName).toBe(`good.csv.${format}`);
        const path = join(dir.path, out.fileName);
        writeFileSync(path, out.content);
        const back = ok<DatasetInfo>(await call('datasets.importOptimization', { projectId, name: `back-${format}`, source: { path } }));
        expect([...store.records(back.id)].map(({ id: _, ...r }) => r)).toEqual(before);
      }
      expect(readFileSync(join(dir.path, 'good.csv.csv'), 'utf8').split('\n')[0]).toBe('run,optimizer,iteration,task_x,task_y,x0,x1,x2,x3,cost');
    } finally {
      dir.remove();
    }
  });
});

describe('an import stopped by a crash', () => {
  it('leaves nothing behind after the next start', async () => {
    const dir = tempDir();
    const { Workbench } = await import('../../src-main/engine/workbench');
    const first = new Workbench({ dataDir: dir.path, mode: 'cli' });
    const projectId = first.projects.create({ name: 'P', environment: 'fluidtool-2d', settings: { joints: 4, taskRange: WIDE_TASKS } }).id;
    // what a killed import leaves: a "building" imported dataset with some rows
    const store = new OptimizationDatasets(first.db);
    const ds = store.create(projectId, 'half', 'imported:half.csv', null, 'building');
    first.db.prepare("INSERT INTO optimization_records (dataset_id, run, optimizer, task, iteration, design, cost) VALUES (?, '1', 'x', ?, 0, ?, 1)").run(ds.id, Buffer.alloc(8), Buffer.alloc(16));
    first.db.close();
    const second = new Workbench({ dataDir: dir.path, mode: 'cli' });
    expect(countRows(second, 'datasets')).toBe(0);
    expect(countRows(second, 'optimization_records')).toBe(0);
    await second.close();
    dir.remove();
  });
});
