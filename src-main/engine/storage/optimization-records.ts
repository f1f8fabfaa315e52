import type { OptimizationDatasetStats } from '../../../src-shared/api';
import type { Db } from './database';
import { statement } from './statements';

/** A row of optimization_records: one iterate of one optimizer run (task and design are float32 BLOBs). */
export interface RecordRow {
  id: number;
  run: string;
  optimizer: string;
  task: Buffer;
  iteration: number;
  design: Buffer;
  cost: number;
}

/** What an optimization dataset's stats summarize, computed in SQL (all but the histogram). */
export type RecordAggregate = Omit<OptimizationDatasetStats, 'costHistogram'>;

const INSERT = 'INSERT INTO optimization_records (dataset_id, run, optimizer, task, iteration, design, cost) VALUES (?, ?, ?, ?, ?, ?, ?)';
/** rows a multi-row INSERT writes at once (7 parameters each, well under SQLite's 32,766) */
const BATCH_ROWS = 64;
const INSERT_BATCH = `${INSERT}${', (?, ?, ?, ?, ?, ?, ?)'.repeat(BATCH_ROWS - 1)}`;

/** Rows for insertMany, column by column: task k is bytes [8k, 8k + 8) of tasks, design k [dk, dk + d) of designs (d = designBytes). */
export interface RecordColumns {
  count: number;
  runs: string[];
  optimizers: string[];
  iterations: Int32Array | number[];
  costs: Float64Array | number[];
  tasks: Uint8Array;
  designs: Uint8Array;
  designBytes: number;
}

/** The optimization_records table. */
export class OptimizationRecordStore {
  // held by the store: an import inserts hundreds of thousands of rows a second through it
  private readonly insertRow;
  private readonly insertBatch;
  private readonly params: unknown[] = new Array(BATCH_ROWS * 7);
  constructor(private readonly db: Db) {
    this.insertRow = statement(db, INSERT);
    this.insertBatch = statement(db, INSERT_BATCH);
  }

  /**
   * Many records of one dataset, BATCH_ROWS to a statement (one call into SQLite for 64 rows: an
   * import spends less on binding than on row-at-a-time calls). The caller holds the transaction.
   */
  insertMany(datasetId: number, rows: RecordColumns): void {
    const { count, designBytes: d } = rows;
    const p = this.params;
    const view = (bytes: Uint8Array, at: number, length: number): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset + at, length);
    let k = 0;
    for (; k + BATCH_ROWS <= count; k += BATCH_ROWS) {
      for (let j = 0; j < BATCH_ROWS; j++) {
        const r = k + j;
        const o = 7 * j;
        p[o] = datasetId;
        p[o + 1] = rows.runs[r];
        p[o + 2] = rows.optimizers[r];
        p[o + 3] = view(rows.tasks, 8 * r, 8);
        p[o + 4] = rows.iterations[r];
        p[o + 5] = view(rows.designs, d * r, d);
        p[o + 6] = rows.costs[r];
      }
      this.insertBatch.run(p);
    }
    for (; k < count; k++) this.insertRow.run(datasetId, rows.runs[k], rows.optimizers[k], view(rows.tasks, 8 * k, 8), rows.iterations[k], view(rows.designs, d * k, d), rows.costs[k]);
  }

  /** One record; task and design already float32 BLOBs (SQLite copies them when bound, so callers may reuse the buffers). */
  insert(datasetId: number, run: string, optimizer: string, task: Uint8Array, iteration: number, design: Uint8Array, cost: number): void {
    this.insertRow.run(datasetId, run, optimizer, task, iteration, design, cost);
  }

  count(datasetId: number): number {
    return (statement(this.db, 'SELECT COUNT(*) AS n FROM optimization_records WHERE dataset_id = ?').get(datasetId) as { n: number }).n;
  }

  /** The dataset's records in the order written, one at a time (a statement of its own: callers may iterate two at once). */
  iterate(datasetId: number): IterableIterator<RecordRow> {
    return this.db.prepare('SELECT id, run, optimizer, task, iteration, design, cost FROM optimization_records WHERE dataset_id = ? ORDER BY id').iterate(datasetId) as IterableIterator<RecordRow>;
  }

  aggregate(datasetId: number): RecordAggregate {
    return statement(
      this.db,
      `SELECT COUNT(*) AS rows, COUNT(DISTINCT run) AS runs, COUNT(DISTINCT task) AS tasks, COUNT(DISTINCT optimizer) AS optimizers,
         MAX(length(design)) / 4 AS designDim, MIN(cost) AS minCost, AVG(cost) AS meanCost, MAX(cost) AS maxCost
       FROM optimization_records WHERE dataset_id = ?`,
    ).get(datasetId) as RecordAggregate;
  }

  /** The dataset's runs in the order they first appear, at most `limit`, with their optimizer, record count and best cost; and how many runs there are. */
  runs(datasetId: number, limit: number): { runs: { run: string; optimizer: string; records: number; best: number }[]; total: number } {
    const runs = statement(
      this.db,
      'SELECT run, MIN(optimizer) AS optimizer, COUNT(*) AS records, MIN(cost) AS best, MIN(id) AS first FROM optimization_records WHERE dataset_id = ? GROUP BY run ORDER BY first LIMIT ?',
    ).all(datasetId, limit) as { run: string; optimizer: string; records: number; best: number }[];
    const total = (statement(this.db, 'SELECT COUNT(DISTINCT run) AS n FROM optimization_records WHERE dataset_id = ?').get(datasetId) as { n: number }).n;
    return { runs: runs.map(({ run, optimizer, records, best }) => ({ run, optimizer, records, best })), total };
  }

  /** One run's cost against iteration: the cheapest record of each iteration (a population optimizer evaluates several), in order. */
  iterationCosts(datasetId: number, run: string): { iteration: number; cost: number; records: number }[] {
    return statement(this.db, 'SELECT iteration, MIN(cost) AS cost, COUNT(*) AS records FROM optimization_records WHERE dataset_id = ? AND run = ? GROUP BY iteration ORDER BY iteration').all(
      datasetId,
      run,
    ) as { iteration: number; cost: number; records: number }[];
  }

  /** Counts of costs in `bins` bins of `width` from `min` (the last bin takes the rest). */
  costHistogram(datasetId: number, min: number, width: number, bins: number): { bin: number; n: number }[] {
    return statement(this.db, 'SELECT MIN(CAST((cost - ?) / ? AS INTEGER), ?) AS bin, COUNT(*) AS n FROM optimization_records WHERE dataset_id = ? GROUP BY bin').all(
      min,
      width,
      bins - 1,
      datasetId,
    ) as { bin: number; n: number }[];
  }
}
