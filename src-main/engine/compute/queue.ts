import { randomUUID } from 'node:crypto';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueStatus } from '../../../src-shared/api';
import type { ComputePool, Compute, MapOptions } from './pool';
import { batchJobData, decodeOutcome, GROUND_TRUTH_QUEUE, redactRedisUrl, redisConnection, WORKER_DESIGNS_KEY, type BatchJobData, type BatchJobResult } from './queue-protocol';
import type { ComputeArgs as Args, ComputeFunction, ComputeResult as Result } from './registry';
import type { RolloutOutcome } from './rollout';

// The owning process's side of the ground-truth queue: ground-truth rollouts go to Redis as
// BullMQ jobs of a few designs each (a batch), `idw worker` processes on any machine run them,
// and the results come back here, where the caller stores each batch in one transaction (workers
// never open the project's database). Everything else, and every rollout when Redis cannot be
// reached at the start of a call, runs on the local pool, with a notice saying so.

export interface QueueComputeOptions {
  /** redis:// or rediss:// URL (password and TLS as ioredis parses them) */
  url: string;
  /** the local pool: the fallback, and what runs every function other than rollouts */
  local: ComputePool;
  /** designs per queue batch (default 4) */
  batchSize?: number;
  /** how long the first connection may take before the local pool is used (default 3 s) */
  connectTimeoutMs?: number;
  /** how long Redis may stay unreachable during a call before it fails (default 30 s) */
  disconnectGraceMs?: number;
  /** tries per batch before it fails with the worker's error (default 3) */
  attempts?: number;
  /** where the queue says what it does (a job's progress message, a log line) */
  notice?: (message: string) => void;
  /** the job's cancel: stops waiting for its batches (close() then takes back those not started) */
  signal?: AbortSignal;
}

/** Redis stayed unreachable longer than the grace period during a call. */
export class RedisLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisLostError';
  }
}

/** Ground-truth rollouts through the Redis queue; the same interface as the local pool. */
export class QueueCompute implements Compute {
  private state: 'new' | 'queue' | 'local' = 'new';
  private connecting: Promise<boolean> | null = null;
  private connection: Redis | null = null;
  private eventsConnection: Redis | null = null;
  private queue: Queue<BatchJobData, BatchJobResult> | null = null;
  private events: QueueEvents | null = null;
  /** when Redis went away, while it is away */
  private downSince: number | null = null;
  private lastError = '';
  private readonly lostWaiters = new Set<(err: Error) => void>();
  private watchdog: NodeJS.Timeout | null = null;
  /** set when Redis stayed away past the grace period, until it is back */
  private lost: RedisLostError | null = null;
  /** batches sent and not come back: sent again if Redis comes back without them */
  private readonly pending = new Map<string, BatchJobData>();
  private closed = false;
  /** batches sent and come back during this object's life (bench, messages) */
  readonly stats = { batches: 0, designs: 0 };

  constructor(private readonly opts: QueueComputeOptions) {}

  get size(): number {
    return this.opts.local.size;
  }

  /** where the rollouts go: 'queue' once connected, 'local' after a fallback */
  get mode(): 'new' | 'queue' | 'local' {
    return this.state;
  }

  private notice(message: string): void {
    console.warn(`[queue] ${message}`);
    this.opts.notice?.(message);
  }

  run<F extends ComputeFunction>(fn: F, args: Args<F>): Promise<Result<F>> {
    return this.map(fn, [args]).then((r) => r[0]!);
  }

  async map<F extends ComputeFunction>(fn: F, argsList: readonly Args<F>[], opts: MapOptions<Result<F>> = {}): Promise<Result<F>[]> {
    if (this.closed) throw new Error('The queue is closed.');
    if (fn !== 'rollout' || argsList.length === 0 || !(await this.connect())) return this.opts.local.map(fn, argsList, opts);
    return (await this.rollouts(argsList as readonly Args<'rollout'>[], opts as MapOptions<RolloutOutcome>)) as Result<F>[];
  }

  /** Connects once; false (and the local pool from then on) when Redis cannot be reached. */
  private connect(): Promise<boolean> {
    if (this.state !== 'new') return Promise.resolve(this.state === 'queue');
    this.connecting ??= this.open().then(
      () => {
        this.state = 'queue';
        return true;
      },
      (err: unknown) => {
        this.state = 'local';
        void this.dropConnections();
        this.notice(`Redis at ${redactRedisUrl(this.opts.url)} could not be reached or refused the connection (${err instanceof Error ? err.message : String(err)}): ground-truth rollouts run on the local pool instead.`);
        return false;
      },
    );
    return this.connecting;
  }

  private async open(): Promise<void> {
    const timeout = this.opts.connectTimeoutMs ?? 3000;
    const retryStrategy = (times: number): number => Math.min(50 * times, 1000);
    this.connection = redisConnection(this.opts.url, { connectTimeout: timeout, retryStrategy });
    this.eventsConnection = redisConnection(this.opts.url, { connectTimeout: timeout, retryStrategy });
    for (const c of [this.connection, this.eventsConnection]) {
      c.on('error', (err: Error) => (this.lastError = err.message));
      c.on('close', () => this.wentDown());
      c.on('ready', () => this.cameBack());
    }
    const conn = this.connection;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        (async () => {
          await conn.connect();
          await conn.ping();
          await this.eventsConnection!.connect();
        })(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(this.lastError || `no answer within ${timeout} ms`)), timeout);
        }),
      ]);
    } catch (err) {
      // the reason the server gave (a refused password, a refused connection), not ioredis's "Connection is closed."
      throw new Error(this.lastError || (err instanceof Error ? err.message : String(err)));
    } finally {
      clearTimeout(timer);
    }
    this.queue = new Queue<BatchJobData, BatchJobResult>(GROUND_TRUTH_QUEUE, { connection: conn });
    this.events = new QueueEvents(GROUND_TRUTH_QUEUE, { connection: this.eventsConnection! });
    // every batch waited for adds a "closing" listener to the queue (Job.waitUntilFinished), removed
    // when it comes back: a call of many batches is not a leak
    this.queue.setMaxListeners(0);
    // a lost connection is watched above (wentDown): BullMQ's own error events would only be logged
    this.queue.on('error', (err: Error) => (this.lastError = err.message));
    this.events.on('error', (err: Error) => (this.lastError = err.message));
    await this.events.waitUntilReady();
    const workers = await this.queue.getWorkersCount();
    this.notice(
      workers
        ? `Ground-truth rollouts go to the queue at ${redactRedisUrl(this.opts.url)} (${workers} worker${workers === 1 ? '' : 's'} connected).`
        : `Ground-truth rollouts go to the queue at ${redactRedisUrl(this.opts.url)}; no worker is connected yet: start one with "idw worker --redis <url>".`,
    );
  }

  private wentDown(): void {
    if (this.closed || this.state !== 'queue' || this.downSince !== null) return;
    this.downSince = Date.now();
    const grace = this.opts.disconnectGraceMs ?? 30_000;
    this.notice(`Lost the connection to Redis at ${redactRedisUrl(this.opts.url)}; waiting up to ${(grace / 1000).toFixed(1)} s for it to come back.`);
    this.watchdog = setTimeout(() => {
      const err = (this.lost = new RedisLostError(
        `Redis at ${redactRedisUrl(this.opts.url)} was unreachable for more than ${(grace / 1000).toFixed(1)} s${this.lastError ? ` (${this.lastError})` : ''}: the run stopped waiting for its queued batches. The queries of the batches that came back are stored.`,
      ));
      for (const fail of [...this.lostWaiters]) fail(err);
    }, grace);
    this.watchdog.unref();
  }

  private cameBack(): void {
    if (this.downSince === null) return;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    this.downSince = null;
    this.lost = null;
    this.notice(`Redis at ${redactRedisUrl(this.opts.url)} is back; still waiting for the queued batches.`);
    void this.resendLost();
  }

  /**
   * After Redis came back: a batch it no longer has (restarted without its data) is added again
   * under the same id, so the run completes; its rows are keyed by that id, so a batch that comes
   * back twice is stored once.
   */
  private async resendLost(): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    for (const [id, data] of [...this.pending]) {
      try {
        const job = await Job.fromId(queue, id);
        if (job || !this.pending.has(id)) continue;
        await queue.add('rollouts', data, this.jobOptions(id));
        this.notice(`Batch ${id} was lost with Redis's data: sent again.`);
      } catch (err) {
        // Redis went away again: the watchdog decides
        this.lastError = err instanceof Error ? err.message : String(err);
        return;
      }
    }
  }

  private jobOptions(batchId: string) {
    return {
      jobId: batchId,
      attempts: this.opts.attempts ?? 3,
      backoff: { type: 'fixed', delay: 200 },
      // the owner has the result from the completion event: keep only the latest few (a physics
      // batch carries its trajectories, hundreds of kB), failures a day for a look
      removeOnComplete: { age: 600, count: 100 },
      removeOnFail: { age: 24 * 3600 },
    };
  }

  /** rejects when Redis stays away longer than the grace period */
  private whileConnected<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const signal = this.opts.signal;
      if (this.lost) return reject(this.lost);
      if (signal?.aborted) return reject(new Error('Cancelled by the user.'));
      const done = (): void => {
        this.lostWaiters.delete(fail);
        signal?.removeEventListener('abort', cancelled);
      };
      const fail = (err: Error): void => {
        done();
        reject(err);
      };
      const cancelled = (): void => fail(new Error('Cancelled by the user.'));
      this.lostWaiters.add(fail);
      signal?.addEventListener('abort', cancelled);
      p.then(
        (v) => {
          done();
          resolve(v);
        },
        (e: unknown) => {
          done();
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private async rollouts(argsList: readonly Args<'rollout'>[], opts: MapOptions<RolloutOutcome>): Promise<RolloutOutcome[]> {
    const size = Math.max(1, this.opts.batchSize ?? 4);
    const results: RolloutOutcome[] = new Array(argsList.length);
    const parts: Promise<void>[] = [];
    for (let start = 0; start < argsList.length; start += size) {
      const slice = argsList.slice(start, start + size);
      parts.push(
        this.runBatch(slice).then((outcomes) => {
          outcomes.forEach((o, i) => (results[start + i] = o.outcome));
          opts.onBatch?.({ id: outcomes[0]!.batchId, start, results: outcomes.map((o) => o.outcome) });
        }),
      );
    }
    // every batch settles before the call does: one that failed does not hide the others' writes
    const settled = await Promise.allSettled(parts);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    return results;
  }

  private async runBatch(args: readonly Args<'rollout'>[]): Promise<{ batchId: string; outcome: RolloutOutcome }[]> {
    const batchId = randomUUID();
    const data = batchJobData(batchId, args);
    const queue = this.queue!;
    // the batch id is the BullMQ job id: adding it again (resendLost) cannot make a second job
    this.pending.set(batchId, data);
    const job = await this.whileConnected(queue.add('rollouts', data, this.jobOptions(batchId)));
    let result: BatchJobResult;
    try {
      result = (await this.whileConnected(job.waitUntilFinished(this.events!))) as BatchJobResult;
    } catch (err) {
      if (this.opts.signal?.aborted) throw err; // close() takes the batch back
      this.pending.delete(batchId);
      if (err instanceof RedisLostError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      const failed = await Job.fromId<BatchJobData, BatchJobResult>(queue, batchId).catch(() => undefined);
      throw new Error(`A ground-truth batch failed on the queue after ${failed?.attemptsMade ?? '?'} tr${failed?.attemptsMade === 1 ? 'y' : 'ies'}: ${message}`);
    }
    this.pending.delete(batchId);
    if (!result || !Array.isArray(result.outcomes) || result.outcomes.length !== args.length) {
      throw new Error(`Queue batch ${batchId} came back with ${result?.outcomes?.length ?? 'no'} outcomes for ${args.length} designs.`);
    }
    this.stats.batches++;
    this.stats.designs += args.length;
    return result.outcomes.map((o) => ({ batchId, outcome: decodeOutcome(o) }));
  }

  private async dropConnections(): Promise<void> {
    for (const c of [this.connection, this.eventsConnection]) c?.disconnect();
    this.connection = this.eventsConnection = null;
  }

  /** Closes the queue's connections; the local pool is the caller's. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.watchdog) clearTimeout(this.watchdog);
    await this.connecting?.catch(() => undefined);
    // a Redis that is gone makes close() wait for nothing: disconnect without waiting then
    const quick = this.downSince !== null;
    if (!quick) {
      // batches nobody waits for any more (a cancelled job): those not started are taken back;
      // a running one (locked by its worker) finishes there and its result is dropped
      for (const id of this.pending.keys()) await this.queue?.remove(id).catch(() => undefined);
      this.pending.clear();
      await Promise.race([Promise.all([this.events?.close(), this.queue?.close()]), new Promise((r) => setTimeout(r, 2000).unref())]).catch(() => undefined);
    }
    await this.dropConnections();
  }
}


/**
 * What idw doctor and the About page show: the queue's batches by state, its connected workers
 * with the designs each has run, and batches completed per minute over the last 15 minutes.
 */
export async function readQueueStatus(url: string | null, timeoutMs = 2000): Promise<QueueStatus> {
  if (!url) return { url: null, reachable: false, detail: 'No Redis URL is set: ground-truth rollouts run on the local pool (idw queue set <url>).', counts: null, workers: [], batchesPerMinute: null };
  const shown = redactRedisUrl(url);
  let lastError = '';
  const connection = redisConnection(url, { connectTimeout: timeoutMs, retryStrategy: () => null });
  connection.on('error', (err: Error) => (lastError = err.message));
  let queue: Queue | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      (async (): Promise<QueueStatus> => {
        await connection.connect();
        await connection.ping();
        queue = new Queue(GROUND_TRUTH_QUEUE, { connection });
        const counts = (await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed')) as NonNullable<QueueStatus['counts']>;
        const clients = await queue.getWorkers();
        const designs = await connection.hgetall(WORKER_DESIGNS_KEY);
        // BullMQ names a worker's connections "<prefix>:<queue>:w:<name>" (rawname); one entry per worker
        const names = [...new Set(clients.map((c) => (c.rawname ?? '').split(':w:')[1] ?? c.addr ?? '?'))];
        const workers = names.map((name) => ({ name, designs: Number(designs[name] ?? 0) }));
        const metrics = await queue.getMetrics('completed', 0, 14);
        const batchesPerMinute = metrics.data.length ? metrics.data.reduce((a, b) => a + b, 0) / 15 : null;
        const detail = workers.length
          ? `Ground-truth batches go to the queue at ${shown}: ${workers.length} worker${workers.length === 1 ? '' : 's'} connected.`
          : `Ground-truth batches go to the queue at ${shown}, but no worker is connected: start one with "idw worker --redis <url>".`;
        return { url: shown, reachable: true, detail, counts, workers, batchesPerMinute };
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    const reason = lastError || (err instanceof Error ? err.message : String(err));
    return { url: shown, reachable: false, detail: `Redis at ${shown} could not be reached or refused the connection (${reason}): jobs fall back to the local pool.`, counts: null, workers: [], batchesPerMinute: null };
  } finally {
    clearTimeout(timer);
    await (queue as Queue | null)?.close().catch(() => undefined);
    connection.disconnect();
  }
}
