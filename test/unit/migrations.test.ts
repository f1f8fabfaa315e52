import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion } from '../../src-main/engine/storage/database';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src-main/engine/storage/migrations';
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
});
