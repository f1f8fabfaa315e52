// An import's records written by a compute worker, on the worker's own connection to the same
// SQLite file, while the calling thread parses the next rows: parsing and inserting overlap on
// two cores. One transaction per batch; the caller chains the batches, so rows keep file order.
import { registerComputeFunction } from '../compute/registry';
import { openDatabase, type Db } from './database';
import { OptimizationRecordStore, type RecordColumns } from './optimization-records';

export interface RecordInsertArgs {
  databasePath: string;
  /** better-sqlite3's native module for this process (Electron's build), as the job workers get it */
  nativeBinding?: string;
  datasetId: number;
  rows: RecordColumns;
}

declare module '../compute/registry' {
  interface ComputeFunctions {
    insertOptimizationRecords: (args: RecordInsertArgs) => number;
  }
}

/** this thread's connections, by file: a worker keeps its connection between batches */
const connections = new Map<string, { db: Db; store: OptimizationRecordStore }>();

function insertOptimizationRecords(args: RecordInsertArgs): number {
  let c = connections.get(args.databasePath);
  if (!c) {
    const db = openDatabase(args.databasePath, { nativeBinding: args.nativeBinding, migrate: false });
    c = { db, store: new OptimizationRecordStore(db) };
    connections.set(args.databasePath, c);
  }
  const { db, store } = c;
  db.transaction(() => store.insertMany(args.datasetId, args.rows)).immediate();
  return args.rows.count;
}

registerComputeFunction('insertOptimizationRecords', insertOptimizationRecords);
