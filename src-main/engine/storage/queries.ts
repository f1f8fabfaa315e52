import { fromFloat32Blob, toFloat32Blob } from './blob';
import type { Db } from './database';

/** One simulator query: one full rollout of one design (METHOD.md §1). */
export interface SimulatorQuery {
  projectId: number;
  design: ArrayLike<number>;
  task: ArrayLike<number>;
  simulator: 'ground_truth' | 'learned';
  modelId?: number | null;
  cost: number;
  capture?: number | null;
  wallMs: number;
  method: string;
  run?: string | null;
  createdAt?: number;
}

export interface StoredQuery {
  id: number;
  projectId: number;
  design: Float32Array;
  task: Float32Array;
  simulator: 'ground_truth' | 'learned';
  modelId: number | null;
  cost: number;
  capture: number | null;
  wallMs: number;
  method: string;
  run: string | null;
  createdAt: number;
}

interface QueryRow {
  id: number;
  project_id: number;
  design: Buffer;
  task: Buffer;
  simulator: 'ground_truth' | 'learned';
  model_id: number | null;
  cost: number;
  capture: number | null;
  wall_ms: number;
  method: string;
  run: string | null;
  created_at: number;
}

function toStored(r: QueryRow): StoredQuery {
  return {
    id: r.id,
    projectId: r.project_id,
    design: fromFloat32Blob(r.design),
    task: fromFloat32Blob(r.task),
    simulator: r.simulator,
    modelId: r.model_id,
    cost: r.cost,
    capture: r.capture,
    wallMs: r.wall_ms,
    method: r.method,
    run: r.run,
    createdAt: r.created_at,
  };
}

export class QueryStore {
  private readonly insert;
  private readonly best;
  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO simulator_queries
        (project_id, design, task, simulator, model_id, cost, capture, wall_ms, method, run, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.best = db.prepare('SELECT * FROM simulator_queries WHERE project_id = ? ORDER BY cost LIMIT ?');
  }

  /** Writes a batch in one transaction: all rows or none. Returns the first new id. */
  record(queries: readonly SimulatorQuery[]): number {
    for (const [i, q] of queries.entries()) {
      if (!Number.isFinite(q.cost)) throw new Error(`query ${i}: cost is ${q.cost}, not a finite number`);
      if (!Number.isFinite(q.wallMs) || q.wallMs < 0) throw new Error(`query ${i}: wall time ${q.wallMs} ms is invalid`);
    }
    const now = Date.now();
    let first = 0;
    this.db.transaction(() => {
      for (const q of queries) {
        const info = this.insert.run(
          q.projectId,
          toFloat32Blob(q.design),
          toFloat32Blob(q.task),
          q.simulator,
          q.modelId ?? null,
          q.cost,
          q.capture ?? null,
          q.wallMs,
          q.method,
          q.run ?? null,
          q.createdAt ?? now,
        );
        if (!first) first = Number(info.lastInsertRowid);
      }
    }).immediate();
    return first;
  }

  /** The project's lowest-cost queries, cheapest first (served by the (project_id, cost) index). */
  bestByCost(projectId: number, limit = 100): StoredQuery[] {
    return (this.best.all(projectId, limit) as QueryRow[]).map(toStored);
  }

  /** newest first, a page at a time (served by the (project_id, id) index) */
  list(projectId: number, limit: number, offset: number): StoredQuery[] {
    return (this.db.prepare('SELECT * FROM simulator_queries WHERE project_id = ? ORDER BY id DESC LIMIT ? OFFSET ?').all(projectId, limit, offset) as QueryRow[]).map(toStored);
  }

  count(projectId: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM simulator_queries WHERE project_id = ?').get(projectId) as { n: number }).n;
  }
}
