import { fromFloat32Blob, toFloat32Blob } from './blob';
import type { Db } from './database';
import { statement } from './statements';

/** One simulator query: one full rollout of one design (docs/method.md §1). */
export interface SimulatorQuery {
  projectId: number;
  design: ArrayLike<number>;
  task: ArrayLike<number>;
  simulator: 'ground_truth' | 'learned';
  modelId?: number | null;
  cost: number;
  capture?: number | null;
  wallMs: number;
  method: string;
  run?: string | null;
  createdAt?: number;
  /** the environment's outcome of a ground-truth rollout (Environment.outcome) */
  outcome?: Float32Array | null;
}

/** A ground-truth query's design and outcome: training data for an outcome model. */
export interface OutcomeExample {
  queryId: number;
  design: Float32Array;
  outcome: Float32Array;
}

/** query ids in (afterId, upToId] */
export interface OutcomeRange {
  afterId?: number;
  upToId?: number;
}

/** A project's stored outcome heads (QueryStore.outcomeHeads), packed: row i's query id, design and head. */
export interface OutcomeHeads {
  count: number;
  /** the designs' size (0 when there are none) */
  designDim: number;
  entries: number;
  /** [count] ascending; the arrays may be longer than count */
  ids: Float64Array;
  /** [count * designDim] */
  designs: Float32Array;
  /** [count * entries] */
  heads: Float32Array;
}

interface HeadsCache {
  /** the project's created_at when read: a deleted project's id given again reads afresh */
  createdAt: number;
  /** the last query id read */
  upTo: number;
  /** the queries read up to upTo, and the sum of their created_at modulo STAMP_MODULUS: other
   * figures there mean queries were deleted (or deleted and others stored with their ids) */
  read: number;
  stamp: number;
  /** the rows kept */
  count: number;
  /** a project's designs all have one size: the first row's */
  designDim: number;
  ids: Float64Array;
  designs: Float32Array;
  heads: Float32Array;
}
/** outcomeHeads' reads, per connection, by project, outcome size and head size */
const STAMP_MODULUS = 1_000_000_007;
const headsCaches = new WeakMap<Db, Map<string, HeadsCache>>();

/** the project's ground-truth queries with an outcome of the given size, in an id range (args: project, 4 * dim, afterId, upToId) */
const OUTCOME_WHERE = "project_id = ? AND simulator = 'ground_truth' AND outcome IS NOT NULL AND length(outcome) = ? AND id > ? AND id <= ?";

export interface QueryFilter {
  sort?: 'newest' | 'cost';
  method?: string;
  simulator?: 'ground_truth' | 'learned';
  costMax?: number;
  /** only queries that stored an outcome (training data for an outcome model) */
  hasOutcome?: boolean;
  /** tasks within radius of (x, y) */
  task?: { x: number; y: number; radius: number };
}

/** `q` names the table (an alias in a join) the filter's columns belong to */
function whereOf(projectId: number, f: QueryFilter, q = 'simulator_queries'): { where: string; args: unknown[] } {
  const where = [`${q}.project_id = ?`];
  const args: unknown[] = [projectId];
  if (f.method !== undefined) {
    where.push(`${q}.method = ?`);
    args.push(f.method);
  }
  if (f.simulator !== undefined) {
    where.push(`${q}.simulator = ?`);
    args.push(f.simulator);
  }
  if (f.costMax !== undefined) {
    where.push(`${q}.cost <= ?`);
    args.push(f.costMax);
  }
  if (f.hasOutcome !== undefined) where.push(f.hasOutcome ? `${q}.outcome IS NOT NULL` : `${q}.outcome IS NULL`);
  if (f.task !== undefined) {
    // f32(blob, i): the i-th float32 of a BLOB, a function the database registers
    where.push(`(f32(${q}.task, 0) - ?) * (f32(${q}.task, 0) - ?) + (f32(${q}.task, 1) - ?) * (f32(${q}.task, 1) - ?) <= ?`);
    args.push(f.task.x, f.task.x, f.task.y, f.task.y, f.task.radius * f.task.radius);
  }
  return { where: where.join(' AND '), args };
}

/**
 * How many of each project's cheapest queries the query_leaders table holds (migration 010): the
 * cheapest-first views read them without an index on cost over every query. Migration 010 fills
 * and checks the same number: a new number needs a migration of its own.
 */
export const QUERY_LEADERS = 256;

/** the leaders' order: cost, then id */
function byCostThenId(a: { cost: number; id: number }, b: { cost: number; id: number }): number {
  return a.cost - b.cost || a.id - b.id;
}

export interface StoredQuery {
  id: number;
  projectId: number;
  design: Float32Array;
  task: Float32Array;
  simulator: 'ground_truth' | 'learned';
  modelId: number | null;
  cost: number;
  capture: number | null;
  wallMs: number;
  method: string;
  run: string | null;
  createdAt: number;
}

interface QueryRow {
  id: number;
  project_id: number;
  design: Buffer;
  task: Buffer;
  simulator: 'ground_truth' | 'learned';
  model_id: number | null;
  cost: number;
  capture: number | null;
  wall_ms: number;
  method: string;
  run: string | null;
  created_at: number;
}

function toStored(r: QueryRow): StoredQuery {
  return {
    id: r.id,
    projectId: r.project_id,
    design: fromFloat32Blob(r.design),
    task: fromFloat32Blob(r.task),
    simulator: r.simulator,
    modelId: r.model_id,
    cost: r.cost,
    capture: r.capture,
    wallMs: r.wall_ms,
    method: r.method,
    run: r.run,
    createdAt: r.created_at,
  };
}

export class QueryStore {
  private readonly insert;
  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO simulator_queries
        (project_id, design, task, simulator, model_id, cost, capture, wall_ms, method, run, created_at, outcome, batch_id, batch_index)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /**
   * Writes a batch in one transaction: all rows or none. Returns the first new id. With a batchId
   * (a queue batch, compute/queue.ts) each row is keyed by the batch and its index in it, and a
   * batch already written is not written again: its first id is returned.
   */
  record(queries: readonly SimulatorQuery[], opts: { batchId?: string } = {}): number {
    for (const [i, q] of queries.entries()) {
      if (!Number.isFinite(q.cost)) throw new Error(`query ${i}: cost is ${q.cost}, not a finite number`);
      if (!Number.isFinite(q.wallMs) || q.wallMs < 0) throw new Error(`query ${i}: wall time ${q.wallMs} ms is invalid`);
    }
    const now = Date.now();
    const batchId = opts.batchId ?? null;
    let first = 0;
    this.db.transaction(() => {
      if (batchId !== null) {
        const written = this.batchFirstId(batchId);
        if (written !== null) {
          first = written;
          return;
        }
      }
      const ids: number[] = new Array(queries.length);
      for (const [i, q] of queries.entries()) {
        const info = this.insert.run(
          q.projectId,
          toFloat32Blob(q.design),
          toFloat32Blob(q.task),
          q.simulator,
          q.modelId ?? null,
          q.cost,
          q.capture ?? null,
          q.wallMs,
          q.method,
          q.run ?? null,
          q.createdAt ?? now,
          q.outcome ? toFloat32Blob(q.outcome) : null,
          batchId,
          batchId === null ? null : i,
        );
        ids[i] = Number(info.lastInsertRowid);
        if (!first) first = ids[i]!;
      }
      // the batch's rows by project, with their ids
      const byProject = new Map<number, { cost: number; id: number }[]>();
      queries.forEach((q, i) => {
        let rows = byProject.get(q.projectId);
        if (!rows) byProject.set(q.projectId, (rows = []));
        rows.push({ cost: q.cost, id: ids[i]! });
      });
      for (const [projectId, rows] of byProject) this.catchUpLeaders(projectId, rows);
    }).immediate();
    return first;
  }

  /**
   * Brings the project's leaders (query_leaders, migration 010) up to its newest query: its
   * queries past `upto` (a batch just written, or rows written by plain SQL) enter when they come
   * before the project's last leader, or while it has fewer than QUERY_LEADERS; then the leaders
   * past QUERY_LEADERS leave. Runs inside a write transaction; `written`: the rows a batch just
   * wrote for the project, in id order (read from the table instead when other rows came first).
   */
  private catchUpLeaders(projectId: number, written?: { cost: number; id: number }[]): void {
    const state = statement(this.db, 'SELECT n, upto FROM query_leader_counts WHERE project_id = ?').get(projectId) as { n: number; upto: number } | undefined;
    const n = state?.n ?? 0;
    const upto = state?.upto ?? 0;
    // the rows a batch just wrote are all there is past upto unless another writer wrote some before them
    const others = written ? statement(this.db, 'SELECT 1 FROM simulator_queries WHERE project_id = ? AND id > ? AND id < ? LIMIT 1').get(projectId, upto, written[0]!.id) : true;
    const rows = others ? (statement(this.db, 'SELECT cost, id FROM simulator_queries WHERE project_id = ? AND id > ? ORDER BY id').all(projectId, upto) as { cost: number; id: number }[]) : written!;
    if (!rows.length) return;
    // a full project's last leader: a query enters only before it
    const bound = n >= QUERY_LEADERS ? (statement(this.db, 'SELECT cost, id FROM query_leaders WHERE project_id = ? ORDER BY cost DESC, id DESC LIMIT 1').get(projectId) as { cost: number; id: number }) : undefined;
    // at most QUERY_LEADERS of them can stay
    const enter = rows.filter((r) => !bound || byCostThenId(r, bound) < 0).sort(byCostThenId).slice(0, QUERY_LEADERS);
    const add = statement(this.db, 'INSERT OR IGNORE INTO query_leaders (project_id, cost, id) VALUES (?, ?, ?)');
    let added = 0;
    for (const r of enter) added += add.run(projectId, r.cost, r.id).changes;
    // the project's k + 1 last leaders leave
    if (n + added > QUERY_LEADERS) {
      statement(this.db, 'DELETE FROM query_leaders WHERE project_id = @p AND (cost, id) >= (SELECT cost, id FROM query_leaders WHERE project_id = @p ORDER BY cost DESC, id DESC LIMIT 1 OFFSET @k)').run({ p: projectId, k: n + added - QUERY_LEADERS - 1 });
    }
    statement(this.db, 'INSERT INTO query_leader_counts (project_id, n, upto) VALUES (?, ?, ?) ON CONFLICT (project_id) DO UPDATE SET n = excluded.n, upto = excluded.upto').run(
      projectId,
      Math.min(n + added, QUERY_LEADERS),
      rows[rows.length - 1]!.id,
    );
  }

  /**
   * The project's leaders brought up to its newest query, when queries were written past them (by
   * plain SQL); returns how many leaders it has.
   */
  private currentLeaders(projectId: number): number {
    const count = statement(this.db, 'SELECT n, upto FROM query_leader_counts WHERE project_id = ?');
    const state = count.get(projectId) as { n: number; upto: number } | undefined;
    if (statement(this.db, 'SELECT 1 FROM simulator_queries WHERE project_id = ? AND id > ? LIMIT 1').get(projectId, state?.upto ?? 0) === undefined) return state?.n ?? 0;
    this.db.transaction(() => this.catchUpLeaders(projectId)).immediate();
    return (count.get(projectId) as { n: number }).n;
  }

  /** the first id of a queue batch already written, or null */
  batchFirstId(batchId: string): number | null {
    return (statement(this.db, 'SELECT MIN(id) AS id FROM simulator_queries WHERE batch_id = ?').get(batchId) as { id: number | null }).id;
  }

  /** One stored query, or null. */
  get(id: number): StoredQuery | null {
    const row = statement(this.db, 'SELECT * FROM simulator_queries WHERE id = ?').get(id) as QueryRow | undefined;
    return row ? toStored(row) : null;
  }

  /** One stored query's outcome, or null (none stored, or no such query). */
  outcome(id: number): Float32Array | null {
    const row = statement(this.db, 'SELECT outcome FROM simulator_queries WHERE id = ?').get(id) as { outcome: Buffer | null } | undefined;
    return row?.outcome ? fromFloat32Blob(row.outcome) : null;
  }

  /** The project's lowest-cost queries, cheapest first (from query_leaders when limit allows). */
  bestByCost(projectId: number, limit = 100): StoredQuery[] {
    return this.list(projectId, limit, 0, { sort: 'cost' });
  }

  /**
   * A page of the project's queries, newest first (the (project_id, id) index) or cheapest
   * first, optionally filtered. A cheapest-first page is read from the project's leaders
   * (QUERY_LEADERS cheapest, migration 010) when they hold it: the page is full there, or the
   * leaders are every query the project has. Otherwise (a page deep in the order, or a filter few
   * leaders pass) the project's queries are read and sorted.
   */
  list(projectId: number, limit: number, offset: number, filter: QueryFilter = {}): StoredQuery[] {
    if (filter.sort === 'cost') {
      if (offset + limit <= QUERY_LEADERS) {
        const leaders = this.currentLeaders(projectId);
        const { where, args } = whereOf(projectId, filter, 'q');
        const rows = statement(
          this.db,
          `SELECT q.* FROM query_leaders l JOIN simulator_queries q ON q.id = l.id WHERE l.project_id = ? AND ${where} ORDER BY l.cost, l.id LIMIT ? OFFSET ?`,
        ).all(projectId, ...args, limit, offset) as QueryRow[];
        if (rows.length === limit || leaders < QUERY_LEADERS) return rows.map(toStored);
      }
      const { where, args } = whereOf(projectId, filter);
      return (statement(this.db, `SELECT * FROM simulator_queries WHERE ${where} ORDER BY cost, id LIMIT ? OFFSET ?`).all(...args, limit, offset) as QueryRow[]).map(toStored);
    }
    const { where, args } = whereOf(projectId, filter);
    return (statement(this.db, `SELECT * FROM simulator_queries WHERE ${where} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...args, limit, offset) as QueryRow[]).map(toStored);
  }

  count(projectId: number, filter: QueryFilter = {}): number {
    const { where, args } = whereOf(projectId, filter);
    return (statement(this.db, `SELECT COUNT(*) AS n FROM simulator_queries WHERE ${where}`).get(...args) as { n: number }).n;
  }

  /**
   * The project's ground-truth queries that stored an outcome of `dim` entries, oldest first, one
   * per distinct design (a design queried for several tasks has one outcome: it appears once).
   */
  outcomeExamples(projectId: number, dim: number, range: OutcomeRange = {}): OutcomeExample[] {
    const rows = statement(this.db, `SELECT MIN(id) AS id, design, outcome FROM simulator_queries WHERE ${OUTCOME_WHERE} GROUP BY design ORDER BY id`).all(projectId, 4 * dim, range.afterId ?? 0, range.upToId ?? Number.MAX_SAFE_INTEGER) as { id: number; design: Buffer; outcome: Buffer }[];
    return rows.map((r) => ({ queryId: r.id, design: fromFloat32Blob(r.design), outcome: fromFloat32Blob(r.outcome) }));
  }

  /**
   * Every stored outcome of `dim` entries: its first `entries` entries (its cost entries) with its
   * query and design, oldest first, up to a query id: enough to rank every stored design for a
   * task without reading whole outcomes. A design queried more than once appears once a query (the
   * same outcome, so the same cost, each time: a caller that ranks them keeps the first by
   * ordering ties by id).
   *
   * Read once per connection and project, then extended by the queries added since: reading the
   * outcomes' heads is most of a lookup (about 0.6 s for 50,000 queries, bench:store), and a panel
   * that follows a running job asks again after each batch. The cache is dropped when the project
   * is not the one it was read for (deleted, its id given to a new one) or when the queries up to
   * its last id are not those it read (their count and stamp of creation times: deleted, or deleted
   * and others stored with their ids, by other means than the app). The arrays returned are that
   * cache: read only.
   */
  outcomeHeads(projectId: number, dim: number, entries: number, range: { upToId?: number } = {}): OutcomeHeads {
    const project = statement(this.db, 'SELECT created_at FROM projects WHERE id = ?').get(projectId) as { created_at: number } | undefined;
    let forDb = headsCaches.get(this.db);
    if (!forDb) headsCaches.set(this.db, (forDb = new Map()));
    const key = `${projectId}:${dim}:${entries}`;
    if (!project) {
      forDb.delete(key);
      return { count: 0, designDim: 0, entries, ids: new Float64Array(0), designs: new Float32Array(0), heads: new Float32Array(0) };
    }
    let cache = forDb.get(key);
    if (cache && (cache.createdAt !== project.created_at || !this.sameOutcomes(projectId, dim, cache))) cache = undefined;
    cache ??= { createdAt: project.created_at, upTo: 0, read: 0, stamp: 0, count: 0, designDim: 0, ids: new Float64Array(0), designs: new Float32Array(0), heads: new Float32Array(0) };
    const rows = statement(this.db, `SELECT id, created_at, design, substr(outcome, 1, ?) AS head FROM simulator_queries WHERE ${OUTCOME_WHERE} ORDER BY id`).all(
      4 * entries,
      projectId,
      4 * dim,
      cache.upTo,
      Number.MAX_SAFE_INTEGER,
    ) as { id: number; created_at: number; design: Buffer; head: Buffer }[];
    if (rows.length && !cache.designDim) cache.designDim = rows[0]!.design.byteLength / 4;
    const designDim = cache.designDim;
    if (cache.count + rows.length > cache.ids.length) {
      const size = Math.max(1024, 2 * cache.ids.length, cache.count + rows.length);
      const grow = <A extends Float32Array | Float64Array>(a: A, n: number): A => {
        const b = new (a.constructor as new (n: number) => A)(n);
        b.set(a);
        return b;
      };
      cache.ids = grow(cache.ids, size);
      cache.designs = grow(cache.designs, size * designDim);
      cache.heads = grow(cache.heads, size * entries);
    }
    const designBytes = new Uint8Array(cache.designs.buffer);
    const headBytes = new Uint8Array(cache.heads.buffer);
    for (const r of rows) {
      cache.stamp = (cache.stamp + (r.created_at % STAMP_MODULUS)) % STAMP_MODULUS;
      // a design of another size than the project's (written by another tool) is left out
      if (r.design.byteLength !== 4 * designDim) continue;
      const i = cache.count++;
      cache.ids[i] = r.id;
      designBytes.set(r.design, 4 * i * designDim);
      headBytes.set(r.head, 4 * i * entries);
    }
    cache.read += rows.length;
    if (rows.length) cache.upTo = rows[rows.length - 1]!.id;
    forDb.set(key, cache);
    // ids ascend: the rows up to upToId are a prefix
    let count = cache.count;
    if (range.upToId !== undefined) {
      let lo = 0;
      while (lo < count) {
        const mid = (lo + count) >>> 1;
        if (cache.ids[mid]! <= range.upToId) lo = mid + 1;
        else count = mid;
      }
    }
    return { count, designDim, entries, ids: cache.ids, designs: cache.designs, heads: cache.heads };
  }

  /** whether the project's queries with outcomes up to what the cache read are still those it read (about 10 ms for 50,000) */
  private sameOutcomes(projectId: number, dim: number, cache: HeadsCache): boolean {
    const now = statement(this.db, `SELECT COUNT(*) AS n, SUM(created_at % ${STAMP_MODULUS}) % ${STAMP_MODULUS} AS stamp FROM simulator_queries WHERE ${OUTCOME_WHERE}`).get(projectId, 4 * dim, 0, cache.upTo) as { n: number; stamp: number | null };
    return now.n === cache.read && (now.stamp ?? 0) === cache.stamp;
  }

  /** how many distinct designs outcomeExamples would return, without reading them */
  countOutcomeExamples(projectId: number, dim: number, range: OutcomeRange = {}): number {
    return (
      statement(this.db, `SELECT COUNT(DISTINCT design) AS n FROM simulator_queries WHERE ${OUTCOME_WHERE}`).get(projectId, 4 * dim, range.afterId ?? 0, range.upToId ?? Number.MAX_SAFE_INTEGER) as { n: number }
    ).n;
  }

  /** the newest query id of the project (0 when none): where a training's data ends */
  lastId(projectId: number): number {
    return (statement(this.db, 'SELECT MAX(id) AS id FROM simulator_queries WHERE project_id = ?').get(projectId) as { id: number | null }).id ?? 0;
  }

  /**
   * The newest `limit` queries' designs and costs, oldest first: the project's, or those whose
   * run is one of `runs.exact` or starts with one of `runs.prefixes` (a run's restarts). Returns
   * how many match in all.
   */
  points(projectId: number, limit: number, runs?: { exact: readonly string[]; prefixes: readonly string[] }): { total: number; rows: { id: number; cost: number; design: Float32Array; method: string }[] } {
    const where = ['project_id = ?'];
    const args: unknown[] = [projectId];
    if (runs) {
      const any: string[] = [];
      for (const r of runs.exact) {
        any.push('run = ?');
        args.push(r);
      }
      for (const p of runs.prefixes) {
        // LIKE with the prefix's own % and _ escaped
        any.push("run LIKE ? ESCAPE '\\'");
        args.push(`${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      }
      where.push(any.length ? `(${any.join(' OR ')})` : '0');
    }
    const w = where.join(' AND ');
    const total = (statement(this.db, `SELECT COUNT(*) AS n FROM simulator_queries WHERE ${w}`).get(...args) as { n: number }).n;
    const rows = statement(this.db, `SELECT id, cost, design, method FROM simulator_queries WHERE ${w} ORDER BY id DESC LIMIT ?`).all(...args, limit) as { id: number; cost: number; design: Buffer; method: string }[];
    rows.reverse();
    return { total, rows: rows.map((r) => ({ id: r.id, cost: r.cost, design: fromFloat32Blob(r.design), method: r.method })) };
  }

  methods(projectId: number): { method: string; count: number }[] {
    return statement(this.db, 'SELECT method, COUNT(*) AS count FROM simulator_queries WHERE project_id = ? GROUP BY method ORDER BY count DESC, method').all(projectId) as { method: string; count: number }[];
  }
}
