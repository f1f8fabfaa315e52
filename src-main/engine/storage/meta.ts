import type { Db } from './database';
import { statement } from './statements';

/** The meta table: one value per key (flags such as "builtin_seeded", with the time they were set). */
export class MetaStore {
  constructor(private readonly db: Db) {}

  get(key: string): string | null {
    const row = statement(this.db, 'SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  has(key: string): boolean {
    return this.get(key) !== null;
  }

  set(key: string, value: string): void {
    statement(this.db, 'INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }
}
