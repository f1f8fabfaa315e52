// The best designs of a project as CSV or JSON: top k by cost (overall or per task), one method,
// or exactly the rows selected; each with its task, cost, capture, method, run, simulator,
// model, time, the normalized design, and the tool's physical joint angles in radians.
import type { MethodArgs, ProjectSummary } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';
import { TOOL_BASE_ANGLE } from '../../../src-shared/fluidtool2d';
import { safeFileName } from '../datasets/physics';
import { csvField, float32Text } from '../datasets/trajectories';
import type { Db } from '../storage/database';

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

interface Row {
  id: number;
  task: Buffer;
  design: Buffer;
  cost: number;
  capture: number | null;
  method: string;
  run: string | null;
  simulator: string | null;
  model_id: number | null;
  created_at: number;
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

/** The rows to export, cheapest first (grouped by task, best task first, when perTask). */
export function selectDesigns(db: Db, project: ProjectSummary, req: DesignExportRequest): ExportedDesign[] {
  let source: string;
  const params: unknown[] = [];
  if (req.from === 'dataset') {
    if (req.datasetId === undefined) throw new ApiError('invalid_argument', 'Give datasetId to export designs from a dataset.', [{ path: 'datasetId', message: 'is required when from is "dataset"' }]);
    const ds = db.prepare('SELECT project_id, kind, name FROM datasets WHERE id = ?').get(req.datasetId) as { project_id: number; kind: string; name: string } | undefined;
    if (!ds || ds.project_id !== project.id) throw new ApiError('not_found', `Project "${project.name}" has no dataset with id ${req.datasetId}.`, [{ path: 'datasetId', message: 'no such dataset in this project' }]);
    if (ds.kind !== 'optimization') throw new ApiError('invalid_argument', `Dataset "${ds.name}" is a ${ds.kind} dataset; designs export from optimization datasets.`, [{ path: 'datasetId', message: 'not an optimization dataset' }]);
    source = `SELECT r.id, r.task, r.design, r.cost, NULL AS capture, r.optimizer AS method, r.run, NULL AS simulator, NULL AS model_id, d.created_at
              FROM optimization_records r JOIN datasets d ON d.id = r.dataset_id WHERE r.dataset_id = ?`;
    params.push(req.datasetId);
    if (req.method) {
      source += ' AND r.optimizer = ?';
      params.push(req.method);
    }
    if (req.ids) {
      source += ' AND r.id IN (SELECT value FROM json_each(?))';
      params.push(JSON.stringify(req.ids));
    }
  } else {
    source = 'SELECT id, task, design, cost, capture, method, run, simulator, model_id, created_at FROM simulator_queries WHERE project_id = ?';
    params.push(project.id);
    if (req.method) {
      source += ' AND method = ?';
      params.push(req.method);
    }
    if (req.ids) {
      source += ' AND id IN (SELECT value FROM json_each(?))';
      params.push(JSON.stringify(req.ids));
    }
  }
  let sql: string;
  if (req.ids) sql = `SELECT * FROM (${source}) ORDER BY cost, id`;
  else if (req.perTask) {
    sql = `SELECT * FROM (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY task ORDER BY cost, id) AS rank, MIN(cost) OVER (PARTITION BY task) AS task_best FROM (${source}) s)
           WHERE rank <= ? ORDER BY task_best, task, cost, id`;
    params.push(req.topK);
  } else {
    sql = `SELECT * FROM (${source}) ORDER BY cost, id LIMIT ?`;
    params.push(req.topK);
  }
  const rows = db.prepare(sql).all(...params) as Row[];
  if (req.ids) {
    const found = new Set(rows.map((r) => r.id));
    const missing = [...new Set(req.ids)].filter((id) => !found.has(id));
    if (missing.length) {
      const what = req.from === 'dataset' ? `records of dataset ${req.datasetId}` : `simulator queries of project "${project.name}"`;
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
  const what = req.ids ? 'selected' : req.perTask ? `best-${req.topK}-per-task` : `best-${req.topK}`;
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
