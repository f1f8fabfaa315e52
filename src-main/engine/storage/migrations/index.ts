import initial from './001_initial';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered, append-only: never edit a released migration, add the next one. */
export const MIGRATIONS: readonly Migration[] = [{ version: 1, name: 'initial', sql: initial }];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
