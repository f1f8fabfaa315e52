import { join } from 'node:path';

/**
 * better-sqlite3 is a native module: Node (CLI, tests) and Electron need builds for their own
 * ABI. node_modules keeps the Node build; scripts/start.mjs builds Electron's into
 * .native/electron-<abi>/ and the main process loads it from there.
 */
export function electronSqliteBinding(): string {
  return join(__dirname, '..', '..', '.native', `electron-${process.versions.modules}`, 'better_sqlite3.node');
}
