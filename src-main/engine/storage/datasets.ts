import type { DatasetInfo, DatasetStatus, OptimizationDatasetStats, PhysicsDatasetStats } from '../../../src-shared/api';
import type { Db } from './database';
import { statement } from './statements';

/** A row of the datasets table. */
export interface DatasetRow {
  id: number;
  project_id: number;
  name: string;
  kind: 'physics' | 'optimization';
  source: string;
  status: DatasetStatus;
  stats: string;
  job_id: number | null;
  created_at: number;
  owner?: string | null;
}

/**
 * A dataset left "building" by a process that is gone: one a job writes follows its job (no
 * longer queued or running); one written outside a job (an import) has its own owner token,
 * orphaned when that owner's row is gone (see ownership.ts). Rows without either are orphans.
 */
export const ORPHAN_DATASET = `status = 'building' AND CASE WHEN job_id IS NOT NULL
    THEN NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = datasets.job_id AND j.status IN ('queued','running'))
    ELSE (owner IS NULL OR owner NOT IN (SELECT token FROM owners)) END`;

export function toDatasetInfo(r: DatasetRow): DatasetInfo {
  const common = { id: r.id, projectId: r.project_id, name: r.name, source: r.source, status: r.status, jobId: r.job_id, createdAt: r.created_at };
  // stats is the JSON each kind's writer stores (datasets/physics.ts, datasets/trajectories.ts)
  return r.kind === 'physics' ? { ...common, kind: 'physics', stats: JSON.parse(r.stats) as PhysicsDatasetStats } : { ...common, kind: 'optimization', stats: JSON.parse(r.stats) as Partial<OptimizationDatasetStats> };
}

export interface NewDataset {
  projectId: number;
  name: string;
  kind: 'physics' | 'optimization';
  source: string;
  status: DatasetStatus;
  jobId: number | null;
  /** the token of the process writing it outside a job (an import), see ownership.ts */
  owner?: string | null;
}

/** The datasets table: one row per dataset, its rows in physics_trajectories or optimization_records. */
export class DatasetStore {
  constructor(private readonly db: Db) {}

  /** Returns the new id. */
  insert(d: NewDataset): number {
    return Number(
      statement(this.db, 'INSERT INTO datasets (project_id, name, kind, source, status, job_id, created_at, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        d.projectId,
        d.name,
        d.kind,
        d.source,
        d.status,
        d.jobId,
        Date.now(),
        d.owner ?? null,
      ).lastInsertRowid,
    );
  }

  row(id: number): DatasetRow | null {
    return (statement(this.db, 'SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined) ?? null;
  }

  /** The project's datasets of every kind, newest first. */
  list(projectId: number): DatasetRow[] {
    return statement(this.db, 'SELECT * FROM datasets WHERE project_id = ? ORDER BY created_at DESC, id DESC').all(projectId) as DatasetRow[];
  }

  /** Removes the dataset (its rows go through the foreign key); false when there was none. */
  delete(id: number): boolean {
    return statement(this.db, 'DELETE FROM datasets WHERE id = ?').run(id).changes > 0;
  }

  /** the stored stats, parsed */
  stats(id: number): Record<string, unknown> {
    const row = statement(this.db, 'SELECT stats FROM datasets WHERE id = ?').get(id) as { stats: string } | undefined;
    return row ? (JSON.parse(row.stats) as Record<string, unknown>) : {};
  }

  finish(id: number, status: DatasetStatus, stats: unknown): void {
    statement(this.db, 'UPDATE datasets SET status = ?, stats = ? WHERE id = ?').run(status, JSON.stringify(stats), id);
  }

  /** Datasets left "building" by a process that is gone (ORPHAN_DATASET), of one kind or all. */
  orphans(kind?: 'physics' | 'optimization'): { id: number; project_id: number }[] {
    return (
      kind
        ? statement(this.db, `SELECT id, project_id FROM datasets WHERE kind = ? AND ${ORPHAN_DATASET}`).all(kind)
        : statement(this.db, `SELECT id, project_id FROM datasets WHERE ${ORPHAN_DATASET}`).all()
    ) as { id: number; project_id: number }[];
  }

  /** Deletes the orphaned optimization datasets whose source starts with `sourcePrefix` (imports a crash stopped); returns how many. */
  deleteOrphanedOptimization(sourcePrefix: string): number {
    return statement(this.db, `DELETE FROM datasets WHERE kind = 'optimization' AND source LIKE ? || '%' AND ${ORPHAN_DATASET}`).run(sourcePrefix).changes;
  }
}
