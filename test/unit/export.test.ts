import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { OptimizationDatasets } from '../../src-main/engine/datasets/trajectories';
import type { ApiEnvelope } from '../../src-shared/errors';
import { DesignStore } from '../../src-main/engine/storage/designs';
import type { DatasetInfo, JobInfo, OptimizationDatasetInfo, StoredDesign } from '../../src-shared/api';
import { jobOfRun } from '../../src-main/engine/export/provenance';
import { toolPolyline } from '../../src-shared/fluidtool2d';
import { ok, tempDir, testWorkbench } from './helpers';


type Exported = { fileName: string; content: string; rows: number };

function parseCsv(content: string): Record<string, string>[] {
  const [header, ...lines] = content.trim().split('\n');
  const names = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i]!, v])));
}

describe('designs export', () => {
  let t: ReturnType<typeof testWorkbench>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  const thetaMax = 0.3;
  beforeEach(() => {
    t = testWorkbench();
    const handlers = createHandlers(t.wb, { filePaths: true }); // paths as the CLI sends them
    call = (m, a) => dispatch(handlers, m, a);
    projectId = t.wb.projects.create({ name: 'Export me', environment: 'fluidtool-2d', settings: { joints: 4, thetaMax, taskRange: { xMin: 0.15, xMax: 0.85, yMin: 0.05, yMax: 0.35 } } }).id;
    // 12 queries: 3 tasks × 4 designs, two methods, costs 0.1 … 1.2 in a shuffled order
    const tasks = [[0.3, 0.1], [0.5, 0.2], [0.7, 0.3]];
    const costs = [0.5, 1.1, 0.2, 0.9, 0.1, 0.7, 1.2, 0.3, 0.8, 0.4, 1.0, 0.6];
    t.wb.queries.record(
      costs.map((cost, i) => ({
        projectId,
        design: [Math.sin(i), Math.cos(i), -Math.sin(2 * i), 0.5 - (i % 3) / 3],
        task: tasks[i % 3]!,
        simulator: 'ground_truth' as const,
        cost,
        capture: 1 - cost / 2,
        wallMs: 10,
        method: i % 2 ? 'cem' : 'random',
        run: `run-${i % 2}`,
        createdAt: Date.UTC(2026, 0, 1, 12, 0, i),
      })),
    );
  });
  afterEach(() => t.dispose());

  it('exports the top k by cost with task, capture, method, run, time, design and absolute joint angles', async () => {
    const r = ok<Exported>(await call('designs.export', { projectId, topK: 3 }));
    expect(r.rows).toBe(3);
    expect(r.fileName).toBe('Export-me-queries-best-3.csv');
    const rows = parseCsv(r.content);
    expect(Object.keys(rows[0]!)).toEqual(['query_id', 'design_id', 'task_x', 'task_y', 'cost', 'capture', 'method', 'run', 'job_id', 'phase', 'simulator', 'diffusion_model_id', 'learned_model_id', 'settings', 'seed', 'created_at', 'x0', 'x1', 'x2', 'x3', 'angle_1_rad', 'angle_2_rad', 'angle_3_rad', 'angle_4_rad']);
    expect(rows.map((x) => Number(x.cost))).toEqual([0.1, 0.2, 0.3]);
    // a query no job made (run-0 names none): its provenance cells are empty
    expect(rows[0]).toMatchObject({ query_id: '5', design_id: '', task_x: '0.5', task_y: '0.2', capture: '0.95', method: 'random', run: 'run-0', job_id: '', simulator: 'ground_truth', learned_model_id: '', settings: '', seed: '', created_at: '2026-01-01T12:00:04.000Z' });
    // angle_i_rad is the direction of tool segment i as toolPolyline draws it
    const design = [0, 1, 2, 3].map((k) => Number(rows[0]![`x${k}`]));
    const pts = toolPolyline(design, thetaMax);
    for (let i = 0; i < 4; i++) {
      const a = Number(rows[0]![`angle_${i + 1}_rad`]);
      expect(Math.cos(a)).toBeCloseTo((pts[2 * i + 2]! - pts[2 * i]!) / (0.55 / 4), 5);
      expect(Math.sin(a)).toBeCloseTo((pts[2 * i + 3]! - pts[2 * i + 1]!) / (0.55 / 4), 5);
    }
  });

  it('filters by method, takes the top k per task, or exactly the selected ids; JSON carries design and angles arrays', async () => {
    const cem = parseCsv(ok<Exported>(await call('designs.export', { projectId, topK: 100, method: 'cem' })).content);
    expect(cem).toHaveLength(6);
    expect(cem.every((x) => x.method === 'cem')).toBe(true);
    const perTask = parseCsv(ok<Exported>(await call('designs.export', { projectId, topK: 2, perTask: true })).content);
    expect(perTask.map((x) => [x.task_x, Number(x.cost)])).toEqual([
      ['0.5', 0.1],
      ['0.5', 0.3],
      ['0.7', 0.2],
      ['0.7', 0.6],
      ['0.3', 0.4],
      ['0.3', 0.5],
    ]);
    const picked = ok<Exported>(await call('designs.export', { projectId, ids: [7, 2], format: 'json' }));
    expect(picked.fileName).toBe('Export-me-queries-selected-2.json');
    const objects = JSON.parse(picked.content) as { query_id: number; design: number[]; angles: number[]; x0: number }[];
    expect(objects.map((o) => o.query_id)).toEqual([2, 7]); // cheapest first
    expect(objects[0]!.design).toHaveLength(4);
    expect(objects[0]!.design[0]).toBe(objects[0]!.x0);
    expect(objects[0]!.angles).toHaveLength(4);
    const missing = await call('designs.export', { projectId, ids: [2, 999] });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error).toMatchObject({ code: 'not_found', message: expect.stringMatching(/ids 999 are not simulator queries/) });
  });

  it('export then import returns the same designs, tasks and costs (CSV and JSON)', async () => {
    const before = t.wb.queries.bestByCost(projectId, 100);
    const dir = tempDir();
    try {
      for (const format of ['csv', 'json'] as const) {
        const r = ok<Exported>(await call('designs.export', { projectId, topK: 100, format }));
        const path = join(dir.path, `best.${format}`);
        writeFileSync(path, r.content);
        const ds = ok<DatasetInfo>(await call('datasets.importOptimization', { projectId, name: `back ${format}`, source: { path } }));
        const back = [...new OptimizationDatasets(t.wb.db).records(ds.id)];
        // -0 is written as 0: the same design
        const values = (a: Float32Array): number[] => Array.from(a, (v) => v + 0);
        expect(back.map((x) => values(x.design))).toEqual(before.map((q) => values(q.design)));
        expect(back.map((x) => Array.from(x.task))).toEqual(before.map((q) => Array.from(q.task)));
        expect(back.map((x) => [x.cost, x.optimizer, x.run])).toEqual(before.map((q) => [q.cost, q.method, q.run]));
        // and from that dataset's records, the same designs again
        const again = ok<Exported>(await call('designs.export', { projectId, from: 'dataset', datasetId: ds.id, topK: 100, format }));
        expect(again.rows).toBe(12);
      }
    } finally {
      dir.remove();
    }
  });

  it('escapes names a spreadsheet would run as formulas, in design and trajectory exports', async () => {
    const hostile = ['=HYPERLINK("http://x.invalid","click")', '+cmd|" /C calc"!A0', '-2+3', '@SUM(A1)', '\tTAB'];
    t.wb.queries.record(
      hostile.map((run, i) => ({ projectId, design: [0.1 * i, 0, 0, 0], task: [0.4, 0.1], simulator: 'ground_truth' as const, cost: 0.01 * (i + 1), capture: 0.5, wallMs: 1, method: 'manual', run })),
    );
    const csv = ok<Exported>(await call('designs.export', { projectId, topK: 5 })).content;
    const cells = (Papa.parse as unknown as (s: string, c: object) => { data: { run: string }[] })(csv.trim(), { header: true }).data.map((r) => r.run);
    expect(cells).toHaveLength(5);
    for (const cell of cells) expect(cell).toMatch(/^'[=+\-@\t]/);
    expect(cells.map((c) => c.slice(1)).sort()).toEqual([...hostile].sort());
    // the JSON export keeps the names as they are (no spreadsheet opens JSON)
    const json = JSON.parse(ok<Exported>(await call('designs.export', { projectId, topK: 5, format: 'json' })).content) as { run: string }[];
    expect(json.map((r) => r.run).sort()).toEqual([...hostile].sort());
    const store = new OptimizationDatasets(t.wb.db);
    const dir = tempDir();
    try {
      const path = join(dir.path, 'hostile.json');
      // the import trims names, so a leading tab does not survive it
      const kept = hostile.filter((h) => !h.startsWith('\t'));
      writeFileSync(path, JSON.stringify(kept.map((run, i) => ({ run, optimizer: '=1+1', iteration: i, task: [0.4, 0.1], design: [0, 0, 0, 0], cost: 0.5 }))));
      const ds = ok<DatasetInfo>(await call('datasets.importOptimization', { projectId, name: 'hostile', source: { path } }));
      const content = ok<Exported>(await call('datasets.exportOptimization', { id: ds.id, format: 'csv' })).content;
      const out = (Papa.parse as unknown as (s: string, c: object) => { data: { run: string; optimizer: string }[] })(content.trim(), { header: true }).data;
      expect(out).toHaveLength(4);
      for (const r of out) expect([r.run, r.optimizer]).toEqual([expect.stringMatching(/^'[=+\-@\t]/), "'=1+1"]);
      expect([...store.records(ds.id)].map((r) => r.run).sort()).toEqual([...kept].sort());
    } finally {
      dir.remove();
    }
  });

  it('lists and exports the designs a run kept (the designs table), by job or run, with their query and provenance', async () => {
    const job = t.wb.jobStore.create('sample', {}, projectId).id;
    const other = t.wb.jobStore.create('sample', {}, projectId).id;
    const best = t.wb.queries.bestByCost(projectId, 3); // query ids of the three cheapest
    const designs = new DesignStore(t.wb.db);
    const base = { projectId, method: 'sample', task: [0.5, 0.2], capture: 0.75, modelId: null };
    const kept = designs.insert([
      { ...base, run: `sample-${job}`, design: [0.1, 0.2, 0.3, 0.4], cost: 0.3, queryId: best[2]!.id, provenance: { jobId: job, simulator: 'ground_truth', seed: 3 } },
      { ...base, run: `sample-${job}`, design: [-0.1, 0, 0.1, 0.2], cost: 0.1, queryId: best[0]!.id, provenance: { jobId: job, simulator: 'ground_truth', seed: 3 } },
    ]);
    designs.insert([{ ...base, method: 'cem', run: `cem-${other}`, design: [0, 0, 0, 0], cost: 0.2, queryId: null, provenance: { jobId: other, simulator: 'learned' } }]);

    const listed = ok<StoredDesign[]>(await call('designs.list', { projectId, jobId: job }));
    expect(listed.map((d) => [d.id, d.cost, d.queryId, d.jobId, d.run])).toEqual([
      [kept[1], 0.1, best[0]!.id, job, `sample-${job}`],
      [kept[0], 0.3, best[2]!.id, job, `sample-${job}`],
    ]);
    expect(listed[0]!.provenance).toEqual({ jobId: job, simulator: 'ground_truth', seed: 3 });
    expect(ok<StoredDesign[]>(await call('designs.list', { projectId })).map((d) => d.cost)).toEqual([0.1, 0.2, 0.3]);
    expect(ok<StoredDesign[]>(await call('designs.list', { projectId, run: `cem-${other}` })).map((d) => d.method)).toEqual(['cem']);
    expect(ok<StoredDesign[]>(await call('designs.list', { projectId, method: 'sample', limit: 1 })).map((d) => d.id)).toEqual([kept[1]]);
    const noJob = await call('designs.list', { projectId, jobId: 987 });
    expect(noJob.ok).toBe(false);
    if (!noJob.ok) expect(noJob.error).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no job with id 987/) });

    const r = ok<Exported>(await call('designs.export', { projectId, from: 'designs', jobId: job, topK: 10 }));
    expect(r.fileName).toBe(`Export-me-designs-job-${job}-best-10.csv`);
    const rows = parseCsv(r.content);
    expect(rows.map((x) => [Number(x.design_id), Number(x.query_id), Number(x.job_id), Number(x.cost), x.method, x.run, x.simulator])).toEqual([
      [kept[1], best[0]!.id, job, 0.1, 'sample', `sample-${job}`, 'ground_truth'],
      [kept[0], best[2]!.id, job, 0.3, 'sample', `sample-${job}`, 'ground_truth'],
    ]);
    expect(rows[0]).toMatchObject({ x0: '-0.1', x1: '0', task_x: '0.5', task_y: '0.2', capture: '0.75' });
    const byRun = parseCsv(ok<Exported>(await call('designs.export', { projectId, from: 'designs', run: `cem-${other}` })).content);
    expect(byRun.map((x) => [x.method, x.simulator])).toEqual([['cem', 'learned']]);
    const picked = await call('designs.export', { projectId, from: 'designs', ids: [kept[0], 99_999] });
    expect(picked.ok).toBe(false);
    if (!picked.ok) expect(picked.error).toMatchObject({ code: 'not_found', message: expect.stringMatching(/ids 99999 are not designs of project/) });
    const misplaced = await call('designs.export', { projectId, from: 'queries', jobId: job });
    expect(misplaced.ok).toBe(false);
    if (!misplaced.ok) expect(misplaced.error).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/jobId .* from "designs"/) });
  });

  it('names the job, models, settings, seed and phase of every exported design, from the job row or, once it is gone, the kept design', async () => {
    const sampleParams = { modelId: 4, count: 2, sampler: 'ddim', ddimSteps: 25, eta: 0, simulator: 'ground_truth', seed: 7, conditional: { enabled: true, weight: 2, costQuantile: 0.05 }, energy: { enabled: true, scale: 1, clip: 1, lastSteps: 12 }, particles: { enabled: true, count: 4, rounds: 2 } };
    const job = t.wb.jobStore.create('sample', sampleParams, projectId).id;
    t.wb.jobStore.finish(job, 'succeeded', { result: { modelId: 4, simulatorModelId: 9 } });
    const cem = t.wb.jobStore.create('optimize', { optimizer: 'cem', budget: 64, simulator: 'ground_truth', seed: 5, cem: { population: 8 } }, projectId).id;
    const run = `ddm+energy+cond+ps-${job}`;
    const q = (cost: number, method: string, r: string) => ({ projectId, design: [cost, 0, 0, 0], task: [0.5, 0.07], simulator: 'ground_truth' as const, cost, capture: 0.5, wallMs: 1, method, run: r });
    const first = t.wb.queries.record([q(0.01, 'ddm+energy+cond+ps', run), q(0.02, 'ddm+energy+cond+ps', run), q(0.03, 'cem', `cem-${cem}`), q(0.04, 'cem', `cem-${cem + 50}`)]);
    const [particle, final] = [first, first + 1];
    const designs = new DesignStore(t.wb.db);
    const [keptParticle] = designs.insert([
      { projectId, method: 'ddm+energy+cond+ps', run, design: [0.01, 0, 0, 0], task: [0.5, 0.07], cost: 0.01, capture: 0.5, modelId: null, queryId: particle, provenance: { jobId: job, diffusionModelId: 4, simulatorModelId: 9, seed: 7, sampler: { sampler: 'ddim', ddimSteps: 25 }, phase: 'particles' } },
    ]);

    const exported = (ids: number[]): Promise<Record<string, unknown>[]> =>
      call('designs.export', { projectId, ids, format: 'json' }).then((r) => JSON.parse(ok<Exported>(r).content) as Record<string, unknown>[]);
    const rows = await exported([particle, final, first + 2, first + 3]);
    expect(rows.map((r) => [r.query_id, r.design_id, r.job_id, r.phase, r.diffusion_model_id, r.learned_model_id, r.seed])).toEqual([
      [particle, keptParticle, job, 'particles', 4, 9, 7],
      [final, null, job, null, 4, 9, 7], // not kept: provenance from its run's job
      [first + 2, null, cem, null, null, null, 5],
      [first + 3, null, null, null, null, null, null], // cem-<n> where job n does not exist
    ]);
    expect(rows[0]!.settings).toMatchObject({ sampler: 'ddim', ddimSteps: 25, conditional: { weight: 2 }, energy: { scale: 1 }, particles: { count: 4 } });
    expect(rows[2]!.settings).toEqual({ optimizer: 'cem', budget: 64, simulator: 'ground_truth', cem: { population: 8 } });
    // CSV: the settings as one cell without commas; the file named by what it holds (one run's queries)
    const csv = ok<Exported>(await call('designs.export', { projectId, ids: [particle, final] }));
    expect(csv.fileName).toBe(`Export-me-queries-${run}-selected-2.csv`);
    expect(csv.fileName).not.toMatch(/\s/);
    const cells = parseCsv(csv.content);
    expect(cells[0]!.settings).toMatch(/^sampler=ddim;ddimSteps=25;eta=0;count=2;simulator=ground_truth;conditional\.enabled=true;conditional\.weight=2;/);
    // the provenance columns do not stand in the way of importing the file back (CSV and JSON)
    const dir = tempDir();
    try {
      for (const format of ['csv', 'json'] as const) {
        const path = join(dir.path, `provenance.${format}`);
        writeFileSync(path, ok<Exported>(await call('designs.export', { projectId, ids: [particle, final, first + 2], format })).content);
        const back = ok<OptimizationDatasetInfo>(await call('datasets.importOptimization', { projectId, name: `provenance ${format}`, source: { path } }));
        expect(back.stats.rows).toBe(3);
      }
    } finally {
      dir.remove();
    }

    // a guidance that was off is one entry, without its unused settings
    const plain = t.wb.jobStore.create('sample', { ...sampleParams, energy: { enabled: false, scale: 1, clip: 1, lastSteps: 12 } }, projectId).id;
    const plainQuery = t.wb.queries.record([q(0.05, 'ddm+cond+ps', `ddm+cond+ps-${plain}`)]);
    const [plainRow] = await exported([plainQuery]);
    expect(plainRow!.job_id).toBe(plain);
    expect(plainRow!.settings).toMatchObject({ energy: { enabled: false }, particles: { enabled: true, count: 4 } });
    expect((plainRow!.settings as { energy: object }).energy).toEqual({ enabled: false });

    // the job row gone (a database edited by hand, or rows older than the job): the kept design's provenance still names it all
    t.wb.db.pragma('foreign_keys = OFF');
    t.wb.db.prepare('DELETE FROM jobs WHERE id = ?').run(job);
    t.wb.db.pragma('foreign_keys = ON');
    const after = await exported([particle, final]);
    expect(after.map((r) => [r.job_id, r.phase, r.diffusion_model_id, r.learned_model_id, r.seed])).toEqual([
      [job, 'particles', 4, 9, 7],
      [null, null, null, null, null],
    ]);
    const kept = JSON.parse(ok<Exported>(await call('designs.export', { projectId, from: 'designs', run, format: 'json' })).content) as Record<string, unknown>[];
    expect(kept.map((r) => [r.design_id, r.query_id, r.job_id, r.diffusion_model_id, r.learned_model_id, r.seed, r.phase])).toEqual([[keptParticle, particle, job, 4, 9, 7, 'particles']]);
  });
});

describe('jobOfRun', () => {
  const jobs = new Map<number, JobInfo>([
    [12, { id: 12, projectId: 1, kind: 'sample', params: { conditional: { enabled: true }, particles: { enabled: true } } } as JobInfo],
    [13, { id: 13, projectId: 1, kind: 'optimize', params: { optimizer: 'cem' } } as JobInfo],
    [17, { id: 17, projectId: 1, kind: 'optimize', params: { optimizer: 'adam' } } as JobInfo],
    [14, { id: 14, projectId: 1, kind: 'dataset.optimization', params: { optimizers: ['cem', 'adam'] } } as JobInfo],
    [15, { id: 15, projectId: 1, kind: 'outcome.train', params: {} } as JobInfo],
    [16, { id: 16, projectId: 2, kind: 'sample', params: {} } as JobInfo],
  ]);
  const find = (id: number): JobInfo | null => jobs.get(id) ?? null;
  it.each([
    ['ddm+cond+ps', 'ddm+cond+ps-12', 12],
    ['cem', 'cem-13', 13],
    ['adam', 'adam-17-restart-2', 17],
    ['adam', 'adam-13', null], // job 13 ran CEM
    ['cem', 'cem-14-3', 14],
    ['adam', 'adam-14-3-restart-2', 14],
    ['outcome.data', 'outcome-data-15', 15],
    ['ddm', 'ddm+cond-12', null], // another method's name
    ['cem', 'cem-12', null], // a sampling job cannot have run CEM
    ['ddm', 'ddm-16', null], // another project's job
    ['cem', 'cem-99', null], // no such job
    ['manual', null, null],
    ['cem', 'run-1', null],
  ] as const)('%s queries of run %s belong to job %s', (method, run, job) => {
    expect(jobOfRun(find, 1, method, run)?.id ?? null).toBe(job);
  });
});
