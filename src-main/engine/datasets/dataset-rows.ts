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
}

export function toDatasetInfo(r: DatasetRow): DatasetInfo {
  return { id: r.id, projectId: r.project_id, name: r.name, kind: r.kind, source: r.source, status: r.status, stats: JSON.parse(r.stats), jobId: r.job_id, createdAt: r.created_at };
}
