import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import { ComputePool } from '../../src-main/engine/compute/pool';
import { QueueCompute } from '../../src-main/engine/compute/queue';
import { checkRedisUrl, GROUND_TRUTH_QUEUE, redactRedisUrl, settingsHash } from '../../src-main/engine/compute/queue-protocol';
import { openDatabase } from '../../src-main/engine/storage/database';
import { QueryStore } from '../../src-main/engine/storage/queries';
import { AppSettings } from '../../src-main/engine/storage/app-settings';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import { asKind, type JobInfo } from '../../src-shared/api';
import type { ApiEnvelope } from '../../src-shared/errors';
import { COMPUTE_ENTRY, ok, tempDir, testWorkbench, tinyOptimizationDataset } from './helpers';
import { redisServerBinary, selfSignedCertificate, startRedis, type TestRedis } from './redis-server';
import { spawnJsonLines, type JsonLinesChild } from './json-lines-child';

// The ground-truth queue (compute/queue.ts, compute/queue-worker.ts): batches of rollouts sent to
// Redis through BullMQ, run by worker processes, stored by the owning process once per batch.

const WORKER = join(process.cwd(), 'test/fixtures/queue-worker.ts');
const OWNER = join(process.cwd(), 'test/fixtures/queue-owner.ts');
// a tiny environment, as in optimizers.test.ts: the machine is slow
const SMALL_PROJECT = { particles: 36, frames: 14, joints: 4 };

describe('queue protocol and storage (no Redis)', () => {
  it('a batch recorded twice writes its rows once and returns the same first id', () => {
    const dir = tempDir();
    const db = openDatabase(join(dir.path, 'w.db'));
    try {
      db.prepare("INSERT INTO projects (id, name, environment, settings, design_space, task_space, created_at, updated_at) VALUES (1, 'p', 'fluidtool-2d', '{}', '{}', '{}', 0, 0)").run();
      const store = new QueryStore(db);
      const rows = [0, 1, 2].map((i) => ({ projectId: 1, design: [i, i], task: [0, 0], simulator: 'ground_truth' as const, cost: i, wallMs: 1, method: 'm' }));
      const first = store.record(rows, { batchId: 'b-1' });
      expect(store.record(rows, { batchId: 'b-1' })).toBe(first);
      expect(store.count(1)).toBe(3);
      // another batch, and unkeyed rows, are written
      store.record(rows, { batchId: 'b-2' });
      store.record(rows);
      store.record(rows);
      expect(store.count(1)).toBe(12);
      // the index itself refuses a duplicate (batch, index), whatever writes it
      expect(() => db.prepare("INSERT INTO simulator_queries (project_id, design, task, simulator, cost, wall_ms, method, created_at, batch_id, batch_index) VALUES (1, x'00', x'00', 'ground_truth', 0, 0, 'm', 0, 'b-1', 0)").run()).toThrow(/UNIQUE/);
    } finally {
      db.close();
      dir.remove();
    }
  });

  it('the settings hash changes with the settings and the environment version, not with key order', () => {
    const a = settingsHash('fluidtool-2d', FLUIDTOOL2D_DEFAULTS);
    const reordered = Object.fromEntries(Object.entries(FLUIDTOOL2D_DEFAULTS).reverse()) as typeof FLUIDTOOL2D_DEFAULTS;
    expect(settingsHash('fluidtool-2d', reordered)).toBe(a);
    expect(settingsHash('fluidtool-2d', { ...FLUIDTOOL2D_DEFAULTS, particles: FLUIDTOOL2D_DEFAULTS.particles + 1 })).not.toBe(a);
    expect(settingsHash('fluidtool-2d', FLUIDTOOL2D_DEFAULTS, 'fluidtool-2d/other')).not.toBe(a);
  });

  it('Redis URLs: redis:// and rediss:// only; passwords never shown; ioredis reads password and TLS from the URL', () => {
    expect(() => checkRedisUrl('http://x:6379')).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => checkRedisUrl('not a url')).toThrow(/not a Redis URL/);
    expect(redactRedisUrl('redis://:s3cret@host:6379/2')).toBe('redis://:***@host:6379/2');
    const tls = new Redis('rediss://user:pw@example.invalid:6380/3', { lazyConnect: true });
    expect(tls.options).toMatchObject({ host: 'example.invalid', port: 6380, username: 'user', password: 'pw', db: 3 });
    expect(tls.options.tls).toBeTruthy();
    tls.disconnect();
    const plain = new Redis('redis://:pw@example.invalid:6379', { lazyConnect: true });
    expect(plain.options.tls).toBeFalsy();
    expect(plain.options.password).toBe('pw');
    plain.disconnect();
  });

  it('an unreachable Redis: the rollouts run on the local pool, with a notice naming it', async () => {
    const notices: string[] = [];
    const local = new ComputePool({ size: 0 });
    const q = new QueueCompute({ url: 'redis://127.0.0.1:1', local, connectTimeoutMs: 1000, notice: (m) => notices.push(m) });
    try {
      const args = { environment: 'fluidtool-2d' as const, settings: { ...FLUIDTOOL2D_DEFAULTS, ...SMALL_PROJECT }, design: new Float32Array(8).fill(0.1), task: Float32Array.of(0.5, 0.5), keepRollout: false };
      const [viaFallback] = await q.map('rollout', [args]);
      const [direct] = await local.map('rollout', [args]);
      expect(q.mode).toBe('local');
      expect(viaFallback!.cost).toBe(direct!.cost);
      expect(notices.join('\n')).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1 could not be reached or refused the connection .*local pool/);
    } finally {
      await q.close();
      await local.close();
    }
  });
});

const redisBinary = redisServerBinary();
if (!redisBinary.path) console.warn(`[queue.test] ${redisBinary.reason}`);

type WorkerProc = JsonLinesChild;

function startWorker(url: string, extra: Record<string, unknown> = {}, env: Record<string, string> = {}): WorkerProc {
  return spawnJsonLines(WORKER, { url, computeFile: COMPUTE_ENTRY, concurrency: 1, lockDurationMs: 2000, stalledIntervalMs: 500, ...extra }, 'queue worker', env);
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

async function stopWorker(w: WorkerProc): Promise<void> {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  w.proc.kill('SIGTERM');
  const timer = setTimeout(() => w.proc.kill('SIGKILL'), 5000);
  await w.exited;
  clearTimeout(timer);
}

/** the stored queries of a run, as comparable rows: design, task and cost (order-free) */
function storedQueries(wb: ReturnType<typeof testWorkbench>['wb'], projectId: number, method: string): string[] {
  return wb.queries
    .list(projectId, 100_000, 0, { method })
    .map((q) => `${Array.from(q.design).join(',')}|${Array.from(q.task).join(',')}|${q.cost}|${q.capture}`)
    .sort();
}

describe.skipIf(!redisBinary.path)('ground-truth queue through Redis and worker processes', () => {
  let redis: TestRedis;
  const workers: WorkerProc[] = [];
  beforeAll(async () => {
    // append-only: a restarted server keeps its queue (the restart test)
    redis = await startRedis({ appendOnly: true });
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map(stopWorker));
    // each test starts from an empty queue
    const c = new Redis(redis.url);
    await c.flushall();
    c.disconnect();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  /** the same server again, on its port and folder (its append-only file); empty: its data gone */
  async function restartRedis(opts: { empty?: boolean } = {}): Promise<void> {
    await redis.stop();
    if (opts.empty) rmSync(redis.dir, { recursive: true, force: true });
    if (opts.empty) mkdirSync(redis.dir);
    redis = await startRedis({ appendOnly: true, port: redis.port, dir: redis.dir });
  }

  async function workbenchOn(url: string | null, queue: Record<string, unknown> = {}, settings: Record<string, number> = SMALL_PROJECT) {
    // a cancel is never forced here (10 s): the cancel test sees the queue stop waiting by itself
    const t = testWorkbench({ jobs: { computeSize: 2, cancelGraceMs: 10_000 }, queue: { batchSize: 2, connectTimeoutMs: 2000, ...queue } });
    if (url) new AppSettings(t.wb.db).setRedisUrl(url);
    const handlers = createHandlers(t.wb);
    const call = (m: string, a: unknown): Promise<ApiEnvelope<unknown>> => dispatch(handlers, m, a);
    const projectId = t.wb.projects.create({ name: 'Queue', environment: 'fluidtool-2d', settings }).id;
    return { t, call, projectId };
  }

  async function runJob(w: Awaited<ReturnType<typeof workbenchOn>>, kind: string, params: unknown): Promise<JobInfo> {
    const started = ok<JobInfo>(await w.call('jobs.start', { kind, projectId: w.projectId, params }));
    return w.t.wb.jobs.whenFinished(started.id);
  }

  it('a CEM run and a physics dataset through two workers store the same queries as the local pool', async () => {
    const local = await workbenchOn(null);
    const queued = await workbenchOn(redis.url);
    try {
      workers.push(startWorker(redis.url), startWorker(redis.url));
      await Promise.all(workers.map((w) => w.next('ready')));
      const cem = { optimizer: 'cem', budget: 24, seed: 7, cem: { population: 8 } };
      const a = await runJob(local, 'optimize', cem);
      const b = await runJob(queued, 'optimize', cem);
      expect(a.error).toBeNull();
      expect(b.error).toBeNull();
      expect(b.status).toBe('succeeded');
      const localRows = storedQueries(local.t.wb, local.projectId, 'cem');
      expect(localRows).toHaveLength(24);
      expect(storedQueries(queued.t.wb, queued.projectId, 'cem')).toEqual(localRows);
      // the same best design and the same optimization records
      const best = (j: JobInfo) => (j.result as { best: { cost: number; design: number[] } }).best;
      expect(best(b)).toMatchObject({ cost: best(a).cost, design: best(a).design });
      // every query came through the queue, in batches of 2, by both workers
      // (a worker reports "completed" just after the owner has its result: wait for the last lines)
      const designsDone = () => workers.flatMap((w) => w.events.filter((e) => e.event === 'completed')).reduce((s, e) => s + (e.designs as number), 0);
      await until(() => designsDone() >= 24, 5000);
      expect(designsDone()).toBe(24);
      expect(workers.every((w) => w.events.some((e) => e.event === 'completed'))).toBe(true);
      const batched = queued.t.wb.db.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT batch_id) AS b FROM simulator_queries WHERE method = 'cem'").get() as { n: number; b: number };
      expect(batched).toEqual({ n: 24, b: 12 });

      const ds = { count: 6, seed: 4, name: 'via queue' };
      const pa = await runJob(local, 'dataset.physics', ds);
      const pb = await runJob(queued, 'dataset.physics', ds);
      expect(pb.error).toBeNull();
      expect(pa.status).toBe('succeeded');
      expect(pb.status).toBe('succeeded');
      const localData = storedQueries(local.t.wb, local.projectId, 'dataset.physics');
      expect(localData).toHaveLength(6);
      expect(storedQueries(queued.t.wb, queued.projectId, 'dataset.physics')).toEqual(localData);
      const traj = (wb: typeof local.t.wb) =>
        (wb.db.prepare('SELECT design, task, cost, positions FROM physics_trajectories ORDER BY cost').all() as { design: Buffer; task: Buffer; cost: number; positions: Buffer }[]).map(
          (r) => `${r.design.toString('hex')}|${r.task.toString('hex')}|${r.cost}|${createHash('sha256').update(r.positions).digest('hex')}`,
        );
      expect(traj(queued.t.wb)).toEqual(traj(local.t.wb));
    } finally {
      await local.t.dispose();
      await queued.t.dispose();
    }
  }, 180_000);

  it('a worker killed with SIGKILL mid-batch: its batch runs again on the other worker, nothing lost or duplicated', async () => {
    // the default particles and frames, batches of 8: a batch takes long enough to be killed in
    const settings = { joints: 4 };
    const local = await workbenchOn(null, {}, settings);
    const queued = await workbenchOn(redis.url, { batchSize: 8 }, settings);
    try {
      const victim = startWorker(redis.url);
      const survivor = startWorker(redis.url);
      workers.push(victim, survivor);
      await Promise.all(workers.map((w) => w.next('ready')));
      // two batches of 8 at once per iteration: each idle worker takes one
      const cem = { optimizer: 'cem', budget: 32, seed: 11, cem: { population: 16 } };
      const started = ok<JobInfo>(await queued.call('jobs.start', { kind: 'optimize', projectId: queued.projectId, params: cem }));
      const active = await victim.next('active');
      victim.proc.kill('SIGKILL');
      await victim.exited;
      const b = await queued.t.wb.jobs.whenFinished(started.id);
      expect(b.error).toBeNull();
      expect(b.status).toBe('succeeded');
      // the batch the victim held was run by the survivor (BullMQ's stalled-job check)
      await until(() => survivor.events.some((e) => e.event === 'completed' && e.batchId === active.batchId), 5000);
      expect(survivor.events.some((e) => e.event === 'completed' && e.batchId === active.batchId)).toBe(true);
      const a = await runJob(local, 'optimize', cem);
      const rows = storedQueries(queued.t.wb, queued.projectId, 'cem');
      expect(rows).toHaveLength(32);
      expect(rows).toEqual(storedQueries(local.t.wb, local.projectId, 'cem'));
      const keys = queued.t.wb.db.prepare("SELECT COUNT(DISTINCT batch_id || ':' || batch_index) AS n, COUNT(DISTINCT batch_id) AS b FROM simulator_queries WHERE method = 'cem'").get() as { n: number; b: number };
      expect(keys).toEqual({ n: 32, b: 4 });
      expect(a.status).toBe('succeeded');
    } finally {
      await local.t.dispose();
      await queued.t.dispose();
    }
  }, 180_000);

  it('Redis restarted mid-run within the grace period: the run waits and completes', async () => {
    const queued = await workbenchOn(redis.url, { disconnectGraceMs: 20_000 });
    try {
      const w = startWorker(redis.url);
      workers.push(w);
      await w.next('ready');
      const started = ok<JobInfo>(await queued.call('jobs.start', { kind: 'dataset.physics', projectId: queued.projectId, params: { count: 12, seed: 5 } }));
      await w.next('completed');
      await restartRedis();
      const job = await queued.t.wb.jobs.whenFinished(started.id);
      expect(job.error).toBeNull();
      expect(job.status).toBe('succeeded');
      expect(storedQueries(queued.t.wb, queued.projectId, 'dataset.physics')).toHaveLength(12);
    } finally {
      await queued.t.dispose();
    }
  }, 180_000);

  it('Redis restarted without its data mid-run: the lost batches are sent again and the run stores each query once', async () => {
    const queued = await workbenchOn(redis.url, { disconnectGraceMs: 20_000 });
    try {
      const w = startWorker(redis.url);
      workers.push(w);
      await w.next('ready');
      const started = ok<JobInfo>(await queued.call('jobs.start', { kind: 'dataset.physics', projectId: queued.projectId, params: { count: 12, seed: 8 } }));
      await w.next('completed');
      await restartRedis({ empty: true });
      const job = await queued.t.wb.jobs.whenFinished(started.id);
      expect(job.error).toBeNull();
      expect(job.status).toBe('succeeded');
      const local = await workbenchOn(null);
      try {
        await runJob(local, 'dataset.physics', { count: 12, seed: 8 });
        expect(storedQueries(queued.t.wb, queued.projectId, 'dataset.physics')).toEqual(storedQueries(local.t.wb, local.projectId, 'dataset.physics'));
      } finally {
        await local.t.dispose();
      }
      expect(queued.t.wb.db.prepare('SELECT COUNT(*) AS n FROM physics_trajectories').get()).toEqual({ n: 12 });
    } finally {
      await queued.t.dispose();
    }
  }, 180_000);

  it('Redis stopped mid-run: the job fails saying so and keeps the queries that came back', async () => {
    const queued = await workbenchOn(redis.url, { disconnectGraceMs: 1500 });
    try {
      const w = startWorker(redis.url);
      workers.push(w);
      await w.next('ready');
      // enough batches that the worker is far from done when Redis stops (a rollout takes ~30 ms)
      const started = ok<JobInfo>(await queued.call('jobs.start', { kind: 'dataset.physics', projectId: queued.projectId, params: { count: 400, seed: 6 } }));
      await w.next('completed');
      await redis.stop();
      const job = await queued.t.wb.jobs.whenFinished(started.id);
      expect(job.status).toBe('failed');
      expect(job.error).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ was unreachable for more than 1\.5 s.*queries of the batches that came back are stored/);
      const kept = storedQueries(queued.t.wb, queued.projectId, 'dataset.physics').length;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(400);
      expect(kept % 2).toBe(0); // whole batches of 2
      const ds = queued.t.wb.db.prepare('SELECT status, (SELECT COUNT(*) FROM physics_trajectories t WHERE t.dataset_id = d.id) AS n FROM datasets d').get() as { status: string; n: number };
      expect(ds).toEqual({ status: 'incomplete', n: kept });
    } finally {
      await queued.t.dispose();
      await restartRedis();
    }
  }, 180_000);

  it('a job cancelled while its batches wait: it stops at once and its batches not started leave the queue', async () => {
    const queued = await workbenchOn(redis.url);
    const c = new Redis(redis.url);
    try {
      // no worker: the batches wait
      const started = ok<JobInfo>(await queued.call('jobs.start', { kind: 'dataset.physics', projectId: queued.projectId, params: { count: 8, seed: 3 } }));
      const waiting = async () => Number(await c.llen(`bull:${GROUND_TRUTH_QUEUE}:wait`));
      const end = Date.now() + 20_000;
      while ((await waiting()) < 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(await waiting()).toBe(4);
      const t0 = Date.now();
      await queued.call('jobs.cancel', { id: started.id });
      const job = await queued.t.wb.jobs.whenFinished(started.id);
      expect(job.status).toBe('cancelled');
      expect(Date.now() - t0).toBeLessThan(5000); // long before the 10 s forced stop
      await until(() => false, 300);
      expect(await waiting()).toBe(0);
      expect(storedQueries(queued.t.wb, queued.projectId, 'dataset.physics')).toHaveLength(0);
    } finally {
      c.disconnect();
      await queued.t.dispose();
    }
  }, 60_000);

  it('a worker of another environment version refuses the batch: the job fails with its message', async () => {
    const queued = await workbenchOn(redis.url);
    try {
      const w = startWorker(redis.url, { environmentVersion: 'fluidtool-2d/mpm-0' });
      workers.push(w);
      await w.next('ready');
      const job = await runJob(queued, 'optimize', { optimizer: 'cem', budget: 8, seed: 1, cem: { population: 8 } });
      expect(job.status).toBe('failed');
      expect(job.error).toMatch(/refused batch .*version fluidtool-2d\/mpm-0 .*the batch's is version fluidtool-2d\/mpm-1/);
      // refused at once, not retried
      expect(job.error).toMatch(/after 1 try/);
      expect(storedQueries(queued.t.wb, queued.projectId, 'cem')).toHaveLength(0);
    } finally {
      await queued.t.dispose();
    }
  }, 120_000);

  it('a call of many batches at once: all come back in order, no listener-leak warning', async () => {
    const w = startWorker(redis.url);
    workers.push(w);
    await w.next('ready');
    const local = new ComputePool({ size: 0 });
    const q = new QueueCompute({ url: redis.url, local, batchSize: 1 });
    const warnings: string[] = [];
    const onWarning = (wng: Error): void => void warnings.push(wng.message);
    process.on('warning', onWarning);
    try {
      const rand = (i: number) => new Float32Array(4).map((_, k) => Math.sin(i * 7 + k) * 0.3);
      const args = Array.from({ length: 24 }, (_, i) => ({ environment: 'fluidtool-2d' as const, settings: { ...FLUIDTOOL2D_DEFAULTS, ...SMALL_PROJECT }, design: rand(i), task: Float32Array.of(0.5, 0.1), keepRollout: false }));
      const viaQueue = await q.map('rollout', args);
      const direct = await local.map('rollout', args);
      expect(viaQueue.map((o) => o.cost)).toEqual(direct.map((o) => o.cost));
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((m) => /MaxListeners|memory leak/.test(m))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await q.close();
      await local.close();
    }
  }, 60_000);

  it('a batch that fails on every try fails its call with the worker\'s error after 3 tries', async () => {
    const w = startWorker(redis.url);
    workers.push(w);
    await w.next('ready');
    const local = new ComputePool({ size: 0 });
    const q = new QueueCompute({ url: redis.url, local });
    try {
      // 7 states per frame do not divide the substeps: the rollout throws in the worker
      const args = { environment: 'fluidtool-2d' as const, settings: { ...FLUIDTOOL2D_DEFAULTS, ...SMALL_PROJECT }, design: new Float32Array(8).fill(0.1), task: Float32Array.of(0.5, 0.5), keepRollout: true, stepsPerFrame: 7 };
      await expect(q.map('rollout', [args])).rejects.toThrow(/failed on the queue after 3 tries: 7 steps per frame do not divide/);
    } finally {
      await q.close();
      await local.close();
    }
  }, 60_000);

  it('a password-protected Redis: the password in the URL works; a wrong one falls back to the local pool saying so', async () => {
    const locked = await startRedis({ password: 'p@ss word' });
    const local = new ComputePool({ size: 0 });
    try {
      expect(locked.url).toContain(':p%40ss%20word@');
      const w = startWorker(locked.url);
      workers.push(w);
      await w.next('ready');
      const args = { environment: 'fluidtool-2d' as const, settings: { ...FLUIDTOOL2D_DEFAULTS, ...SMALL_PROJECT }, design: new Float32Array(8).fill(0.2), task: Float32Array.of(0.5, 0.5), keepRollout: false };
      const q = new QueueCompute({ url: locked.url, local });
      const [viaQueue] = await q.map('rollout', [args]);
      expect(q.mode).toBe('queue');
      await q.close();
      const [direct] = await local.map('rollout', [args]);
      expect(viaQueue!.cost).toBe(direct!.cost);
      expect(Array.from(viaQueue!.outcome)).toEqual(Array.from(direct!.outcome));
      const notices: string[] = [];
      const wrong = new QueueCompute({ url: `redis://:wrong@127.0.0.1:${locked.port}`, local, connectTimeoutMs: 2000, notice: (m) => notices.push(m) });
      await wrong.map('rollout', [args]);
      expect(wrong.mode).toBe('local');
      expect(notices.join('\n')).toMatch(/redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ could not be reached or refused the connection \((WRONGPASS|NOAUTH|ERR)[^)]*\).*local pool/);
      await wrong.close();
    } finally {
      await local.close();
      await Promise.all(workers.splice(0).map(stopWorker));
      await locked.dispose();
    }
  }, 60_000);

  it('TLS (rediss://) with a private CA: trusted through NODE_EXTRA_CA_CERTS, the rollout goes through the queue; untrusted, the local pool runs it, saying why', async (ctx) => {
    const dir = tempDir();
    const cert = selfSignedCertificate(dir.path);
    if ('reason' in cert) {
      console.warn(`[queue.test] ${cert.reason}`);
      dir.remove();
      ctx.skip();
      return;
    }
    const secure = await startRedis({ tls: cert, password: 'tls pass' });
    const local = new ComputePool({ size: 0 });
    const trust = { NODE_EXTRA_CA_CERTS: cert.certFile };
    try {
      expect(secure.url).toMatch(/^rediss:\/\/:tls%20pass@127\.0\.0\.1:\d+$/);
      const w = startWorker(secure.url, {}, trust);
      workers.push(w);
      await w.next('ready');
      const spec = { url: secure.url, settings: SMALL_PROJECT, design: Array.from({ length: 8 }, (_, k) => 0.1 * (k - 4)), task: [0.5, 0.5] };
      const owner = spawnJsonLines(OWNER, spec, 'queue owner', trust);
      const viaTls = await owner.next('result');
      expect(viaTls.mode).toBe('queue');
      await w.next('completed');
      const settings = { ...FLUIDTOOL2D_DEFAULTS, ...SMALL_PROJECT };
      const [direct] = await local.map('rollout', [{ environment: 'fluidtool-2d' as const, settings, design: Float32Array.from(spec.design), task: Float32Array.from(spec.task), keepRollout: false }]);
      expect(viaTls.cost).toBe(direct!.cost);
      expect(viaTls.outcome).toEqual(Array.from(direct!.outcome));
      // without the CA the server's certificate is refused: no plaintext, no unchecked TLS
      const untrusting = spawnJsonLines(OWNER, { ...spec, connectTimeoutMs: 3000 }, 'queue owner');
      const refused = await untrusting.next('result');
      expect(refused.mode).toBe('local');
      expect(refused.cost).toBe(direct!.cost);
      expect((refused.notices as string[]).join('\n')).toMatch(/rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ could not be reached or refused the connection \([^)]*certificate[^)]*\).*local pool/);
    } finally {
      await local.close();
      await Promise.all(workers.splice(0).map(stopWorker));
      await secure.dispose();
      dir.remove();
    }
  }, 60_000);

  /**
   * The same training on a worker process (queue: true) and here: both models ready, said where
   * they trained, with the same validation curve and the same weights byte for byte.
   */
  async function trainedBothWays<K extends 'diffusion' | 'outcome' | 'simulator'>(
    jobKind: 'diffusion.train' | 'outcome.train' | 'gns.train',
    modelKind: K,
    params: Record<string, unknown> & { steps: number },
    data: (on: Awaited<ReturnType<typeof workbenchOn>>) => Promise<Record<string, unknown>> = async () => ({}),
  ) {
    const w = await workbenchOn(redis.url);
    const local = await workbenchOn(null);
    const dispose = async (): Promise<void> => {
      await w.t.dispose();
      await local.t.dispose();
    };
    try {
      const worker = startWorker(redis.url);
      workers.push(worker);
      await worker.next('ready');
      const remote = await runJob(w, jobKind, { ...params, ...(await data(w)), queue: true });
      expect(remote.error).toBeNull();
      await worker.next('log', (m) => new RegExp(`training \\S+ done at step ${params.steps}$`).test(String(m.line)));
      const model = asKind(w.t.wb.models.get((remote.result as { modelId: number }).modelId), modelKind);
      expect(model.status).toBe('ready');
      expect(model.metrics.trainedOn).toMatch(/^queue worker /);
      const here = await runJob(local, jobKind, { ...params, ...(await data(local)) });
      const herModel = asKind(local.t.wb.models.get((here.result as { modelId: number }).modelId), modelKind);
      expect(herModel.metrics.trainedOn).toBe('here');
      expect(model.metrics.valLoss).toEqual(herModel.metrics.valLoss);
      expect(w.t.wb.models.readFile(model, 'weights.bin').equals(local.t.wb.models.readFile(herModel, 'weights.bin'))).toBe(true);
      return { local, model, herModel, dispose };
    } catch (err) {
      await dispose();
      throw err;
    }
  }

  it('a diffusion training with `queue`: a worker process trains it, its curves and checkpoints land here, and the model equals one trained here', async () => {
    const params = { steps: 40, width: 16, blocks: 1, timesteps: 20, batchSize: 32, evalEvery: 10, seed: 5 };
    const dataset = async (on: Awaited<ReturnType<typeof workbenchOn>>) => ({ datasetIds: [tinyOptimizationDataset(on.t.wb, on.projectId, 3)] });
    const { local, model, dispose } = await trainedBothWays('diffusion.train', 'diffusion', params, dataset);
    try {
      // every evaluation's curve point and checkpoint came back from the worker
      expect(model.metrics.valLoss).toHaveLength(4);
      expect(model.files).toEqual(expect.arrayContaining(['model.onnx', 'model.json', 'weights.bin', 'checkpoint.json', 'checkpoint.bin']));
      // asked for the queue with none set: trained here
      const unset = await runJob(local, 'diffusion.train', { ...params, steps: 10, ...(await dataset(local)), queue: true });
      expect(unset.status).toBe('succeeded');
      expect(asKind(local.t.wb.models.get((unset.result as { modelId: number }).modelId), 'diffusion').metrics.trainedOn).toBe('here');
    } finally {
      await dispose();
    }
  }, 120_000);

  it('an outcome-model training with `queue`: its rollouts and its training on a worker, the same model as one made here', async () => {
    const params = { generate: 40, steps: 60, evalEvery: 20, hidden: [16, 16], batchSize: 16, fidelityTasks: 2, seed: 4 };
    const { model, herModel, dispose } = await trainedBothWays('outcome.train', 'outcome', params);
    try {
      expect(model.metrics.valLoss).toHaveLength(3);
      expect(model.metrics.valCostLoss).toEqual(expect.any(Number));
      expect(model.metrics.fidelity).toEqual(herModel.metrics.fidelity);
    } finally {
      await dispose();
    }
  }, 120_000);

  it('a GNS training with `queue`: trained on a worker process (its data parallelism there), the same model as one trained here', async () => {
    const params = { latent: 16, messagePassingSteps: 2, mlpLayers: 1, radius: 0.03, batchSize: 2, steps: 20, evalEvery: 10, patience: 50, fidelityDesigns: 0, seed: 5 };
    const physics = async (on: Awaited<ReturnType<typeof workbenchOn>>) => ({ datasetIds: [((await runJob(on, 'dataset.physics', { count: 6, seed: 2 })).result as { datasetId: number }).datasetId] });
    const { model, dispose } = await trainedBothWays('gns.train', 'simulator', params, physics);
    try {
      expect(model.metrics.trainingThreads).toBe(2);
    } finally {
      await dispose();
    }
  }, 120_000);

  it('a worker killed with SIGKILL mid-training: another worker takes the training over from its last checkpoint', async () => {
    const w = await workbenchOn(redis.url);
    try {
      const datasetId = tinyOptimizationDataset(w.t.wb, w.projectId, 7);
      const first = startWorker(redis.url);
      workers.push(first);
      await first.next('ready');
      const started = ok<JobInfo>(await w.call('jobs.start', { kind: 'diffusion.train', projectId: w.projectId, params: { datasetIds: [datasetId], steps: 3000, evalEvery: 50, patience: 100, width: 16, blocks: 1, timesteps: 20, batchSize: 32, queue: true } }));
      await first.next('log', (m) => /training \S+: 3000 steps at most/.test(String(m.line)));
      // an evaluation or two came back, then the worker dies
      const evaluated = (): number => ((w.t.wb.models.list(w.projectId).find((m) => m.kind === 'diffusion')?.metrics as { valLoss?: unknown[] } | undefined)?.valLoss ?? []).length;
      await until(() => evaluated() >= 2, 30_000);
      first.proc.kill('SIGKILL');
      await first.exited;
      const second = startWorker(redis.url);
      workers.push(second);
      const resumed = await second.next('log', (m) => /training \S+ resumed at step \d+/.test(String(m.line)));
      const at = Number(/resumed at step (\d+)/.exec(String(resumed.line))![1]);
      // the last checkpoint the first worker kept (its write may trail the curve point this test saw by one evaluation)
      expect(at).toBeGreaterThanOrEqual(50);
      const done = await w.t.wb.jobs.whenFinished(started.id);
      expect(done.status).toBe('succeeded');
      const model = asKind(w.t.wb.models.get((done.result as { modelId: number }).modelId), 'diffusion');
      expect(model.metrics.trainedOn).toMatch(/resumed at step \d+$/);
      // one curve: every evaluation once, in order, to the end
      const steps = (model.metrics.valLoss ?? []).map(([step]) => step);
      expect(steps).toEqual(Array.from({ length: 60 }, (_, i) => 50 * (i + 1)));
    } finally {
      await w.t.dispose();
    }
  }, 120_000);

  it('a queued training cancelled: the job ends at once and the worker stops training at its next step', async () => {
    const w = await workbenchOn(redis.url);
    try {
      const datasetId = tinyOptimizationDataset(w.t.wb, w.projectId, 8);
      const worker = startWorker(redis.url);
      workers.push(worker);
      await worker.next('ready');
      const started = ok<JobInfo>(await w.call('jobs.start', { kind: 'diffusion.train', projectId: w.projectId, params: { datasetIds: [datasetId], steps: 1_000_000, evalEvery: 100_000, width: 16, blocks: 1, timesteps: 20, batchSize: 32, queue: true } }));
      await worker.next('log', (m) => /training \S+: 1000000 steps at most/.test(String(m.line)));
      const t0 = Date.now();
      ok(await w.call('jobs.cancel', { id: started.id }));
      const done = await w.t.wb.jobs.whenFinished(started.id);
      expect(done.status).toBe('cancelled');
      await worker.next('log', (m) => /training \S+ ended: The training was stopped by the job that owns it/.test(String(m.line)));
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await w.t.dispose();
    }
  }, 60_000);

  it('a job with the queue unreachable runs on the local pool and its messages say so', async () => {
    const queued = await workbenchOn('redis://127.0.0.1:1', { connectTimeoutMs: 1000 });
    const messages: string[] = [];
    const off = queued.t.wb.events.on((event, payload) => {
      if (event === 'job.updated') messages.push((payload as JobInfo).message ?? '');
    });
    try {
      const job = await runJob(queued, 'dataset.physics', { count: 4, seed: 2 });
      expect(job.status).toBe('succeeded');
      // the notice, then every progress message, say where the rollouts ran
      expect(messages.some((m) => /could not be reached or refused the connection \(connect ECONNREFUSED 127\.0\.0\.1:1\).*local pool/.test(m) || /local pool: the Redis queue was unreachable/.test(m))).toBe(true);
      expect(messages.filter((m) => /^\d+ of 4 rollouts/.test(m)).every((m) => m.endsWith('(local pool: the Redis queue was unreachable)'))).toBe(true);
      expect(storedQueries(queued.t.wb, queued.projectId, 'dataset.physics')).toHaveLength(4);
    } finally {
      off();
      await queued.t.dispose();
    }
  }, 60_000);

  it('idw queue set / status and idw doctor show the queue, its workers and the designs they ran; bad URLs are refused', async () => {
    // BullMQ's own lock and stalled-check timings, as idw worker runs
    const w = startWorker(redis.url, { lockDurationMs: undefined, stalledIntervalMs: undefined });
    workers.push(w);
    const ready = await w.next('ready');
    const local = new ComputePool({ size: 0 });
    const q = new QueueCompute({ url: redis.url, local });
    const dir = tempDir();
    const idw = (...args: string[]) => {
      const r = spawnSync(process.execPath, [join(process.cwd(), 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(process.cwd(), 'src-main', 'cli', 'idw.ts'), '--data-dir', dir.path, ...args], { encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
    };
    try {
      const args = { environment: 'fluidtool-2d' as const, settings: { ...FLUIDTOOL2D_DEFAULTS, ...SMALL_PROJECT }, design: new Float32Array(8).fill(0.3), task: Float32Array.of(0.5, 0.5), keepRollout: false };
      await q.map('rollout', [args, args, args]);
      const set = idw('--json', 'queue', 'set', redis.url);
      expect(set.code).toBe(0);
      const status = JSON.parse(set.stdout) as { url: string; reachable: boolean; workers: { name: string; designs: number }[]; counts: { completed: number } };
      expect(status).toMatchObject({ url: redis.url, reachable: true, workers: [{ name: ready.name, designs: 3 }] });
      expect(status.counts.completed).toBe(1);
      const doctor = idw('doctor');
      expect(doctor.code).toBe(0);
      expect(doctor.out).toMatch(/ok {2}Queue {10}Ground-truth batches go to the queue at redis:\/\/127\.0\.0\.1:\d+: 1 worker connected/);
      expect(doctor.out).toContain(`worker         ${ready.name as string}: 3 designs run`);
      const refused = idw('queue', 'set', 'http://127.0.0.1:6379');
      expect(refused.code).toBe(2);
      expect(refused.out).toMatch(/redisUrl.*redis:\/\/ or rediss:\/\//s);
      const badWorker = idw('worker', '--redis', 'localhost:6379');
      expect(badWorker.code).toBe(2);
      expect(badWorker.out).toMatch(/not a Redis URL|must start with redis:\/\//);
      const off = idw('--json', 'queue', 'disable');
      expect(JSON.parse(off.stdout)).toMatchObject({ url: null, reachable: false });
    } finally {
      await q.close();
      await local.close();
      dir.remove();
    }
  }, 120_000);
});
