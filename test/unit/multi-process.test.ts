import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { diffusionTrainParams } from '../../src-main/cli/commands/diffusion';
import { OptimizationDatasets } from '../../src-main/engine/datasets/trajectories';
import { seededRandom } from '../../src-main/engine/random';
import { Workbench, type WorkbenchOptions } from '../../src-main/engine/workbench';
import type { DatasetInfo, JobInfo, OptimizationDatasetInfo, ModelInfo, ProjectSummary } from '../../src-shared/api';
import type { ApiEnvelope } from '../../src-shared/errors';
import { COMPUTE_ENTRY, FIXTURE_KINDS, WORKER_ENTRY, deadPid, err, ok, tempDir } from './helpers';
import { spawnJsonLines, type JsonLinesChild } from './json-lines-child';

// Several processes on one data folder (the CLI, browser mode and the desktop app run together):
// each one's start-up and heartbeat reclaim only the work of processes that are gone.

const CHILD = join(process.cwd(), 'test/fixtures/child-workbench.ts');
// a tiny environment and network, as in diffusion-jobs.test.ts: the machine is slow
const SMALL_PROJECT = { particles: 36, frames: 14, joints: 4 };
const SMALL_NET = { width: 32, blocks: 2, timesteps: 40, batchSize: 64, evalEvery: 10, patience: 100, seed: 3 };

type Child = JsonLinesChild;

function startChild(dataDir: string, action: Record<string, unknown>): Child {
  return spawnJsonLines(CHILD, { dataDir, workerFile: WORKER_ENTRY.file, kindsFile: FIXTURE_KINDS, computeFile: COMPUTE_ENTRY, action }, 'the child');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until f returns a value (not undefined/false), or fails after `ms`. */
async function until<T>(f: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(30);
  }
}

function open(dataDir: string, opts: Partial<WorkbenchOptions> = {}): Workbench {
  return new Workbench({ dataDir, mode: 'cli', jobs: { entry: WORKER_ENTRY, extraKindsModule: FIXTURE_KINDS, size: 1 }, compute: { entry: COMPUTE_ENTRY, size: 1 }, ...opts });
}

function api(wb: Workbench): (m: string, a: unknown) => Promise<ApiEnvelope<unknown>> {
  const handlers = createHandlers(wb, { filePaths: true }) // paths, as the CLI sends them;
  return (m, a) => dispatch(handlers, m, a);
}

/** A read-only look at the database that registers no owner and reclaims nothing. */
function peek<T>(dataDir: string, sql: string, ...args: unknown[]): T | undefined {
  const db = new Database(join(dataDir, 'workbench.sqlite'), { readonly: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare(sql).get(...args) as T | undefined;
  } finally {
    db.close();
  }
}

function integrity(wb: Workbench): string {
  return wb.db.pragma('integrity_check', { simple: true }) as string;
}

function bigCsv(path: string, rows: number): void {
  const lines = ['run,optimizer,iteration,task_x,task_y,x0,x1,x2,x3,cost'];
  for (let i = 0; i < rows; i++) lines.push(`r${Math.floor(i / 100)},cem,${i % 100},0.5,0.07,0.1,-0.2,0.3,-0.4,${(i % 97) / 1000}`);
  writeFileSync(path, lines.join('\n') + '\n');
}

/** A project with a small optimization dataset (12 runs of 10 iterates), as in diffusion-jobs.test.ts. */
function seedProject(wb: Workbench): { projectId: number; datasetId: number } {
  const projectId = wb.projects.create({ name: 'Shared', environment: 'fluidtool-2d', settings: SMALL_PROJECT }).id;
  const datasets = new OptimizationDatasets(wb.db);
  const ds = datasets.create(projectId, 'runs', 'test', null);
  const rand = seededRandom(1);
  const records = [];
  for (let r = 0; r < 12; r++) {
    const task = [0.2 + 0.6 * rand(), 0.1 + 0.2 * rand()];
    const goal = [task[0]! - 0.5, task[1]! - 0.2, 0.3, -0.3];
    for (let i = 0; i < 10; i++) {
      const design = goal.map((g) => Math.max(-1, Math.min(1, g + (1 - i / 10) * (rand() - 0.5))));
      records.push({ run: `run-${r}`, optimizer: 'cem', iteration: i, task, design, cost: 0.1 * (1 - i / 10) + 0.01 * rand() });
    }
  }
  datasets.append(ds.id, records);
  return { projectId, datasetId: datasets.finish(ds.id, 'ready').id };
}

describe('two processes on one data folder', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  function folder(): string {
    const d = tempDir();
    cleanup.push(() => d.remove());
    return d.path;
  }
  function child(dataDir: string, action: Record<string, unknown>): Child {
    const c = startChild(dataDir, action);
    cleanup.push(async () => {
      if (c.proc.exitCode === null && c.proc.signalCode === null) {
        c.proc.kill('SIGKILL');
        await c.exited;
      }
    });
    return c;
  }

  it('an import running in one process survives another opening the folder and listing: all its rows arrive', async () => {
    const dir = folder();
    const first = open(dir);
    const projectId = first.projects.create({ name: 'S', environment: 'fluidtool-2d', settings: { joints: 4 } }).id;
    await first.close();
    const rows = 300_000;
    const csv = join(dir, 'big.csv');
    bigCsv(csv, rows);
    const c = child(dir, { type: 'import', projectId, path: csv, name: 'big' });
    await until(() => (peek<{ n: number }>(dir, "SELECT COUNT(*) AS n FROM datasets WHERE status = 'building'")?.n ?? 0) > 0, 20_000, 'the import to start');
    let opened = 0;
    let building = 0;
    while (c.proc.exitCode === null) {
      const other = open(dir);
      const call = api(other);
      expect(ok<ProjectSummary[]>(await call('projects.list', {})).map((p) => p.id)).toContain(projectId);
      const ds = ok<DatasetInfo[]>(await call('datasets.list', { projectId }));
      // while it is written, the import is there and "building", never removed
      if (c.proc.exitCode === null) {
        expect(ds, c.output()).toHaveLength(1);
        if (ds[0]!.status === 'building') building++;
      }
      await other.close();
      opened++;
      await sleep(100);
    }
    const done = (await c.next('done')).result as ApiEnvelope<OptimizationDatasetInfo>;
    expect(await c.exited, c.output()).toBe(0);
    expect(opened).toBeGreaterThan(0);
    expect(building).toBeGreaterThan(0);
    const imported = ok<OptimizationDatasetInfo>(done);
    expect(imported.status).toBe('ready');
    expect(imported.stats.rows).toBe(rows);
    const after = open(dir);
    cleanup.push(() => after.close());
    expect(after.datasets.get(imported.id).status).toBe('ready');
    expect((after.db.prepare('SELECT COUNT(*) AS n FROM optimization_records WHERE dataset_id = ?').get(imported.id) as { n: number }).n).toBe(rows);
  }, 90_000);

  it('a job running in one process is never shown as interrupted to another, and another cannot cancel it', async () => {
    const dir = folder();
    const c = child(dir, { type: 'job', kind: 'steps', projectId: null, params: { steps: 25, stepMs: 100 }, direct: true });
    const jobId = (await c.next('started')).jobId as number;
    let looked = 0;
    while (c.proc.exitCode === null) {
      const other = open(dir);
      expect(other.interruptedJobs).toEqual([]);
      const jobs = ok<JobInfo[]>(await api(other)('jobs.list', {}));
      const job = jobs.find((j) => j.id === jobId)!;
      expect(['running', 'succeeded']).toContain(job.status);
      if (job.status === 'running') {
        looked++;
        const refused = err(await api(other)('jobs.cancel', { id: jobId }));
        expect(refused.code).toBe('conflict');
        expect(refused.message).toMatch(new RegExp(`runs in process ${c.pid} on `));
      }
      await other.close();
      await sleep(150);
    }
    expect(await c.exited, c.output()).toBe(0);
    expect(looked).toBeGreaterThan(0);
    const last = open(dir);
    cleanup.push(() => last.close());
    expect(last.jobStore.get(jobId)).toMatchObject({ status: 'succeeded', result: { steps: 25 } });
  }, 60_000);
});

describe('owners and heartbeats', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('marks interrupted only the work of owners that are gone: a dead pid, a stale heartbeat, no owner', async () => {
    const d = tempDir();
    cleanup.push(() => d.remove());
    const setup = open(d.path);
    const projectId = setup.projects.create({ name: 'P', environment: 'fluidtool-2d', settings: SMALL_PROJECT }).id;
    const now = Date.now();
    const owner = setup.db.prepare('INSERT INTO owners (token, pid, host, mode, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)');
    owner.run('dead-pid', deadPid(), hostname(), 'cli', now, now);
    owner.run('stale', 4242, 'another-host', 'electron', now - 120_000, now - 60_000);
    owner.run('live-here', process.pid, hostname(), 'browser', now, now);
    owner.run('live-remote', 4242, 'another-host', 'cli', now, now);
    const job = (token: string | null, status = 'running'): number =>
      Number(setup.db.prepare("INSERT INTO jobs (project_id, kind, params, status, created_at, updated_at, owner) VALUES (?, 'diffusion.train', '{}', ?, 0, 0, ?)").run(projectId, status, token).lastInsertRowid);
    const jobs = { dead: job('dead-pid'), stale: job('stale', 'queued'), none: job(null), here: job('live-here'), remote: job('live-remote') };
    // models trained by those jobs: one with a checkpoint on disk, one killed before its first
    const model = (jobId: number, name: string): ModelInfo => {
      const m = setup.models.create({ projectId, kind: 'diffusion', name, config: {}, datasetId: null, jobId, status: 'training' });
      return setup.models.update(m.id, { files: ['checkpoint.json', 'checkpoint.bin'] });
    };
    const resumable = model(jobs.dead, 'resumable');
    setup.models.writeFile(resumable, 'checkpoint.json', '{}');
    const early = model(jobs.stale, 'no checkpoint');
    const busy = model(jobs.here, 'busy');
    // an import another live process is writing, and one whose process died
    const trajectories = new OptimizationDatasets(setup.db);
    const liveImport = trajectories.create(projectId, 'live import', 'imported:a.csv', null, 'building', 'live-remote');
    const deadImport = trajectories.create(projectId, 'dead import', 'imported:b.csv', null, 'building', 'dead-pid');
    // the setup workbench leaves as a killed process would: its row stays, with a dead pid
    setup.db.prepare('UPDATE owners SET pid = ? WHERE token = ?').run(deadPid(), setup.ownership.token);
    setup.db.close();

    const wb = open(d.path);
    cleanup.push(() => wb.close());
    expect(wb.interruptedJobs.sort((a, b) => a - b)).toEqual([jobs.dead, jobs.stale, jobs.none]);
    expect(wb.jobStore.get(jobs.here).status).toBe('running');
    expect(wb.jobStore.get(jobs.remote).status).toBe('running');
    expect(wb.jobStore.get(jobs.dead).error).toMatch(/stopped while this job was running/);
    const owners = (wb.db.prepare('SELECT token FROM owners').all() as { token: string }[]).map((o) => o.token);
    expect(owners).toEqual(expect.arrayContaining(['live-here', 'live-remote', wb.ownership.token]));
    expect(owners).not.toContain('dead-pid');
    expect(owners).not.toContain('stale');
    // item 10: with a checkpoint, resumable; without, failed and listing no file it lacks
    expect(wb.models.get(resumable.id)).toMatchObject({ status: 'interrupted', files: ['checkpoint.json'] });
    expect(wb.models.get(early.id)).toMatchObject({ status: 'failed', files: [] });
    expect(wb.models.get(busy.id).status).toBe('training');
    expect(wb.datasets.get(liveImport.id).status).toBe('building');
    expect(() => wb.datasets.get(deadImport.id)).toThrow(/no dataset/);

    // a model a live process trains cannot be resumed here: the message names that process
    const call = api(wb);
    const refused = err(await call('jobs.start', { kind: 'diffusion.train', projectId, params: { datasetIds: [1], resumeModelId: busy.id } }));
    expect(refused.code).toBe('conflict');
    expect(refused.message).toMatch(new RegExp(`already training in job ${jobs.here}, run by process ${process.pid} on ${hostname()}`));
    // and its job cannot be cancelled from here
    expect(err(await call('jobs.cancel', { id: jobs.remote })).message).toMatch(/runs in process 4242 on another-host/);
  });

  it('a heartbeat that stops makes the owner stale after the grace period; the next beat of another process reclaims its work', async () => {
    const d = tempDir();
    cleanup.push(() => d.remove());
    const wb = open(d.path, { ownership: { heartbeatMs: 100, graceMs: 600 } });
    cleanup.push(() => wb.close());
    const updates: JobInfo[] = [];
    wb.events.on((event, payload) => {
      if (event === 'job.updated') updates.push(payload as JobInfo);
    });
    const now = Date.now();
    wb.db.prepare("INSERT INTO owners (token, pid, host, mode, started_at, heartbeat_at) VALUES ('remote', 4242, 'another-host', 'cli', ?, ?)").run(now, now);
    const id = Number(wb.db.prepare("INSERT INTO jobs (kind, params, status, created_at, updated_at, owner) VALUES ('steps', '{}', 'running', 0, 0, 'remote')").run().lastInsertRowid);
    // the remote owner beats for a while: its job stays running
    for (let i = 0; i < 6; i++) {
      await sleep(150);
      wb.db.prepare("UPDATE owners SET heartbeat_at = ? WHERE token = 'remote'").run(Date.now());
      expect(wb.jobStore.get(id).status).toBe('running');
    }
    // then it stops beating: after the grace period it is gone, its job interrupted
    const stopped = Date.now();
    await until(() => wb.jobStore.get(id).status === 'interrupted', 5000, 'the stale job to be reclaimed');
    expect(Date.now() - stopped).toBeGreaterThanOrEqual(500);
    expect(updates.map((j) => [j.id, j.status])).toContainEqual([id, 'interrupted']);
    // our own heartbeat kept going all along
    const mine = wb.db.prepare('SELECT heartbeat_at FROM owners WHERE token = ?').get(wb.ownership.token) as { heartbeat_at: number };
    expect(Date.now() - mine.heartbeat_at).toBeLessThan(600);
  });
});

describe('a training taken over after a stall', () => {
  it('stops without writing its files once another process has taken its model, and leaves the model to that one', async () => {
    const d = tempDir();
    const wb = open(d.path);
    try {
      const { projectId, datasetId } = seedProject(wb);
      const job = ok<JobInfo>(await api(wb)('jobs.start', { kind: 'diffusion.train', projectId, params: { ...SMALL_NET, datasetIds: [datasetId], steps: 5000, name: 'stalled' } }));
      const model = await until(() => {
        const m = wb.models.list(projectId, 'diffusion').find((x) => x.name === 'stalled');
        return m && ((m.metrics as { step?: number }).step ?? 0) >= 10 ? m : undefined;
      }, 60_000, 'a checkpoint');
      // what another process does after it took this one for dead: interrupted, then resumed by its own job
      wb.db.prepare("INSERT INTO owners (token, pid, host, mode, started_at, heartbeat_at) VALUES ('elsewhere', 4242, 'another-host', 'cli', ?, ?)").run(Date.now(), Date.now());
      const other = Number(wb.db.prepare("INSERT INTO jobs (project_id, kind, params, status, created_at, updated_at, owner) VALUES (?, 'diffusion.train', '{}', 'running', 0, 0, 'elsewhere')").run(projectId).lastInsertRowid);
      wb.db.prepare("UPDATE models SET status = 'training', job_id = ? WHERE id = ?").run(other, model.id);
      const done = await wb.jobs.whenFinished(job.id);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/no longer this job's to train/);
      const after = wb.models.get(model.id);
      expect(after).toMatchObject({ status: 'training', jobId: other });
      expect(wb.models.hasFile(after, 'model.onnx')).toBe(false);
    } finally {
      await wb.close();
      d.remove();
    }
  }, 90_000);
});

describe('an import taken over after a stall', () => {
  it('fails with a clear message, not a foreign-key error, when another process removed it', async () => {
    const d = tempDir();
    const wb = open(d.path);
    try {
      const projectId = wb.projects.create({ name: 'S', environment: 'fluidtool-2d', settings: { joints: 4 } }).id;
      const csv = join(d.path, 'big.csv');
      bigCsv(csv, 200_000);
      const importing = api(wb)('datasets.importOptimization', { projectId, name: 'big', source: { path: csv } });
      const id = await until(() => (wb.db.prepare("SELECT id FROM datasets WHERE status = 'building'").get() as { id: number } | undefined)?.id, 20_000, 'the import to start');
      await until(() => (wb.db.prepare('SELECT COUNT(*) AS n FROM optimization_records WHERE dataset_id = ?').get(id) as { n: number }).n > 0, 20_000, 'rows');
      // what another process's reclaim does to an import whose owner it took for dead
      wb.db.prepare('DELETE FROM datasets WHERE id = ?').run(id);
      const e = err(await importing);
      expect(e.code).toBe('conflict');
      expect(e.message).toMatch(/removed by another workbench process/);
      expect((wb.db.prepare('SELECT COUNT(*) AS n FROM optimization_records').get() as { n: number }).n).toBe(0);
    } finally {
      await wb.close();
      d.remove();
    }
  }, 60_000);
});

describe('kill -9 mid-run, then reopen', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  async function setupFolder(): Promise<{ dir: string; projectId: number; datasetId: number }> {
    const d = tempDir();
    cleanup.push(() => d.remove());
    const wb = open(d.path);
    const seeded = seedProject(wb);
    await wb.close();
    return { dir: d.path, ...seeded };
  }
  function kill(c: Child): Promise<number | null> {
    c.proc.kill('SIGKILL');
    return c.exited;
  }
  function spawnJob(dir: string, kind: string, projectId: number, params: unknown): Child {
    const c = startChild(dir, { type: 'job', kind, projectId, params });
    cleanup.push(async () => {
      if (c.proc.exitCode === null && c.proc.signalCode === null) await kill(c);
    });
    return c;
  }
  function reopen(dir: string): Workbench {
    const wb = open(dir);
    cleanup.push(() => wb.close());
    expect(integrity(wb)).toBe('ok');
    return wb;
  }

  it('import: nothing of it is left', async () => {
    const { dir, projectId } = await setupFolder();
    const csv = join(dir, 'big.csv');
    bigCsv(csv, 300_000);
    const c = startChild(dir, { type: 'import', projectId, path: csv, name: 'big' });
    cleanup.push(async () => void (c.proc.exitCode === null && (await kill(c))));
    await until(() => (peek<{ n: number }>(dir, 'SELECT COUNT(*) AS n FROM optimization_records r JOIN datasets d ON d.id = r.dataset_id WHERE d.status = ?', 'building')?.n ?? 0) > 0, 30_000, 'rows of the import');
    await kill(c);
    const wb = reopen(dir);
    expect(wb.datasets.list(projectId).map((d) => d.name)).toEqual(['runs']);
    expect((wb.db.prepare("SELECT COUNT(*) AS n FROM optimization_records r JOIN datasets d ON d.id = r.dataset_id WHERE d.name = 'big'").get() as { n: number }).n).toBe(0);
  }, 60_000);

  it('generation (dataset.physics): the job is interrupted, the dataset incomplete with what was written', async () => {
    const { dir, projectId } = await setupFolder();
    const c = spawnJob(dir, 'dataset.physics', projectId, { count: 400, seed: 2 });
    const jobId = (await c.next('started')).jobId as number;
    await until(() => (peek<{ n: number }>(dir, 'SELECT COUNT(*) AS n FROM physics_trajectories')?.n ?? 0) > 0, 60_000, 'trajectories');
    await kill(c);
    const wb = reopen(dir);
    expect(wb.jobStore.get(jobId).status).toBe('interrupted');
    const ds = wb.datasets.list(projectId).find((x) => x.kind === 'physics')!;
    expect(ds.status).toBe('incomplete');
    expect(ds.stats.trajectories).toBe(wb.datasets.count(ds.id));
    expect(wb.datasets.count(ds.id)).toBeLessThan(400);
  }, 90_000);

  it('training (diffusion.train): interrupted at its last checkpoint; the resume reaches the same best loss as an uninterrupted run, and the CLI resume request works', async () => {
    const { dir, projectId, datasetId } = await setupFolder();
    const params = { ...SMALL_NET, datasetIds: [datasetId], steps: 300, name: 'killed' };
    const c = spawnJob(dir, 'diffusion.train', projectId, params);
    const jobId = (await c.next('started')).jobId as number;
    const killedAt = await until(() => {
      const m = peek<{ id: number; metrics: string; files: string }>(dir, "SELECT id, metrics, files FROM models WHERE name = 'killed'");
      const step = m ? (JSON.parse(m.metrics) as { step?: number }).step ?? 0 : 0;
      return step >= 20 ? { id: m!.id, step } : undefined;
    }, 60_000, 'a checkpoint');
    await kill(c);
    const wb = reopen(dir);
    expect(wb.jobStore.get(jobId).status).toBe('interrupted');
    const model = wb.models.get(killedAt.id);
    expect(model.status).toBe('interrupted');
    expect(model.files.every((f) => wb.models.hasFile(model, f))).toBe(true);
    expect((model.metrics as { step: number }).step).toBeLessThan(300);

    const call = api(wb);
    // the request `idw diffusion train --resume <id>` makes: the model's datasets and budget
    const request = diffusionTrainParams(wb, { datasets: undefined, resume: model.id } as never);
    expect(request).toMatchObject({ datasetIds: [datasetId], steps: 300, resumeModelId: model.id });
    const resumed = await wb.jobs.whenFinished(ok<JobInfo>(await call('jobs.start', { kind: 'diffusion.train', projectId, params: request })).id);
    expect(resumed.error).toBeNull();
    const whole = await wb.jobs.whenFinished(ok<JobInfo>(await call('jobs.start', { kind: 'diffusion.train', projectId, params: { ...params, name: 'whole' } })).id);
    expect(whole.error).toBeNull();
    const a = wb.models.get(model.id);
    const b = wb.models.get((whole.result as { modelId: number }).modelId);
    expect(a.status).toBe('ready');
    const curve = (m: ModelInfo) => (m.metrics as { valLoss: [number, number][] }).valLoss;
    expect(curve(a).map((p) => p[0])).toEqual(curve(b).map((p) => p[0]));
    curve(a).forEach(([, loss], i) => expect(loss).toBeCloseTo(curve(b)[i]![1], 5));
    expect((a.metrics as { bestValLoss: number }).bestValLoss).toBeCloseTo((b.metrics as { bestValLoss: number }).bestValLoss, 5);
  }, 180_000);

  it('sampling (sample): the job is interrupted, no design of the run is kept', async () => {
    const { dir, projectId, datasetId } = await setupFolder();
    // a small ready prior to sample from, trained here
    {
      const wb = open(dir);
      const job = ok<JobInfo>(await api(wb)('jobs.start', { kind: 'diffusion.train', projectId, params: { ...SMALL_NET, datasetIds: [datasetId], steps: 10 } }));
      expect((await wb.jobs.whenFinished(job.id)).status).toBe('succeeded');
      await wb.close();
    }
    const c = spawnJob(dir, 'sample', projectId, { count: 64, ddimSteps: 8, particles: { enabled: true, count: 64, rounds: 20, estimatorSteps: 2 }, task: [0.4, 0.07], seed: 4 });
    const jobId = (await c.next('started')).jobId as number;
    await until(() => (peek<{ n: number }>(dir, "SELECT COUNT(*) AS n FROM simulator_queries WHERE method LIKE 'ddm%'")?.n ?? 0) > 0, 60_000, 'queries of the sampling');
    await kill(c);
    const wb = reopen(dir);
    const job = wb.jobStore.get(jobId);
    expect(job.status).toBe('interrupted');
    expect(job.result).toBeNull();
    expect((wb.db.prepare("SELECT COUNT(*) AS n FROM designs WHERE method LIKE 'ddm%'").get() as { n: number }).n).toBe(0);
  }, 120_000);
});
