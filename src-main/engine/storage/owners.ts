import type { Db } from './database';
import { statement } from './statements';

/** A row of owners: one open workbench process (see ownership.ts). */
export interface OwnerRow {
  token: string;
  pid: number;
  host: string;
  mode: string;
  started_at: number;
  heartbeat_at: number;
}

/** The owners table: the open workbench processes and their heartbeats. */
export class OwnerStore {
  constructor(private readonly db: Db) {}

  /** Adds (or replaces) an owner row. */
  register(o: OwnerRow): void {
    statement(this.db, 'INSERT OR REPLACE INTO owners (token, pid, host, mode, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      o.token,
      o.pid,
      o.host,
      o.mode,
      o.started_at,
      o.heartbeat_at,
    );
  }

  /** Sets the owner's heartbeat; false when its row is gone. */
  beat(token: string, at: number): boolean {
    return statement(this.db, 'UPDATE owners SET heartbeat_at = ? WHERE token = ?').run(at, token).changes > 0;
  }

  all(): OwnerRow[] {
    return statement(this.db, 'SELECT * FROM owners').all() as OwnerRow[];
  }

  get(token: string): OwnerRow | null {
    return (statement(this.db, 'SELECT * FROM owners WHERE token = ?').get(token) as OwnerRow | undefined) ?? null;
  }

  /**
   * Deletes the given owners in one transaction, each only while its heartbeat is the one read
   * (an owner that beat since stays). Returns how many went.
   */
  removeUnchanged(owners: readonly OwnerRow[]): number {
    const del = statement(this.db, 'DELETE FROM owners WHERE token = ? AND heartbeat_at = ?');
    return this.db.transaction(() => owners.reduce((n, o) => n + del.run(o.token, o.heartbeat_at).changes, 0)).immediate();
  }

  delete(token: string): void {
    statement(this.db, 'DELETE FROM owners WHERE token = ?').run(token);
  }
}
