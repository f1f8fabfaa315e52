import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelInfo, ModelStatus } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';
import { projectDir } from '../paths';
import type { Db } from '../storage/database';
import { ModelRows } from '../storage/models';

/** Model rows and their files (projects/<project>/models/<model>/), written atomically. */
export class ModelStore {
  private readonly rows: ModelRows;
  constructor(
    db: Db,
    private readonly dataDir: string,
  ) {
    this.rows = new ModelRows(db);
  }

  dir(model: { id: number; projectId: number }): string {
    return join(projectDir(this.dataDir, model.projectId), 'models', String(model.id));
  }

  create(m: { projectId: number; kind: ModelInfo['kind']; name: string; config: unknown; datasetId: number | null; jobId: number | null; status: ModelStatus }): ModelInfo {
    return this.get(this.rows.insert(m));
  }

  get(id: number): ModelInfo {
    const model = this.rows.find(id);
    if (!model) throw new ApiError('not_found', `There is no model with id ${id}.`, [{ path: 'id', message: 'no such model' }]);
    return model;
  }

  /** the model, or null when it is gone */
  find(id: number): ModelInfo | null {
    return this.rows.find(id);
  }

  list(projectId: number, kind?: ModelInfo['kind']): ModelInfo[] {
    return this.rows.list(projectId, kind);
  }

  update(id: number, fields: { status?: ModelStatus; metrics?: ModelInfo['metrics'] | Record<string, unknown>; files?: string[]; jobId?: number | null; config?: unknown }): ModelInfo {
    const current = this.get(id);
    this.rows.update(id, {
      status: fields.status ?? current.status,
      metrics: fields.metrics ?? current.metrics,
      files: fields.files ?? current.files,
      jobId: fields.jobId === undefined ? current.jobId : fields.jobId,
      config: fields.config ?? current.config,
    });
    return this.get(id);
  }

  delete(id: number): ModelInfo {
    const model = this.get(id);
    this.rows.delete(id);
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
    const models = this.rows.orphanedTrainings();
    for (const m of models) {
      const resumable = this.hasFile(m, 'checkpoint.json');
      this.rows.endTraining(m.id, resumable ? 'interrupted' : 'failed', this.existingFiles(m, m.files));
    }
    return models.map((m) => m.id);
  }

  /** Whether job `jobId` is the one the model's row names as its training (false: another took it, or it is gone). */
  trainedBy(id: number, jobId: number): boolean {
    return this.rows.training(id)?.jobId === jobId;
  }

  /**
   * Before a training writes its files: the model must still be "training" by this job. After a
   * long stall another process may have taken this one for dead and the model for interrupted,
   * and resumed it: then this training stops rather than write the same files twice.
   */
  assertTraining(id: number, jobId: number): void {
    const row = this.rows.training(id);
    if (!row) throw new Error(`Model ${id} was deleted during its training.`);
    if (row.status !== 'training' || row.jobId !== jobId) {
      throw new Error(`Model ${id} is no longer this job's to train (it is ${row.status}${row.jobId !== jobId ? `, by job ${row.jobId}` : ''}): another process took this one for stopped. This training stops without writing its files.`);
    }
  }

  /**
   * Takes a model for a resumed training by job `jobId`, atomically: false when it is already
   * "training" (another job, maybe in another process, has it).
   */
  claimForTraining(id: number, jobId: number): boolean {
    return this.rows.claimForTraining(id, jobId);
  }
}
