import type { StoredDesign } from '../../../src-shared/api';
import { fromFloat32Blob, toFloat32Blob } from './blob';
import type { Db } from './database';
import { statement } from './statements';

/** A design a run keeps (a sampling run's final designs, an optimizer run's best). */
export interface NewDesign {
  projectId: number;
  /** "sample", "cem", "adam", … */
  method: string;
  run: string | null;
  design: ArrayLike<number>;
  task: ArrayLike<number>;
  cost: number | null;
  capture: number | null;
  /** the model that made it (the diffusion model of a sampling run, the learned model of an optimizer) */
  modelId: number | null;
  /** the simulator query that scored it, when there is one */
  queryId: number | null;
  /** how it was found (job id, settings, seeds): JSON; jobId is what designs are listed by */
  provenance: { jobId?: number } & Record<string, unknown>;
  createdAt?: number;
}

export interface DesignFilter {
  /** the job that made them (provenance.jobId) */
  jobId?: number;
  run?: string;
  method?: string;
  /** at most this many, cheapest first */
  limit?: number;
}

interface DesignRow {
  id: number;
  project_id: number;
  method: string;
  run: string | null;
  design: Buffer;
  task: Buffer;
  cost: number | null;
  capture: number | null;
  model_id: number | null;
  query_id: number | null;
  provenance: string;
  created_at: number;
}

function toStored(r: DesignRow): StoredDesign {
  const provenance = JSON.parse(r.provenance) as Record<string, unknown>;
  return {
    id: r.id,
    projectId: r.project_id,
    method: r.method,
    run: r.run,
    jobId: typeof provenance.jobId === 'number' ? provenance.jobId : null,
    design: Array.from(fromFloat32Blob(r.design)),
    task: Array.from(fromFloat32Blob(r.task)),
    cost: r.cost,
    capture: r.capture,
    modelId: r.model_id,
    queryId: r.query_id,
    provenance,
    createdAt: r.created_at,
  };
}

const INSERT = `INSERT INTO designs (project_id, method, run, design, task, cost, capture, model_id, query_id, provenance, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The designs table: the designs runs keep, with their provenance and the query that scored them. */
export class DesignStore {
  constructor(private readonly db: Db) {}

  /** Writes the designs in one transaction: all or none. Returns their ids, in order. */
  insert(designs: readonly NewDesign[]): number[] {
    const now = Date.now();
    const insert = statement(this.db, INSERT);
    return this.db.transaction(() =>
      designs.map((d) =>
        Number(
          insert.run(
            d.projectId,
            d.method,
            d.run,
            toFloat32Blob(d.design),
            toFloat32Blob(d.task),
            d.cost,
            d.capture,
            d.modelId,
            d.queryId,
            JSON.stringify(d.provenance),
            d.createdAt ?? now,
          ).lastInsertRowid,
        ),
      ),
    )();
  }

  get(id: number): StoredDesign | null {
    const row = statement(this.db, 'SELECT * FROM designs WHERE id = ?').get(id) as DesignRow | undefined;
    return row ? toStored(row) : null;
  }

  /** The project's designs, cheapest first (designs without a cost last), filtered. */
  list(projectId: number, filter: DesignFilter = {}): StoredDesign[] {
    const where = ['project_id = ?'];
    const args: unknown[] = [projectId];
    if (filter.jobId !== undefined) {
      where.push("json_extract(provenance, '$.jobId') = ?");
      args.push(filter.jobId);
    }
    if (filter.run !== undefined) {
      where.push('run = ?');
      args.push(filter.run);
    }
    if (filter.method !== undefined) {
      where.push('method = ?');
      args.push(filter.method);
    }
    const sql = `SELECT * FROM designs WHERE ${where.join(' AND ')} ORDER BY cost IS NULL, cost, id LIMIT ?`;
    return (statement(this.db, sql).all(...args, filter.limit ?? -1) as DesignRow[]).map(toStored);
  }

  count(projectId: number): number {
    return (statement(this.db, 'SELECT COUNT(*) AS n FROM designs WHERE project_id = ?').get(projectId) as { n: number }).n;
  }
}
