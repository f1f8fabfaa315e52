import type { RunNote } from '../../../src-shared/api';
import type { Db } from './database';
import { statement } from './statements';

interface RunNoteRow {
  job_id: number;
  project_id: number;
  name: string | null;
  note: string | null;
  updated_at: number;
}

function toNote(r: RunNoteRow): RunNote {
  return { jobId: r.job_id, projectId: r.project_id, name: r.name, note: r.note, updatedAt: r.updated_at };
}

/** The user's names and notes on runs (the run_notes table). */
export class RunNoteStore {
  constructor(private readonly db: Db) {}

  list(projectId: number): RunNote[] {
    return (statement(this.db, 'SELECT * FROM run_notes WHERE project_id = ? ORDER BY job_id DESC').all(projectId) as RunNoteRow[]).map(toNote);
  }

  get(jobId: number): RunNote | null {
    const row = statement(this.db, 'SELECT * FROM run_notes WHERE job_id = ?').get(jobId) as RunNoteRow | undefined;
    return row ? toNote(row) : null;
  }

  /**
   * Sets a run's name and note (null clears one); with both null the row goes. The caller has
   * checked that the job is a run of the project. Returns what is stored now.
   */
  set(projectId: number, jobId: number, name: string | null, note: string | null): RunNote {
    const now = Date.now();
    if (name === null && note === null) {
      statement(this.db, 'DELETE FROM run_notes WHERE job_id = ?').run(jobId);
      return { jobId, projectId, name: null, note: null, updatedAt: now };
    }
    statement(
      this.db,
      `INSERT INTO run_notes (job_id, project_id, name, note, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(job_id) DO UPDATE SET name = excluded.name, note = excluded.note, updated_at = excluded.updated_at`,
    ).run(jobId, projectId, name, note, now);
    return this.get(jobId)!;
  }
}
