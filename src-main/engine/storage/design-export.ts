import type { Db } from './database';
import { statement } from './statements';

// The rows a designs export reads (export/designs.ts): simulator queries of a project, records of
// an optimization dataset, or the designs runs kept, cheapest first. A read over one table each
// (records joined to their dataset for its time), in the shape the export writes.

export interface ExportRow {
  id: number;
  task: Buffer;
  design: Buffer;
  cost: number;
  capture: number | null;
  method: string;
  run: string | null;
  simulator: string | null;
  model_id: number | null;
  created_at: number;
  /** the simulator query: the row itself (queries), the query that scored a kept design (designs), none (records) */
  query_id: number | null;
  /** the kept design (designs only; a query's kept design is looked up apart) */
  design_id: number | null;
  /** a kept design's provenance JSON (designs only) */
  provenance: string | null;
}

export type ExportSource =
  | { from: 'queries'; projectId: number }
  | { from: 'dataset'; datasetId: number }
  /** designs without a cost are left out (they cannot be ranked) */
  | { from: 'designs'; projectId: number; jobId?: number; run?: string };

export interface ExportSelection {
  /** only this method (the optimizer, for dataset records) */
  method?: string;
  /** exactly these ids (of the source's rows), cheapest first */
  ids?: readonly number[];
  /** top k per task (tasks ordered by their best cost) rather than overall */
  perTask?: boolean;
  topK: number;
}

function sourceSql(source: ExportSource, sel: ExportSelection): { sql: string; params: unknown[] } {
  let sql: string;
  const params: unknown[] = [];
  let method: string;
  let id: string;
  if (source.from === 'dataset') {
    sql = `SELECT r.id, r.task, r.design, r.cost, NULL AS capture, r.optimizer AS method, r.run, NULL AS simulator, NULL AS model_id, d.created_at, NULL AS query_id, NULL AS design_id, NULL AS provenance
           FROM optimization_records r JOIN datasets d ON d.id = r.dataset_id WHERE r.dataset_id = ?`;
    params.push(source.datasetId);
    method = 'r.optimizer';
    id = 'r.id';
  } else if (source.from === 'designs') {
    sql = `SELECT id, task, design, cost, capture, method, run, json_extract(provenance, '$.simulator') AS simulator, model_id, created_at, query_id, id AS design_id, provenance
           FROM designs WHERE project_id = ? AND cost IS NOT NULL`;
    params.push(source.projectId);
    if (source.jobId !== undefined) {
      sql += " AND json_extract(provenance, '$.jobId') = ?";
      params.push(source.jobId);
    }
    if (source.run !== undefined) {
      sql += ' AND run = ?';
      params.push(source.run);
    }
    method = 'method';
    id = 'id';
  } else {
    sql = 'SELECT id, task, design, cost, capture, method, run, simulator, model_id, created_at, id AS query_id, NULL AS design_id, NULL AS provenance FROM simulator_queries WHERE project_id = ?';
    params.push(source.projectId);
    method = 'method';
    id = 'id';
  }
  if (sel.method) {
    sql += ` AND ${method} = ?`;
    params.push(sel.method);
  }
  if (sel.ids) {
    sql += ` AND ${id} IN (SELECT value FROM json_each(?))`;
    params.push(JSON.stringify(sel.ids));
  }
  return { sql, params };
}

/** The rows to export, cheapest first (grouped by task, best task first, when perTask). */
export function selectExportRows(db: Db, source: ExportSource, sel: ExportSelection): ExportRow[] {
  const { sql: inner, params } = sourceSql(source, sel);
  let sql: string;
  if (sel.ids) sql = `SELECT * FROM (${inner}) ORDER BY cost, id`;
  else if (sel.perTask) {
    sql = `SELECT * FROM (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY task ORDER BY cost, id) AS rank, MIN(cost) OVER (PARTITION BY task) AS task_best FROM (${inner}) s)
           WHERE rank <= ? ORDER BY task_best, task, cost, id`;
    params.push(sel.topK);
  } else {
    sql = `SELECT * FROM (${inner}) ORDER BY cost, id LIMIT ?`;
    params.push(sel.topK);
  }
  return statement(db, sql).all(...params) as ExportRow[];
}

/** The kept design of each of these simulator queries (the first, when a query was kept twice), with its provenance JSON. */
export function keptDesignsOfQueries(db: Db, queryIds: readonly number[]): Map<number, { designId: number; provenance: string }> {
  const out = new Map<number, { designId: number; provenance: string }>();
  if (!queryIds.length) return out;
  const rows = statement(db, 'SELECT query_id, MIN(id) AS id, provenance FROM designs WHERE query_id IN (SELECT value FROM json_each(?)) GROUP BY query_id').all(JSON.stringify(queryIds)) as {
    query_id: number;
    id: number;
    provenance: string;
  }[];
  for (const r of rows) out.set(r.query_id, { designId: r.id, provenance: r.provenance });
  return out;
}

/** The id of the first design a job kept, with its model (an optimizer run's learned model), or null. */
export function firstDesignOfJob(db: Db, projectId: number, jobId: number): { id: number; model_id: number | null } | null {
  return (
    (statement(db, "SELECT id, model_id FROM designs WHERE project_id = ? AND json_extract(provenance, '$.jobId') = ? ORDER BY id LIMIT 1").get(projectId, jobId) as
      | { id: number; model_id: number | null }
      | undefined) ?? null
  );
}
