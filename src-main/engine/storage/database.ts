import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** path of a better_sqlite3.node built for this runtime's ABI (Electron passes its own) */
  nativeBinding?: string;
  /** apply pending migrations (only the process that owns the database does) */
  migrate?: boolean;
}

/** Opens the workbench database with WAL and foreign keys, applying pending migrations. */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  try {
    // WAL with synchronous=NORMAL: a commit is in the WAL file when it returns, so a killed
    // process (kill -9, a crash) loses nothing committed and the file is never corrupt; only a
    // power loss or OS crash can drop the last commits before the next checkpoint's fsync.
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    // checkpoint the WAL into the database every 16,384 pages (64 MiB) rather than SQLite's
    // 1,000: frequent checkpoints rewrote the same pages again and again (measured when an index
    // on (project_id, cost) still took a random page write per query: inserts in batches of
    // 1,000 about 1.7x faster)
    db.pragma('wal_autocheckpoint = 16384');
    db.pragma('busy_timeout = 10000');
    // 64 MiB page cache: the indexes of a million queries stay in memory
    db.pragma('cache_size = -65536');
    db.pragma('temp_store = MEMORY');
    // f32(blob, i): entry i of a float32 BLOB (designs, tasks), so plain SQL can filter on them
    db.function('f32', { deterministic: true }, (blob: unknown, i: unknown) => {
      const b = blob as Buffer | null;
      const k = Number(i);
      return b && Number.isInteger(k) && k >= 0 && (k + 1) * 4 <= b.length ? b.readFloatLE(k * 4) : null;
    });
    if (options.migrate ?? true) migrate(db);
    else assertSchemaCurrent(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function assertSchemaCurrent(db: Db): void {
  const v = schemaVersion(db);
  if (v !== LATEST_SCHEMA_VERSION) {
    throw new Error(`Database schema is version ${v}, this build expects ${LATEST_SCHEMA_VERSION}.`);
  }
}

/** Applies every pending migration in one transaction: all of them or none. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const current = schemaVersion(db);
  const latest = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  if (current > latest) {
    throw new Error(
      `This database has schema version ${current}, newer than this build of the workbench knows (${latest}). ` +
        'Update the workbench, or use another data directory.',
    );
  }
  const pending = migrations.filter((m) => m.version > current);
  if (!pending.length) return [];
  // foreign keys off while tables are rebuilt (a DROP would otherwise null or delete the rows
  // that point at them); checked before the transaction commits, as SQLite's ALTER TABLE guide does
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
      const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
      for (const m of pending) {
        db.exec(m.sql);
        record.run(m.version, m.name, Date.now());
      }
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length) throw new Error(`A migration left ${broken.length} rows whose foreign keys point nowhere; nothing was changed.`);
      db.pragma(`user_version = ${latest}`);
    })();
  } finally {
    if (foreignKeys) db.pragma('foreign_keys = ON');
  }
  return pending.map((m) => m.version);
}

/** SQLite's quick_check: "ok", or the first problems it found. */
export function quickCheck(db: Db): string {
  return (db.pragma('quick_check', { simple: true }) as string) ?? 'unknown';
}

export function sqliteVersion(db: Db): string {
  return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
}
