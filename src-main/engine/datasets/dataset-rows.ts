import type { DatasetInfo, DatasetStatus } from '../../../src-shared/api';

/** A row of the datasets table, as both dataset stores read it. */
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
  return { id: r.id, projectId: r.project_id, name: r.name, kind: r.kind, source: r.source, status: r.status, stats: JSON.parse(r.stats), jobId: r.job_id, createdAt: r.created_at };
}
