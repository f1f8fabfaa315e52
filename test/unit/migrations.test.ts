import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion } from '../../src-main/engine/storage/database';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src-main/engine/storage/migrations';
import { QUERY_LEADERS } from '../../src-main/engine/storage/queries';
import { tempDir } from './helpers';

const REQUIRED_TABLES = [
  'projects',
  'datasets',
  'optimization_records',
  'physics_trajectories',
  'models',
  'jobs',
  'designs',
  'simulator_queries',
  'schema_migrations',
  'meta',
];

describe('migrations', () => {
  const dirs: { remove(): void }[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
  const dbPath = (): string => {
    const d = tempDir();
    dirs.push(d);
    return join(d.path, 'workbench.sqlite');
  };

  it('creates every table on a new database, with WAL and foreign keys on', () => {
    const db = openDatabase(dbPath());
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(REQUIRED_TABLES));
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const applied = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
    expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    db.close();
  });

  it('applies nothing the second time', () => {
    const path = dbPath();
    openDatabase(path).close();
    const db = openDatabase(path);
    expect(migrate(db)).toEqual([]);
    expect((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(MIGRATIONS.length);
    db.close();
  });

  it('applies pending migrations in one transaction: a failing one leaves the database as it was', () => {
    const db = new Database(dbPath());
    migrate(db, [{ version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER);' }]);
    const broken = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, name: 'two', sql: 'CREATE TABLE b (y INTEGER);' },
      { version: 3, name: 'three', sql: 'CREATE TABLE c (z INTEGER); THIS IS NOT SQL;' },
    ];
    expect(() => migrate(db, broken)).toThrow();
    expect(schemaVersion(db)).toBe(1);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    expect(tables).not.toContain('b');
    expect(tables).not.toContain('c');
    db.close();
  });

  it('refuses a database made by a newer version, naming both versions', () => {
    const path = dbPath();
    const raw = new Database(path);
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    raw.close();
    expect(() => openDatabase(path)).toThrow(new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 5}, newer`));
  });

  it('rejects rows that break the schema (bad status, wrong BLOB length)', () => {
    const db = openDatabase(dbPath());
    expect(() =>
      db.prepare("INSERT INTO jobs (kind, status, created_at, updated_at) VALUES ('x', 'weird', 0, 0)").run(),
    ).toThrow(/CHECK constraint/);
    db.prepare("INSERT INTO projects (name, environment, settings, design_space, task_space, created_at, updated_at) VALUES ('p','fluidtool-2d','{}','{}','{}',0,0)").run();
    db.prepare("INSERT INTO datasets (project_id, name, kind, source, created_at) VALUES (1, 'd', 'physics', 'test', 0)").run();
    expect(() =>
      db
        .prepare('INSERT INTO physics_trajectories (dataset_id, design, frames, particles, positions, particle_types) VALUES (1, ?, 2, 3, ?, ?)')
        .run(Buffer.alloc(8), Buffer.alloc(2 * 3 * 2 * 4 - 4), Buffer.alloc(3)),
    ).toThrow(/CHECK constraint/);
    db.close();
  });

  it('migration 4 rebuilds models (kind outcome allowed) keeping the rows that point at it, and adds outcomes to queries', () => {
    const path = dbPath();
    const db = new Database(path);
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 3));
    db.prepare("INSERT INTO projects (id, name, environment, settings, design_space, task_space, created_at, updated_at) VALUES (1, 'p', 'fluidtool-2d', '{}', '{}', '{}', 0, 0)").run();
    db.prepare("INSERT INTO models (id, project_id, kind, name, created_at) VALUES (7, 1, 'simulator', 'gns', 0)").run();
    db.prepare("INSERT INTO simulator_queries (project_id, design, task, simulator, model_id, cost, wall_ms, method, created_at) VALUES (1, x'00', x'00', 'learned', 7, 0.5, 1, 'manual', 0)").run();
    expect(() => db.prepare("INSERT INTO models (project_id, kind, name, created_at) VALUES (1, 'outcome', 'o', 0)").run()).toThrow(/CHECK/);
    expect(migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version > 3).map((m) => m.version));
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    // the query still names its model: the rebuild did not null it
    expect((db.prepare('SELECT model_id FROM simulator_queries').get() as { model_id: number }).model_id).toBe(7);
    expect((db.prepare('SELECT status FROM models WHERE id = 7').get() as { status: string }).status).toBe('ready');
    db.prepare("INSERT INTO models (project_id, kind, name, created_at) VALUES (1, 'outcome', 'o', 0)").run();
    expect(() => db.prepare("INSERT INTO models (project_id, kind, name, created_at) VALUES (1, 'other', 'o', 0)").run()).toThrow(/CHECK/);
    const columns = (db.prepare('PRAGMA table_info(simulator_queries)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).toContain('outcome');
    // deleting a model still nulls its queries' model_id (the foreign key survived the rebuild)
    db.prepare('DELETE FROM models WHERE id = 7').run();
    expect((db.prepare('SELECT model_id FROM simulator_queries').get() as { model_id: number | null }).model_id).toBeNull();
    db.close();
  });

  it('migration 5 adds owners and the owner of jobs and datasets; rows made before it have none (orphaned if left running)', () => {
    const db = new Database(dbPath());
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 4));
    db.prepare("INSERT INTO projects (id, name, environment, settings, design_space, task_space, created_at, updated_at) VALUES (1, 'p', 'fluidtool-2d', '{}', '{}', '{}', 0, 0)").run();
    db.prepare("INSERT INTO jobs (id, project_id, kind, status, created_at, updated_at) VALUES (3, 1, 'sample', 'running', 0, 0)").run();
    db.prepare("INSERT INTO datasets (id, project_id, name, kind, source, status, job_id, created_at) VALUES (5, 1, 'd', 'optimization', 'imported:a.csv', 'building', NULL, 0)").run();
    expect(migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version > 4).map((m) => m.version));
    expect(db.prepare('SELECT id, status, owner FROM jobs').all()).toEqual([{ id: 3, status: 'running', owner: null }]);
    expect(db.prepare('SELECT id, status, owner FROM datasets').all()).toEqual([{ id: 5, status: 'building', owner: null }]);
    const columns = (db.prepare('PRAGMA table_info(owners)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).toEqual(['token', 'pid', 'host', 'mode', 'started_at', 'heartbeat_at']);
    db.prepare("INSERT INTO owners (token, pid, host, mode, started_at, heartbeat_at) VALUES ('t', 1, 'h', 'cli', 0, 0)").run();
    expect(() => db.prepare("INSERT INTO owners (token, pid, host, mode, started_at, heartbeat_at) VALUES ('t', 2, 'h', 'cli', 0, 0)").run()).toThrow(/UNIQUE/);
    db.close();
  });

  it('migration 6 moves a design\'s query into a foreign key column and drops designs.costs and jobs.checkpoint', () => {
    const db = new Database(dbPath());
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 5));
    for (const id of [1, 2]) db.prepare("INSERT INTO projects (id, name, environment, settings, design_space, task_space, created_at, updated_at) VALUES (?, ?, 'fluidtool-2d', '{}', '{}', '{}', 0, 0)").run(id, `p${id}`);
    db.prepare("INSERT INTO jobs (id, project_id, kind, status, checkpoint, created_at, updated_at) VALUES (4, 1, 'sample', 'succeeded', 'x', 0, 0)").run();
    db.prepare("INSERT INTO datasets (id, project_id, name, kind, source, job_id, created_at) VALUES (6, 1, 'd', 'optimization', 'generated', 4, 0)").run();
    db.prepare("INSERT INTO models (id, project_id, kind, name, job_id, created_at) VALUES (7, 1, 'diffusion', 'm', 4, 0)").run();
    const query = (id: number, projectId: number): void =>
      void db.prepare("INSERT INTO simulator_queries (id, project_id, design, task, simulator, cost, wall_ms, method, created_at) VALUES (?, ?, x'00000000', x'0000000000000000', 'ground_truth', 0.5, 1, 'sample', 0)").run(id, projectId);
    query(10, 1);
    query(11, 2);
    const design = (id: number, provenance: object): void =>
      void db
        .prepare("INSERT INTO designs (id, project_id, method, run, design, task, cost, capture, costs, model_id, provenance, created_at) VALUES (?, 1, 'sample', 'sample-4', x'00000000', x'0000000000000000', 0.5, 0.25, '{\"gt\":0.5}', 7, ?, 3)")
        .run(id, JSON.stringify(provenance));
    design(1, { jobId: 4, seed: 9, queryId: 10 });
    design(2, { jobId: 4, queryId: 11 }); // a query of another project: not linked
    design(3, { jobId: 4, queryId: 999 }); // a query that is gone
    design(4, { jobId: 4 }); // an optimizer's best: no query
    expect(migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version > 5).map((m) => m.version));
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const rows = db.prepare('SELECT id, query_id, provenance, model_id, cost, capture, run, created_at FROM designs ORDER BY id').all() as { id: number; query_id: number | null; provenance: string }[];
    expect(rows.map((r) => [r.id, r.query_id])).toEqual([[1, 10], [2, null], [3, null], [4, null]]);
    // the key left the JSON: the column is the one place it is kept
    expect(rows.map((r) => JSON.parse(r.provenance))).toEqual([{ jobId: 4, seed: 9 }, { jobId: 4 }, { jobId: 4 }, { jobId: 4 }]);
    expect(rows[0]).toMatchObject({ model_id: 7, cost: 0.5, capture: 0.25, run: 'sample-4', created_at: 3 });
    const columns = (table: string): string[] => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
    expect(columns('designs')).toEqual(['id', 'project_id', 'method', 'run', 'design', 'task', 'cost', 'capture', 'model_id', 'query_id', 'provenance', 'created_at']);
    expect(columns('jobs')).not.toContain('checkpoint');
    expect(columns('jobs')).toContain('owner');
    const fks = db.prepare('PRAGMA foreign_key_list(designs)').all() as { table: string; from: string; on_delete: string }[];
    expect(fks.map((f) => [f.from, f.table, f.on_delete]).sort()).toEqual([['model_id', 'models', 'SET NULL'], ['project_id', 'projects', 'CASCADE'], ['query_id', 'simulator_queries', 'SET NULL']]);
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'designs'").all() as { name: string }[]).map((r) => r.name);
    expect(indexes.sort()).toEqual(['designs_project_cost', 'designs_project_job', 'designs_project_run', 'designs_query']);
    // listing a job's designs (DesignStore.list, the export) uses the expression index
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM designs WHERE project_id = ? AND json_extract(provenance, '$.jobId') = ? ORDER BY cost IS NULL, cost, id").all(1, 4) as { detail: string }[];
    expect(plan.map((r) => r.detail).join('; ')).toMatch(/USING INDEX designs_project_job/);
    // rows pointing at the rebuilt jobs table kept their job
    expect(db.prepare('SELECT job_id FROM datasets WHERE id = 6').get()).toEqual({ job_id: 4 });
    expect(db.prepare('SELECT job_id FROM models WHERE id = 7').get()).toEqual({ job_id: 4 });
    expect(() => db.prepare("INSERT INTO designs (project_id, method, design, task, query_id, created_at) VALUES (1, 'x', x'00', x'00', 999, 0)").run()).toThrow(/FOREIGN KEY/);
    // deleting a query unlinks its designs; deleting the project removes them
    db.prepare('DELETE FROM simulator_queries WHERE id = 10').run();
    expect(db.prepare('SELECT query_id FROM designs WHERE id = 1').get()).toEqual({ query_id: null });
    db.prepare('DELETE FROM projects WHERE id = 1').run();
    expect((db.prepare('SELECT COUNT(*) AS n FROM designs').get() as { n: number }).n).toBe(0);
    db.close();
  });

  it('migration 10 fills each project\'s leaders from its queries and drops the index on cost', () => {
    const db = new Database(dbPath());
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 9));
    for (const id of [1, 2]) db.prepare("INSERT INTO projects (id, name, environment, settings, design_space, task_space, created_at, updated_at) VALUES (?, ?, 'fluidtool-2d', '{}', '{}', '{}', 0, 0)").run(id, `p${id}`);
    const insert = db.prepare("INSERT INTO simulator_queries (id, project_id, design, task, simulator, cost, wall_ms, method, created_at) VALUES (?, ?, x'00000000', x'0000000000000000', 'ground_truth', ?, 1, 'cem', 0)");
    // project 1: more queries than it keeps leaders, costs falling then rising; project 2: three
    db.transaction(() => {
      for (let id = 1; id <= 1500; id++) insert.run(id, 1, Math.abs(id - 700) / 100);
      for (const id of [1501, 1502, 1503]) insert.run(id, 2, 1);
    })();
    expect(migrate(db)).toEqual([10]);
    const leaders = (p: number): number[] => (db.prepare('SELECT id FROM query_leaders WHERE project_id = ? ORDER BY cost, id').all(p) as { id: number }[]).map((r) => r.id);
    const sorted = (p: number, n: number): number[] => (db.prepare('SELECT id FROM simulator_queries WHERE project_id = ? ORDER BY cost, id LIMIT ?').all(p, n) as { id: number }[]).map((r) => r.id);
    expect(leaders(1)).toEqual(sorted(1, QUERY_LEADERS));
    expect(leaders(1)).toHaveLength(QUERY_LEADERS);
    expect(leaders(2)).toEqual([1501, 1502, 1503]);
    expect(db.prepare('SELECT project_id, n, upto FROM query_leader_counts ORDER BY project_id').all()).toEqual([
      { project_id: 1, n: QUERY_LEADERS, upto: 1500 },
      { project_id: 2, n: 3, upto: 1503 },
    ]);
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'simulator_queries'").all() as { name: string }[]).map((r) => r.name);
    expect(indexes.sort()).toEqual(['simulator_queries_batch', 'simulator_queries_project_id']);
    db.close();
  });

  it('migration 7 indexes optimization records by dataset alone, and reading a dataset in order uses it without a sort', () => {
    const db = openDatabase(dbPath());
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'optimization_records'").all() as { name: string }[]).map((r) => r.name);
    expect(indexes).toEqual(['optimization_records_dataset']);
    const plan = (db.prepare('EXPLAIN QUERY PLAN SELECT id, run, optimizer, task, iteration, design, cost FROM optimization_records WHERE dataset_id = ? ORDER BY id').all(1) as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan).toMatch(/USING INDEX optimization_records_dataset/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
    db.close();
  });
});
