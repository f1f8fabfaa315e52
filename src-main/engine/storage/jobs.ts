import { ApiError } from '../../../src-shared/errors';
import type { JobInfo, JobKind, JobStatus } from '../../../src-shared/api';
import type { Db } from './database';
import { statement } from './statements';

interface JobRow {
  id: number;
  project_id: number | null;
  kind: string;
  params: string;
  status: JobStatus;
  progress: number;
  message: string | null;
  error: string | null;
  result: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  owner: string | null;
}

function toInfo(r: JobRow): JobInfo {
  return {
    id: r.id,
    projectId: r.project_id,
    kind: r.kind as JobKind,
    params: JSON.parse(r.params),
    status: r.status,
    progress: r.progress,
    message: r.message,
    error: r.error,
    result: r.result === null ? null : JSON.parse(r.result),
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

/** A queued or running job whose owner (see ownership.ts) has no row in owners any more. */
export const ORPHAN_JOB = `status IN ('queued','running') AND (owner IS NULL OR owner NOT IN (SELECT token FROM owners))`;

export class JobStore {
  /** @param owner the token of the process that creates (and runs) the jobs of this store */
  constructor(
    private readonly db: Db,
    readonly owner: string | null = null,
  ) {}

  create(kind: JobKind, params: unknown, projectId: number | null): JobInfo {
    const now = Date.now();
    const id = statement(
      this.db,
      `INSERT INTO jobs (project_id, kind, params, status, progress, created_at, updated_at, owner)
       VALUES (?, ?, ?, 'queued', 0, ?, ?, ?)`,
    ).run(projectId, kind, JSON.stringify(params ?? {}), now, now, this.owner).lastInsertRowid;
    return this.get(Number(id));
  }

  /** The token of the process that owns the job, null for jobs made before owners existed. */
  ownerOf(id: number): string | null {
    const row = statement(this.db, 'SELECT owner FROM jobs WHERE id = ?').get(id) as { owner: string | null } | undefined;
    return row?.owner ?? null;
  }

  get(id: number): JobInfo {
    const row = statement(this.db, 'SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (!row) throw new ApiError('not_found', `There is no job with id ${id}.`, [{ path: 'id', message: 'no such job' }]);
    return toInfo(row);
  }

  find(id: number): JobInfo | null {
    const row = statement(this.db, 'SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? toInfo(row) : null;
  }

  list(opts: { projectId?: number; limit?: number; statuses?: readonly JobStatus[] } = {}): JobInfo[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.projectId !== undefined) {
      where.push('project_id = ?');
      args.push(opts.projectId);
    }
    if (opts.statuses) {
      where.push(`status IN (${opts.statuses.map(() => '?').join(',')})`);
      args.push(...opts.statuses);
    }
    const sql = `SELECT * FROM jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    return (statement(this.db, sql).all(...args, opts.limit ?? 100) as JobRow[]).map(toInfo);
  }

  markRunning(id: number): void {
    const now = Date.now();
    statement(this.db, `UPDATE jobs SET status = 'running', started_at = ?, updated_at = ? WHERE id = ?`).run(now, now, id);
  }

  progress(id: number, progress: number, message: string | null): void {
    const p = Math.min(1, Math.max(0, Number.isFinite(progress) ? progress : 0));
    statement(this.db, `UPDATE jobs SET progress = ?, message = COALESCE(?, message), updated_at = ? WHERE id = ? AND status = 'running'`).run(p, message, Date.now(), id);
  }

  finish(id: number, status: Exclude<JobStatus, 'queued' | 'running'>, fields: { error?: string | null; result?: unknown; message?: string | null } = {}): void {
    const now = Date.now();
    statement(
      this.db,
      `UPDATE jobs SET status = ?, error = ?, result = ?, message = COALESCE(?, message),
         progress = CASE WHEN ? = 'succeeded' THEN 1 ELSE progress END,
         finished_at = ?, updated_at = ? WHERE id = ?`,
    ).run(status, fields.error ?? null, fields.result === undefined ? null : JSON.stringify(fields.result), fields.message ?? null, status, now, now, id);
  }

  /** Whether some queued or running job has lost its owner (a read, no write lock). */
  hasOrphans(): boolean {
    return statement(this.db, `SELECT 1 FROM jobs WHERE ${ORPHAN_JOB} LIMIT 1`).get() !== undefined;
  }

  /**
   * What was queued or running in a process that is gone (its owner row removed: see
   * ownership.ts) did not finish. Jobs of live processes, this one or another, are left alone.
   * Returns the ids.
   */
  markInterrupted(): number[] {
    const now = Date.now();
    const rows = statement(
      this.db,
      `UPDATE jobs SET status = 'interrupted', finished_at = ?, updated_at = ?,
         error = CASE status WHEN 'running' THEN 'The workbench stopped while this job was running.'
                             ELSE 'The workbench stopped before this job started.' END
       WHERE ${ORPHAN_JOB} RETURNING id`,
    ).all(now, now) as { id: number }[];
    return rows.map((r) => r.id);
  }
}
