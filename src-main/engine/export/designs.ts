// The best designs of a project as CSV or JSON: top k by cost (overall or per task), one method,
// or exactly the rows selected; each with its task, cost, capture, method, run, simulator,
// model, time, the normalized design, and the tool's physical joint angles in radians.
import type { MethodArgs, ProjectSummary } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';
import { TOOL_BASE_ANGLE } from '../../../src-shared/fluidtool2d';
import { safeFileName } from '../datasets/physics';
import { csvField, float32Text } from '../datasets/trajectories';
import type { Db } from '../storage/database';
import { DatasetStore } from '../storage/datasets';
import { JobStore } from '../storage/jobs';
import { selectExportRows, type ExportSource } from '../storage/design-export';

export type DesignExportRequest = Omit<MethodArgs<'designs.export'>, 'projectId'>;

export interface ExportedDesign {
  id: number;
  task: number[];
  cost: number;
  capture: number | null;
  method: string;
  run: string | null;
  simulator: string | null;
  modelId: number | null;
  createdAt: number;
  design: number[];
  /** absolute angle of each tool segment from the +x axis, radians (docs/method.md §7) */
  angles: number[];
}

/**
 * Absolute angle of each tool segment, phi_i = phi_0 + sum_{j <= i} thetaMax * x_j: the angles
 * toolPolyline draws the segments at.
 */
export function segmentAngles(design: ArrayLike<number>, thetaMax: number): number[] {
  const out: number[] = [];
  let phi = TOOL_BASE_ANGLE;
  for (let j = 0; j < design.length; j++) out.push((phi += thetaMax * design[j]!));
  return out;
}

function float32s(blob: Buffer): number[] {
  const f = new Float32Array(blob.byteLength / 4);
  new Uint8Array(f.buffer).set(blob);
  return Array.from(f);
}

/** not_found unless job `jobId` exists and belongs to the project (designs are listed by their job). */
export function assertProjectJob(jobs: JobStore, project: ProjectSummary, jobId: number): void {
  const job = jobs.find(jobId);
  if (!job || job.projectId !== project.id) throw new ApiError('not_found', `Project "${project.name}" has no job with id ${jobId}.`, [{ path: 'jobId', message: 'no such job in this project' }]);
}

/** The rows to export, cheapest first (grouped by task, best task first, when perTask). */
export function selectDesigns(db: Db, project: ProjectSummary, req: DesignExportRequest): ExportedDesign[] {
  if (req.from !== 'designs' && (req.jobId !== undefined || req.run !== undefined)) {
    const path = req.jobId !== undefined ? 'jobId' : 'run';
    throw new ApiError('invalid_argument', `${path} picks the designs of one run: it goes with from "designs".`, [{ path, message: 'only with from "designs"' }]);
  }
  let source: ExportSource;
  if (req.from === 'dataset') {
    if (req.datasetId === undefined) throw new ApiError('invalid_argument', 'Give datasetId to export designs from a dataset.', [{ path: 'datasetId', message: 'is required when from is "dataset"' }]);
    const ds = new DatasetStore(db).row(req.datasetId);
    if (!ds || ds.project_id !== project.id) throw new ApiError('not_found', `Project "${project.name}" has no dataset with id ${req.datasetId}.`, [{ path: 'datasetId', message: 'no such dataset in this project' }]);
    if (ds.kind !== 'optimization') throw new ApiError('invalid_argument', `Dataset "${ds.name}" is a ${ds.kind} dataset; designs export from optimization datasets.`, [{ path: 'datasetId', message: 'not an optimization dataset' }]);
    source = { from: 'dataset', datasetId: req.datasetId };
  } else if (req.from === 'designs') {
    if (req.jobId !== undefined) assertProjectJob(new JobStore(db), project, req.jobId);
    source = { from: 'designs', projectId: project.id, jobId: req.jobId, run: req.run };
  }
  else source = { from: 'queries', projectId: project.id };
  const rows = selectExportRows(db, source, { method: req.method, ids: req.ids, perTask: req.perTask, topK: req.topK });
  if (req.ids) {
    const found = new Set(rows.map((r) => r.id));
    const missing = [...new Set(req.ids)].filter((id) => !found.has(id));
    if (missing.length) {
      const what =
        req.from === 'dataset' ? `records of dataset ${req.datasetId}` : req.from === 'designs' ? `designs of project "${project.name}"${req.jobId !== undefined ? ` from job ${req.jobId}` : ''}${req.run !== undefined ? ` of run "${req.run}"` : ''}` : `simulator queries of project "${project.name}"`;
      throw new ApiError('not_found', `ids ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? `, and ${missing.length - 10} more,` : ''} are not ${what}${req.method ? ` with method "${req.method}"` : ''}.`, [
        { path: 'ids', message: `${missing.length} not found` },
      ]);
    }
  }
  const thetaMax = project.settings.thetaMax;
  return rows.map((r) => {
    const design = float32s(r.design);
    return {
      id: r.id,
      task: float32s(r.task),
      cost: r.cost,
      capture: r.capture,
      method: r.method,
      run: r.run,
      simulator: r.simulator,
      modelId: r.model_id,
      createdAt: r.created_at,
      design,
      angles: segmentAngles(design, thetaMax),
    };
  });
}

/** Column names: x0… are the normalized design, angle_<i>_rad the absolute angle of tool segment i. */
export function designColumns(designDim: number): string[] {
  return [
    'id',
    'task_x',
    'task_y',
    'cost',
    'capture',
    'method',
    'run',
    'simulator',
    'model_id',
    'created_at',
    ...Array.from({ length: designDim }, (_, k) => `x${k}`),
    ...Array.from({ length: designDim }, (_, k) => `angle_${k + 1}_rad`),
  ];
}

export function exportDesigns(db: Db, project: ProjectSummary, req: DesignExportRequest): { fileName: string; content: string; rows: number } {
  const designs = selectDesigns(db, project, req);
  const d = project.designSpace.dim;
  const columns = designColumns(d);
  const picked = req.ids ? 'selected' : req.perTask ? `best-${req.topK}-per-task` : `best-${req.topK}`;
  // designs a run kept: named by the job or run they come from
  const what =
    req.from === 'designs' ? ['designs', req.jobId !== undefined ? `job-${req.jobId}` : null, req.run !== undefined ? safeFileName(req.run, 'run') : null, picked].filter(Boolean).join('-') : picked;
  const fileName = `${safeFileName(project.name, `project-${project.id}`)}-${req.method ? `${safeFileName(req.method, 'method')}-` : ''}${what}.${req.format}`;
  const flat = (x: ExportedDesign): (string | number | null)[] => [
    x.id,
    Number(float32Text(x.task[0]!)),
    Number(float32Text(x.task[1]!)),
    x.cost,
    x.capture,
    x.method,
    x.run,
    x.simulator,
    x.modelId,
    new Date(x.createdAt).toISOString(),
    ...x.design.map((v) => Number(float32Text(v))),
    ...x.angles,
  ];
  let content: string;
  if (req.format === 'csv') {
    const lines = [columns.join(',')];
    for (const x of designs) lines.push(flat(x).map((v) => (v === null ? '' : typeof v === 'number' ? String(v) : csvField(v))).join(','));
    content = lines.join('\n') + '\n';
  } else {
    const objects = designs.map((x) => ({
      ...Object.fromEntries(flat(x).map((v, i) => [columns[i]!, v])),
      design: x.design.map((v) => Number(float32Text(v))),
      angles: x.angles,
    }));
    // one object a line: readable, and diffable
    content = objects.length ? `[\n${objects.map((x) => JSON.stringify(x)).join(',\n')}\n]\n` : '[]\n';
  }
  return { fileName, content, rows: designs.length };
}
