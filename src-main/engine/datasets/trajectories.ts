// Optimization datasets: one row of optimization_records per iterate (run, optimizer, task,
// iteration, design, cost). Written by optimizer runs in batches, or imported from CSV, JSON,
// JSONL or NPZ: streamed, checked row by row, all or nothing; exported in the import's layout.
import { asDatasetKind, type DatasetInfo, type DatasetStatus, type MethodResult, type OptimizationDatasetInfo, type TrajectoryFormat, type TrajectoryMapping, type TrajectoryPreview, type TrajectorySource, type OptimizationDatasetStats } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';
import type { ComputePool } from '../compute/pool';
import '../storage/record-insert'; // registers the inserting compute function
import { toFloat32Blob } from '../storage/blob';
import type { Db } from '../storage/database';
import { DatasetStore, toDatasetInfo, type DatasetRow } from '../storage/datasets';
import { OptimizationRecordStore } from '../storage/optimization-records';
import { ProjectStore } from '../storage/projects';
import { safeFileName } from './physics';
import { RecordReader, detectMapping, resolveMapping, type MappingProblem, type ProjectBounds } from './trajectory-mapping';
import { readRows } from './trajectory-readers';
import { RowError, fileError, openSource } from './trajectory-source';

/** One iterate of one optimizer run. */
export interface OptimizationRecord {
  run: string;
  optimizer: string;
  /** 0, 1, … within the run */
  iteration: number;
  /** target point [2] */
  task: ArrayLike<number>;
  /** normalized design [d] */
  design: ArrayLike<number>;
  cost: number;
}

export interface StoredRecord extends OptimizationRecord {
  id: number;
  task: Float32Array;
  design: Float32Array;
}

export type { OptimizationDatasetStats } from '../../../src-shared/api';

export const HISTOGRAM_BINS = 20;
const PREVIEW_ROWS = 20;


function float32s(blob: Buffer): Float32Array {
  const out = new Float32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

/** The shortest decimal text that reads back as the same float32, so exports stay short and round-trip exactly. */
export function float32Text(v: number): string {
  for (let p = 1; p < 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(Number(v.toPrecision(9)));
}

/**
 * A CSV text field: quoted when it holds a delimiter, quote, line break or edge spaces. Text that
 * a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return: a run
 * named `=HYPERLINK(…)`) gets a leading apostrophe, as spreadsheet tools expect, so opening an
 * export never runs what a name says. Numbers are written apart and never pass through here.
 */
export function csvField(s: string): string {
  const text = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function previewCell(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  if (ArrayBuffer.isView(v)) return JSON.stringify(Array.from(v as unknown as ArrayLike<number | bigint>, Number));
  return JSON.stringify(v);
}

export class OptimizationDatasets {
  private readonly rows: DatasetStore;
  private readonly recordRows: OptimizationRecordStore;
  constructor(private readonly db: Db) {
    this.rows = new DatasetStore(db);
    this.recordRows = new OptimizationRecordStore(db);
  }

  /** A new, empty optimization dataset; "building" while a run writes it. */
  /** `owner`: the token of the process writing it outside a job (an import), see ownership.ts */
  create(projectId: number, name: string, source: string, jobId: number | null, status: DatasetStatus = 'building', owner: string | null = null): OptimizationDatasetInfo {
    if (!new ProjectStore(this.db).exists(projectId)) {
      throw new ApiError('not_found', `There is no project with id ${projectId}.`, [{ path: 'projectId', message: 'no such project' }]);
    }
    return this.getOptimization(this.rows.insert({ projectId, name, kind: 'optimization', source, status, jobId, owner }));
  }

  /** Writes a batch of records in one transaction: all or none, checked before anything is written. */
  append(datasetId: number, records: readonly OptimizationRecord[]): void {
    records.forEach((r, i) => {
      const bad = (what: string): never => {
        throw new Error(`record ${i}: ${what}`);
      };
      if (!Number.isFinite(r.cost)) bad(`cost is ${r.cost}, not a finite number`);
      if (!Number.isSafeInteger(r.iteration) || r.iteration < 0) bad(`iteration ${r.iteration} is not a whole number ≥ 0`);
      if (r.task.length !== 2 || !Array.from(r.task).every(Number.isFinite)) bad('task must be 2 finite numbers');
      if (!r.design.length || !Array.from(r.design).every(Number.isFinite)) bad('design must be finite numbers');
    });
    this.db
      .transaction(() => {
        this.optimizationRow(datasetId);
        for (const r of records) this.recordRows.insert(datasetId, r.run, r.optimizer, toFloat32Blob(r.task), r.iteration, toFloat32Blob(r.design), r.cost);
      })
      .immediate();
  }

  /** Computes the dataset's stats and stores them with its final status. */
  finish(datasetId: number, status: 'ready' | 'incomplete'): OptimizationDatasetInfo {
    this.db
      .transaction(() => {
        this.optimizationRow(datasetId);
        this.storeStats(datasetId, status);
      })
      .immediate();
    return this.getOptimization(datasetId);
  }

  /** An optimization dataset (an error for another kind). */
  getOptimization(id: number): OptimizationDatasetInfo {
    return asDatasetKind(this.get(id), 'optimization');
  }

  get(id: number): DatasetInfo {
    const row = this.rows.row(id);
    if (!row) throw new ApiError('not_found', `There is no dataset with id ${id}.`, [{ path: 'id', message: 'no such dataset' }]);
    return toDatasetInfo(row);
  }

  count(datasetId: number): number {
    return this.recordRows.count(datasetId);
  }

  /** The dataset's records in the order they were written, decoded, one at a time. */
  *records(datasetId: number): Generator<StoredRecord> {
    this.optimizationRow(datasetId);
    for (const r of this.recordRows.iterate(datasetId)) yield { id: r.id, run: r.run, optimizer: r.optimizer, iteration: r.iteration, task: float32s(r.task), design: float32s(r.design), cost: r.cost };
  }

  /** The first rows of a trajectory file, the mapping its column names suggest, and the problems in those rows. */
  async preview(source: TrajectorySource, format: TrajectoryFormat | undefined, bounds: ProjectBounds): Promise<TrajectoryPreview> {
    const src = openSource(source, format);
    try {
      let columns: string[] = [];
      const notes: MappingProblem[] = [];
      const rows: unknown[][] = [];
      const count = await readRows(
        src,
        {
          columns: (names, n) => {
            columns = names;
            notes.push(...n);
          },
          row: (cells) => void rows.push([...cells]),
        },
        PREVIEW_ROWS,
      );
      const { mapping, problems } = detectMapping(columns);
      problems.unshift(...notes);
      if (!count) problems.push({ row: null, column: null, message: 'the file has a header but no rows' });
      if (mapping) {
        try {
          const reader = new RecordReader(resolveMapping(mapping, columns, bounds), bounds);
          rows.forEach((cells, i) => {
            try {
              reader.read(cells, i + 1);
            } catch (err) {
              if (!(err instanceof RowError)) throw err;
              problems.push({ row: err.row, column: err.column, message: err.problem });
            }
          });
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          problems.push({ row: null, column: null, message: err.message });
        }
      }
      return { format: src.format, fileName: src.fileName, columns, rows: rows.map((r) => r.map(previewCell)), mapping, problems };
    } finally {
      src.dispose();
    }
  }

  /**
   * Imports a trajectory file as a new "ready" optimization dataset, streamed. Rows are written
   * in short transactions of FLUSH_ROWS while the dataset is "building" (no transaction ever
   * spans the stream's awaits, so other writes of the workbench go on meanwhile); the first
   * problem (an ApiError naming row and column) deletes the dataset and every row written, and
   * a crash mid-import is cleaned up by the next workbench that finds its owner gone (opts.owner,
   * this process's token: another process leaves a live import alone): all or nothing. The owner
   * is required: an import without one is an orphan to every heartbeat, this process's included,
   * and would be removed while it runs.
   */
  async importFile(
    projectId: number,
    name: string,
    source: TrajectorySource,
    opts: { format?: TrajectoryFormat; mapping?: TrajectoryMapping; bounds: ProjectBounds; owner: string | null; inserter?: RecordInserter | null },
  ): Promise<OptimizationDatasetInfo> {
    const src = openSource(source, opts.format);
    let info: OptimizationDatasetInfo | null = null;
    let writer: RecordWriter | null = null;
    try {
      info = this.create(projectId, name, `${IMPORTED}${src.fileName}`, null, 'building', opts.owner);
      writer = new RecordWriter(this.db, info.id, opts.bounds.designDim, opts.inserter ?? null);
      const w = writer;
      const totals = new RunningStats();
      let reader: RecordReader | null = null;
      const rows = await readRows(src, {
        columns: (columns, notes) => {
          const mapping = opts.mapping ?? mappingOrError(columns, notes);
          const skipped = notes.find((n) => n.column !== null && Object.values(mapping).flat().includes(n.column));
          if (skipped) throw fileError(`mapping: array "${skipped.column}" cannot be used (${skipped.message})`, 'mapping');
          reader = new RecordReader(resolveMapping(mapping, columns, opts.bounds), opts.bounds);
        },
        row: (cells, row) => {
          const r = reader!;
          r.read(cells, row);
          w.add(r);
          totals.add(r);
        },
        drain: () => w.drain(),
      });
      if (!rows) throw fileError(`"${src.fileName}" has a header but no rows.`);
      await writer.finish();
      this.storeStats(info.id, 'ready', totals.summary(opts.bounds.designDim), totals.costs());
      return this.getOptimization(info.id);
    } catch (err) {
      // the worker's inserts end before the rows are removed, so none lands after the removal
      await writer?.settle();
      if (info && !this.rows.delete(info.id) && (!(err instanceof ApiError) || err.code === 'not_found')) {
        // the row went while we wrote: another process took this one for stopped (a stall past
        // the heartbeat's grace period, see ownership.ts) and removed the import; when it went
        // after the last row, reading the finished dataset back says "not found" for the same reason
        throw new ApiError('conflict', `The import of "${src.fileName}" was removed by another workbench process that took this one for stopped (it did not answer for a while); import it again.`);
      }
      throw err;
    } finally {
      src.dispose();
    }
  }

  /**
   * An import that a crash stopped leaves nothing behind; one still being written by a live
   * process (its owner, see ownership.ts) is left alone. Returns how many were removed.
   */
  removeInterruptedImports(): number {
    return this.rows.deleteOrphanedOptimization(IMPORTED);
  }

  /** Generated optimization datasets left "building" by a process that is gone become "incomplete". Returns their ids. */
  finishInterrupted(): number[] {
    const ids = this.rows.orphans('optimization');
    for (const { id } of ids) this.finish(id, 'incomplete');
    return ids.map((r) => r.id);
  }

  /** The whole dataset in the import's own layout: CSV run,optimizer,iteration,task_x,task_y,x0…,cost or a JSON array. */
  /**
   * Each run's cost against iteration (the cheapest record of each iteration), the first
   * `maxRuns` runs in the order they were written; a run of more than `maxPoints` iterations is
   * thinned to that many, always keeping its first, its last and its cheapest iteration.
   */
  runCurves(datasetId: number, maxRuns: number, maxPoints = 400): MethodResult<'datasets.runCurves'> {
    this.optimizationRow(datasetId);
    const store = new OptimizationRecordStore(this.db);
    return this.db.transaction(() => {
      const { runs, total } = store.runs(datasetId, maxRuns);
      return {
        totalRuns: total,
        runs: runs.map((r) => {
          const costs = store.iterationCosts(datasetId, r.run);
          let points = costs.map((c): [number, number] => [c.iteration, c.cost]);
          if (points.length > maxPoints) {
            const step = points.length / maxPoints;
            const keep = new Set<number>([0, points.length - 1, points.reduce((b, p, i) => (p[1] < points[b]![1] ? i : b), 0)]);
            for (let k = 0; k < maxPoints; k++) keep.add(Math.floor(k * step));
            points = [...keep].sort((a, b) => a - b).map((i) => points[i]!);
          }
          return { run: r.run, optimizer: r.optimizer, records: r.records, best: r.best, iterations: costs.length, points };
        }),
      };
    })();
  }

  exportRecords(datasetId: number, format: 'csv' | 'json'): { fileName: string; content: string; rows: number } {
    const ds = this.optimizationRow(datasetId);
    const parts: string[] = [];
    let rows = 0;
    // one read transaction: a snapshot, even while a run appends to the dataset
    this.db.transaction(() => {
      for (const r of this.records(datasetId)) {
        const task = Array.from(r.task, float32Text);
        const design = Array.from(r.design, float32Text);
        if (format === 'csv') {
          if (!rows) parts.push(['run', 'optimizer', 'iteration', 'task_x', 'task_y', ...design.map((_, k) => `x${k}`), 'cost'].join(',') + '\n');
          parts.push(`${csvField(r.run)},${csvField(r.optimizer)},${r.iteration},${task.join(',')},${design.join(',')},${r.cost}\n`);
        } else {
          parts.push(`${rows ? ',\n' : '[\n'}{"run":${JSON.stringify(r.run)},"optimizer":${JSON.stringify(r.optimizer)},"iteration":${r.iteration},"task":[${task.join(',')}],"design":[${design.join(',')}],"cost":${r.cost}}`);
        }
        rows++;
      }
    })();
    if (!rows) throw new ApiError('invalid_argument', `Dataset "${ds.name}" has no records to export.`, [{ path: 'id', message: 'empty dataset' }]);
    if (format === 'json') parts.push('\n]\n');
    return { fileName: `${safeFileName(ds.name, `dataset-${datasetId}`)}.${format}`, content: parts.join(''), rows };
  }

  /** `known`: the aggregates when the caller counted them while writing (an import), else computed here. */
  private storeStats(datasetId: number, status: DatasetStatus, known?: Omit<OptimizationDatasetStats, 'costHistogram'>, costs?: Float64Array | null): void {
    const a: Omit<OptimizationDatasetStats, 'costHistogram'> = known ?? this.recordRows.aggregate(datasetId);
    let costHistogram: OptimizationDatasetStats['costHistogram'] = null;
    if (a.rows && a.minCost !== null && a.maxCost !== null) {
      const bins = a.maxCost > a.minCost ? HISTOGRAM_BINS : 1;
      const width = (a.maxCost - a.minCost) / bins || 1;
      const counts = new Array<number>(bins).fill(0);
      if (costs) for (const c of costs) counts[Math.min(Math.trunc((c - a.minCost) / width), bins - 1)]!++;
      else {
        for (const { bin, n } of this.recordRows.costHistogram(datasetId, a.minCost, width, bins)) counts[bin] = n;
      }
      const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? a.maxCost! : a.minCost! + i * width));
      costHistogram = { edges, counts };
    }
    const stats: OptimizationDatasetStats = { ...a, costHistogram };
    this.rows.finish(datasetId, status, stats);
  }

  /** The dataset's row; not_found if missing, invalid_argument if it is not an optimization dataset. */
  private optimizationRow(id: number): DatasetRow {
    const row = this.rows.row(id);
    if (!row) throw new ApiError('not_found', `There is no dataset with id ${id}.`, [{ path: 'id', message: 'no such dataset' }]);
    if (row.kind !== 'optimization') {
      throw new ApiError('invalid_argument', `Dataset ${id} ("${row.name}") is a ${row.kind} dataset, not an optimization dataset.`, [{ path: 'id', message: 'not an optimization dataset' }]);
    }
    return row;
  }
}

/** Inserts an import's records; BLOBs are copied by SQLite when bound, so two buffers serve every row. */
/** Rows written in one short transaction while an import streams. */
const FLUSH_ROWS = 20_000;
const IMPORTED = 'imported:';

/** Where an import's inserts can go: a compute pool with workers, and what they need to open the file. */
export interface RecordInserter {
  compute: ComputePool;
  databasePath: string;
  nativeBinding?: string;
}

/** batches handed to the inserting worker and not yet written, beyond which the reader pauses */
const IN_FLIGHT = 2;

class RecordWriter {
  private readonly records: OptimizationRecordStore;
  /** where the inserts go: a compute worker, or null: this thread */
  private readonly worker: RecordInserter | null;
  /** the worker's inserts, chained so rows keep the file's order */
  private pending: Promise<void> = Promise.resolve();
  /** each batch handed over and not yet written, oldest first: the end of its insert */
  private readonly inFlight: Promise<void>[] = [];
  private failure: unknown = null;
  // the pending rows, in flat arrays: no allocation per row
  private readonly designs: Uint8Array;
  private readonly tasks = new Uint8Array(FLUSH_ROWS * 8);
  private readonly runs: string[] = new Array<string>(FLUSH_ROWS);
  private readonly optimizers: string[] = new Array<string>(FLUSH_ROWS);
  private readonly iterations = new Int32Array(FLUSH_ROWS);
  private readonly costs = new Float64Array(FLUSH_ROWS);
  private count = 0;
  constructor(
    private readonly db: Db,
    private readonly datasetId: number,
    private readonly designDim: number,
    inserter: RecordInserter | null = null,
  ) {
    this.records = new OptimizationRecordStore(db);
    this.designs = new Uint8Array(FLUSH_ROWS * designDim * 4);
    this.worker = inserter?.compute.hasWorkers ? inserter : null;
  }

  /** While too many batches wait for the worker: a promise to wait on before reading on (rejects with its error). */
  drain(): Promise<void> | null {
    if (this.failure) return Promise.reject(this.failure as Error);
    // read on once the oldest batch is written, not all of them: the worker stays busy
    return this.inFlight.length >= IN_FLIGHT ? this.inFlight[0]! : null;
  }

  /** Writes what is pending and waits for the worker's inserts; throws the first insert error. */
  async finish(): Promise<void> {
    this.flush();
    await this.pending;
    if (this.failure) throw this.failure;
  }

  /** Waits for the worker's inserts to end, whatever their outcome (before a failed import is removed). */
  async settle(): Promise<void> {
    await this.pending.catch(() => undefined);
  }

  add(r: RecordReader): void {
    const k = this.count++;
    this.designs.set(r.designBytes.subarray(0, this.designDim * 4), k * this.designDim * 4);
    this.tasks.set(r.taskBytes, k * 8);
    this.runs[k] = r.run;
    this.optimizers[k] = r.optimizer;
    this.iterations[k] = r.iteration;
    this.costs[k] = r.cost;
    if (this.count === FLUSH_ROWS) this.flush();
  }

  /**
   * Writes what is pending in one transaction: here, synchronously (it never spans an await), or
   * by the worker, on copies of the batch, after the batches before it.
   */
  flush(): void {
    if (!this.count) return;
    const n = this.count;
    const rows = { count: n, runs: this.runs, optimizers: this.optimizers, iterations: this.iterations, costs: this.costs, tasks: this.tasks, designs: this.designs, designBytes: this.designDim * 4 };
    this.count = 0;
    if (!this.worker) {
      this.db.transaction(() => this.records.insertMany(this.datasetId, rows)).immediate();
      return;
    }
    const { compute, databasePath, nativeBinding } = this.worker;
    const d = this.designDim * 4;
    // copies: this batch's buffers are refilled while the worker writes
    const batch = { count: n, runs: this.runs.slice(0, n), optimizers: this.optimizers.slice(0, n), iterations: this.iterations.slice(0, n), costs: this.costs.slice(0, n), tasks: this.tasks.slice(0, 8 * n), designs: this.designs.slice(0, d * n), designBytes: d };
    const written = this.pending.then(async () => {
      try {
        if (!this.failure) await compute.run('insertOptimizationRecords', { databasePath, nativeBinding, datasetId: this.datasetId, rows: batch });
      } catch (err) {
        this.failure ??= err;
      } finally {
        this.inFlight.shift();
      }
    });
    this.inFlight.push(written);
    this.pending = written;
  }
}

/** Costs kept for the histogram while importing (8 bytes a row); beyond this many rows it is computed in SQL. */
const KEPT_COSTS = 4_000_000;

/** Counts, distinct runs, tasks and optimizers, and the cost range, while an import streams (no second pass over the table). */
class RunningStats {
  private rows = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  private readonly runs = new Set<string>();
  private readonly optimizers = new Set<string>();
  private readonly tasks = new Set<string>();
  // rows of a run mostly repeat the previous row's run, optimizer and task: skip the set then
  private lastRun = '';
  private lastOptimizer = '';
  private lastTask = [Number.NaN, Number.NaN];
  private kept: Float64Array | null = new Float64Array(1024);

  add(r: RecordReader): void {
    if (this.kept) {
      if (this.rows === this.kept.length) {
        if (this.rows >= KEPT_COSTS) this.kept = null;
        else {
          const grown = new Float64Array(this.rows * 2);
          grown.set(this.kept);
          this.kept = grown;
        }
      }
      if (this.kept) this.kept[this.rows] = r.cost;
    }
    this.rows++;
    this.sum += r.cost;
    if (r.cost < this.min) this.min = r.cost;
    if (r.cost > this.max) this.max = r.cost;
    if (r.run !== this.lastRun) this.runs.add((this.lastRun = r.run));
    if (r.optimizer !== this.lastOptimizer) this.optimizers.add((this.lastOptimizer = r.optimizer));
    if (r.task[0] !== this.lastTask[0] || r.task[1] !== this.lastTask[1]) {
      this.lastTask = [r.task[0]!, r.task[1]!];
      this.tasks.add(`${r.task[0]},${r.task[1]}`);
    }
  }

  /** every cost, in row order; null when there were too many to keep */
  costs(): Float64Array | null {
    return this.kept ? this.kept.subarray(0, this.rows) : null;
  }

  summary(designDim: number): Omit<OptimizationDatasetStats, 'costHistogram'> {
    const n = this.rows;
    return { rows: n, runs: this.runs.size, tasks: this.tasks.size, optimizers: this.optimizers.size, designDim: n ? designDim : null, minCost: n ? this.min : null, meanCost: n ? this.sum / n : null, maxCost: n ? this.max : null };
  }
}

function mappingOrError(columns: string[], notes: MappingProblem[]): TrajectoryMapping {
  const { mapping, problems } = detectMapping(columns);
  if (mapping) return mapping;
  const all = [...problems, ...notes];
  throw new ApiError(
    'invalid_argument',
    `The columns could not be mapped: ${all.map((p) => (p.column ? `${p.column}: ${p.message}` : p.message)).join('; ')}. Columns: ${columns.join(', ')}. Give a mapping.`,
    all.map((p) => ({ path: p.column ? `mapping / ${p.column}` : 'mapping', message: p.message })),
  );
}

