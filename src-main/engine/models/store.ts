import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelInfo, ModelStatus } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';
import { projectDir } from '../paths';
import type { Db } from '../storage/database';

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

/** Model rows and their files (projects/<project>/models/<model>/), written atomically. */
export class ModelStore {
  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
  ) {}

  dir(model: { id: number; projectId: number }): string {
    return join(projectDir(this.dataDir, model.projectId), 'models', String(model.id));
  }

  create(m: { projectId: number; kind: ModelInfo['kind']; name: string; config: unknown; datasetId: number | null; jobId: number | null; status: ModelStatus }): ModelInfo {
    const now = Date.now();
    const id = this.db
      .prepare(
        `INSERT INTO models (project_id, kind, name, status, config, metrics, files, dataset_id, job_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, '{}', '[]', ?, ?, ?, ?)`,
      )
      .run(m.projectId, m.kind, m.name, m.status, JSON.stringify(m.config), m.datasetId, m.jobId, now, now).lastInsertRowid;
    return this.get(Number(id));
  }

  get(id: number): ModelInfo {
    const row = this.db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
    if (!row) throw new ApiError('not_found', `There is no model with id ${id}.`, [{ path: 'id', message: 'no such model' }]);
    return toInfo(row);
  }

  list(projectId: number, kind?: ModelInfo['kind']): ModelInfo[] {
    const rows = kind
      ? this.db.prepare('SELECT * FROM models WHERE project_id = ? AND kind = ? ORDER BY id DESC').all(projectId, kind)
      : this.db.prepare('SELECT * FROM models WHERE project_id = ? ORDER BY id DESC').all(projectId);
    return (rows as ModelRow[]).map(toInfo);
  }

  update(id: number, fields: { status?: ModelStatus; metrics?: ModelInfo['metrics'] | Record<string, unknown>; files?: string[]; jobId?: number | null; config?: unknown }): ModelInfo {
    const current = this.get(id);
    this.db
      .prepare('UPDATE models SET status = ?, metrics = ?, files = ?, job_id = ?, config = ?, updated_at = ? WHERE id = ?')
      .run(
        fields.status ?? current.status,
        JSON.stringify(fields.metrics ?? current.metrics),
        JSON.stringify(fields.files ?? current.files),
        fields.jobId === undefined ? current.jobId : fields.jobId,
        JSON.stringify(fields.config ?? current.config),
        Date.now(),
        id,
      );
    return this.get(id);
  }

  delete(id: number): ModelInfo {
    const model = this.get(id);
    this.db.prepare('DELETE FROM models WHERE id = ?').run(id);
    rmSync(this.dir(model), { recursive: true, force: true });
    return model;
  }

  /** Writes a model file via a temporary name and a rename, so a crash never leaves half a file. */
  writeFile(model: { id: number; projectId: number }, name: string, bytes: Uint8Array | string): string {
    const dir = this.dir(model);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, name);
    writeFileSync(`${path}.tmp`, bytes);
    renameSync(`${path}.tmp`, path);
    return path;
  }

  readFile(model: { id: number; projectId: number }, name: string): Buffer {
    const path = join(this.dir(model), name);
    if (!existsSync(path)) throw new ApiError('not_found', `Model ${model.id} has no file ${name}.`);
    return readFileSync(path);
  }

  hasFile(model: { id: number; projectId: number }, name: string): boolean {
    return existsSync(join(this.dir(model), name));
  }

  /** Those of `names` that are on disk: a model lists only files it has. */
  existingFiles(model: { id: number; projectId: number }, names: Iterable<string>): string[] {
    return [...new Set(names)].filter((n) => this.hasFile(model, n));
  }

  /**
   * Models left "training" by a training that is no longer queued or running (its process died:
   * see ownership.ts; or its worker was stopped by force) become "interrupted" when they have a
   * checkpoint to resume from, "failed" otherwise; their file lists keep only the files on disk.
   * A model a live job trains, in this process or another, is left alone. Returns the ids.
   */
  markInterrupted(): number[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM models WHERE status = 'training' AND (job_id IS NULL OR NOT EXISTS (
           SELECT 1 FROM jobs j WHERE j.id = models.job_id AND j.status IN ('queued','running')))`,
      )
      .all() as ModelRow[];
    for (const row of rows) {
      const m = toInfo(row);
      const resumable = this.hasFile(m, 'checkpoint.json');
      this.db
        .prepare("UPDATE models SET status = ?, files = ?, updated_at = ? WHERE id = ? AND status = 'training'")
        .run(resumable ? 'interrupted' : 'failed', JSON.stringify(this.existingFiles(m, m.files)), Date.now(), m.id);
    }
    return rows.map((r) => r.id);
  }

  /** Whether job `jobId` is the one the model's row names as its training (false: another took it, or it is gone). */
  trainedBy(id: number, jobId: number): boolean {
    const row = this.db.prepare('SELECT job_id FROM models WHERE id = ?').get(id) as { job_id: number | null } | undefined;
    return row?.job_id === jobId;
  }

  /**
   * Before a training writes its files: the model must still be "training" by this job. After a
   * long stall another process may have taken this one for dead and the model for interrupted,
   * and resumed it: then this training stops rather than write the same files twice.
   */
  assertTraining(id: number, jobId: number): void {
    const row = this.db.prepare('SELECT status, job_id FROM models WHERE id = ?').get(id) as { status: ModelStatus; job_id: number | null } | undefined;
    if (!row) throw new Error(`Model ${id} was deleted during its training.`);
    if (row.status !== 'training' || row.job_id !== jobId) {
      throw new Error(`Model ${id} is no longer this job's to train (it is ${row.status}${row.job_id !== jobId ? `, by job ${row.job_id}` : ''}): another process took this one for stopped. This training stops without writing its files.`);
    }
  }

  /**
   * Takes a model for a resumed training by job `jobId`, atomically: false when it is already
   * "training" (another job, maybe in another process, has it).
   */
  claimForTraining(id: number, jobId: number): boolean {
    return this.db.prepare("UPDATE models SET status = 'training', job_id = ?, updated_at = ? WHERE id = ? AND status != 'training'").run(jobId, Date.now(), id).changes === 1;
  }
}
