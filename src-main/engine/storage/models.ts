import type { ModelInfo, ModelStatus } from '../../../src-shared/api';
import type { Db } from './database';
import { statement } from './statements';

interface ModelRow {
  id: number;
  project_id: number;
  kind: ModelInfo['kind'];
  name: string;
  status: ModelStatus;
  config: string;
  metrics: string;
  files: string;
  dataset_id: number | null;
  job_id: number | null;
  created_at: number;
  updated_at: number;
}

function toInfo(r: ModelRow): ModelInfo {
  return {
    id: r.id,
    projectId: r.project_id,
    kind: r.kind,
    name: r.name,
    status: r.status,
    config: JSON.parse(r.config),
    metrics: JSON.parse(r.metrics),
    files: JSON.parse(r.files),
    datasetId: r.dataset_id,
    jobId: r.job_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at || r.created_at,
  };
}

export interface NewModel {
  projectId: number;
  kind: ModelInfo['kind'];
  name: string;
  config: unknown;
  datasetId: number | null;
  jobId: number | null;
  status: ModelStatus;
}

/** The models table (the rows; models/store.ts keeps their files as well). */
export class ModelRows {
  constructor(private readonly db: Db) {}

  insert(m: NewModel): number {
    const now = Date.now();
    return Number(
      statement(
        this.db,
        `INSERT INTO models (project_id, kind, name, status, config, metrics, files, dataset_id, job_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, '{}', '[]', ?, ?, ?, ?)`,
      ).run(m.projectId, m.kind, m.name, m.status, JSON.stringify(m.config), m.datasetId, m.jobId, now, now).lastInsertRowid,
    );
  }

  find(id: number): ModelInfo | null {
    const row = statement(this.db, 'SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
    return row ? toInfo(row) : null;
  }

  /** newest first */
  list(projectId: number, kind?: ModelInfo['kind']): ModelInfo[] {
    const rows = kind
      ? statement(this.db, 'SELECT * FROM models WHERE project_id = ? AND kind = ? ORDER BY id DESC').all(projectId, kind)
      : statement(this.db, 'SELECT * FROM models WHERE project_id = ? ORDER BY id DESC').all(projectId);
    return (rows as ModelRow[]).map(toInfo);
  }

  /** Writes every field given, with updated_at now. */
  update(id: number, m: { status: ModelStatus; metrics: unknown; files: string[]; jobId: number | null; config: unknown }): void {
    statement(this.db, 'UPDATE models SET status = ?, metrics = ?, files = ?, job_id = ?, config = ?, updated_at = ? WHERE id = ?').run(
      m.status,
      JSON.stringify(m.metrics),
      JSON.stringify(m.files),
      m.jobId,
      JSON.stringify(m.config),
      Date.now(),
      id,
    );
  }

  delete(id: number): void {
    statement(this.db, 'DELETE FROM models WHERE id = ?').run(id);
  }

  /** Models left "training" by a training that is no longer queued or running. */
  orphanedTrainings(): ModelInfo[] {
    return (
      statement(
        this.db,
        `SELECT * FROM models WHERE status = 'training' AND (job_id IS NULL OR NOT EXISTS (
           SELECT 1 FROM jobs j WHERE j.id = models.job_id AND j.status IN ('queued','running')))`,
      ).all() as ModelRow[]
    ).map(toInfo);
  }

  /** Ends a training that is gone: the status and files, only while the model is still "training". */
  endTraining(id: number, status: 'interrupted' | 'failed', files: string[]): void {
    statement(this.db, "UPDATE models SET status = ?, files = ?, updated_at = ? WHERE id = ? AND status = 'training'").run(status, JSON.stringify(files), Date.now(), id);
  }

  /** the model's status and training job, or null when it is gone */
  training(id: number): { status: ModelStatus; jobId: number | null } | null {
    const row = statement(this.db, 'SELECT status, job_id FROM models WHERE id = ?').get(id) as { status: ModelStatus; job_id: number | null } | undefined;
    return row ? { status: row.status, jobId: row.job_id } : null;
  }

  /** Sets the model "training" by job `jobId` unless it is training already; false then. */
  claimForTraining(id: number, jobId: number): boolean {
    return statement(this.db, "UPDATE models SET status = 'training', job_id = ?, updated_at = ? WHERE id = ? AND status != 'training'").run(jobId, Date.now(), id).changes === 1;
  }
}
