import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

// Prepared statements, kept per connection and reused: a store asks for its SQL each call and
// gets the statement prepared the first time. Statements that are iterated (`.iterate()`) are
// prepared afresh instead: a statement cannot serve a second caller while one iterates it.
const cache = new WeakMap<Db, Map<string, Statement>>();

export function statement(db: Db, sql: string): Statement {
  let forDb = cache.get(db);
  if (!forDb) cache.set(db, (forDb = new Map()));
  let s = forDb.get(sql);
  if (!s) forDb.set(sql, (s = db.prepare(sql)));
  return s;
}
