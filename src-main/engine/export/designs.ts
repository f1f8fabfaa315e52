// The best designs of a project as CSV or JSON: top k by cost (overall or per task), one method,
// or exactly the rows selected; each with its ids (query, kept design), task, cost, capture,
// method, run, provenance (job, phase, simulator, diffusion and learned model, settings, seed),
// time, the normalized design, and the tool's physical joint angles in radians.
import type { MethodArgs, ProjectSummary } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';
import { TOOL_BASE_ANGLE } from '../../../src-shared/fluidtool2d';
import { safeFileName } from '../datasets/physics';
import { csvField, float32Text } from '../datasets/trajectories';
import type { Db } from '../storage/database';
import { DatasetStore } from '../storage/datasets';
import { JobStore } from '../storage/jobs';
import { keptDesignsOfQueries, selectExportRows, type ExportSource } from '../storage/design-export';
import { ProvenanceResolver, type DesignProvenance } from './provenance';
import { createEnvironment } from '../environments';
import { storedDesignsFor } from '../outcome/stored-designs';
import { QueryStore } from '../storage/queries';

export type DesignExportRequest = Omit<MethodArgs<'designs.export'>, 'projectId'>;

export interface ExportedDesign {
  /** the row's id in its source: a query's, a kept design's, a dataset record's */
  id: number;
  /** the simulator query (queries: the row itself; designs: the query that scored it) */
  queryId: number | null;
  /** the kept design (designs: the row itself; queries: the design a run kept from it) */
  designId: number | null;
  task: number[];
  cost: number;
  capture: number | null;
  method: string;
  run: string | null;
  simulator: string | null;
  createdAt: number;
  design: number[];
  /** absolute angle of each tool segment from the +x axis, radians (docs/method.md §7) */
  angles: number[];
  provenance: DesignProvenance;
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
  if (req.from !== 'stored' && req.task !== undefined) throw new ApiError('invalid_argument', 'task costs the stored designs for a target: it goes with from "stored".', [{ path: 'task', message: 'only with from "stored"' }]);
  // stored designs: the queries whose outcomes are cheapest for the task, costed for it
  let stored: { task: number[]; byQuery: Map<number, { cost: number; capture: number }> } | null = null;
  let source: ExportSource;
  if (req.from === 'stored') {
    if (req.task === undefined) throw new ApiError('invalid_argument', 'Give task to export the stored designs for a target.', [{ path: 'task', message: 'is required when from is "stored"' }]);
    if (req.ids || req.method || req.perTask) {
      const path = req.ids ? 'ids' : req.method ? 'method' : 'perTask';
      throw new ApiError('invalid_argument', `${path} does not go with from "stored": it exports the top k stored designs for one target.`, [{ path, message: 'not with from "stored"' }]);
    }
    const env = createEnvironment(project.environment, project.settings);
    const task = env.checkTask(req.task, 'task');
    const found = storedDesignsFor(new QueryStore(db), env, project.id, task, { count: req.topK });
    stored = { task: Array.from(task), byQuery: new Map(found.map((f) => [f.queryId, { cost: f.cost, capture: f.capture }])) };
    source = { from: 'queries', projectId: project.id };
  } else if (req.from === 'dataset') {
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
  const forTask = stored?.byQuery;
  const rows = forTask
    ? forTask.size
      ? selectExportRows(db, source, { ids: [...forTask.keys()], topK: forTask.size }).sort((a, b) => forTask.get(a.id)!.cost - forTask.get(b.id)!.cost || a.id - b.id)
      : []
    : selectExportRows(db, source, { method: req.method, ids: req.ids, perTask: req.perTask, topK: req.topK });
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
  const fromQueries = req.from === 'queries' || req.from === 'stored';
  const kept = fromQueries ? keptDesignsOfQueries(db, rows.map((r) => r.id)) : new Map<number, { designId: number; provenance: string }>();
  const resolver = new ProvenanceResolver(db);
  return rows.map((r) => {
    const design = float32s(r.design);
    const keptDesign = req.from === 'designs' ? { designId: r.id, provenance: r.provenance! } : (kept.get(r.id) ?? null);
    const designProvenance = keptDesign ? (JSON.parse(keptDesign.provenance) as Record<string, unknown>) : null;
    const provenance: DesignProvenance =
      req.from === 'dataset'
        ? { jobId: null, jobKind: null, diffusionModelId: null, learnedModelId: null, settings: null, seed: null, phase: null }
        : resolver.resolve({
            projectId: project.id,
            method: r.method,
            run: r.run,
            // the query's own scorer when it was learned; a kept design's model_id is its run's model, read below
            modelId: fromQueries ? r.model_id : null,
            design: designProvenance ? { provenance: designProvenance, modelId: req.from === 'designs' ? r.model_id : null } : null,
          });
    const here = forTask?.get(r.id);
    return {
      id: r.id,
      queryId: r.query_id,
      designId: keptDesign?.designId ?? null,
      task: here ? stored!.task : float32s(r.task),
      cost: here ? here.cost : r.cost,
      capture: here ? here.capture : r.capture,
      method: r.method,
      run: r.run,
      simulator: r.simulator,
      createdAt: r.created_at,
      design,
      angles: segmentAngles(design, thetaMax),
      provenance,
    };
  });
}

/**
 * Column names. The ids first, each named for its series: query_id (the simulator query, what
 * `idw export --ids` and the Designs tab select by), design_id (the designs table, what the
 * gallery and `idw sample` call a kept design), record_id (a dataset's records). Then where the
 * design came from: job, phase, simulator, the diffusion and learned model, the settings (JSON)
 * and the seed. x0… are the normalized design, angle_<i>_rad the absolute angle of tool segment i.
 */
export function designColumns(designDim: number, from: DesignExportRequest['from'] = 'queries'): string[] {
  return [
    ...(from === 'dataset' ? ['record_id', 'dataset_id'] : ['query_id', 'design_id']),
    'task_x',
    'task_y',
    'cost',
    'capture',
    'method',
    'run',
    'job_id',
    'phase',
    'simulator',
    'diffusion_model_id',
    'learned_model_id',
    'settings',
    'seed',
    'created_at',
    ...Array.from({ length: designDim }, (_, k) => `x${k}`),
    ...Array.from({ length: designDim }, (_, k) => `angle_${k + 1}_rad`),
  ];
}

/** A file name part: letters, digits, ".", "_", "+" and "-" only (no spaces), never empty. */
export function fileNamePart(name: string, fallback: string): string {
  const s = safeFileName(name, fallback)
    .replace(/[^A-Za-z0-9._+-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return s || fallback;
}

/**
 * `<project>-<what>-<which>.<format>`: what the file holds (queries, a run's or job's kept designs,
 * a dataset's records, one method), and which of them (best k, best k per task, n selected).
 */
export function exportFileName(project: ProjectSummary, req: DesignExportRequest, designs: readonly ExportedDesign[]): string {
  const runs = new Set(designs.map((d) => d.run));
  const oneRun = runs.size === 1 ? [...runs][0] : undefined;
  const source =
    req.from === 'dataset'
      ? [`dataset-${req.datasetId}`, 'records']
      : req.from === 'designs'
        ? ['designs', req.jobId !== undefined ? `job-${req.jobId}` : null, req.run !== undefined ? fileNamePart(req.run, 'run') : null]
        : req.from === 'stored'
          ? ['stored', `target-${req.task!.map((v) => String(v)).join('-')}`]
          : ['queries', req.ids && oneRun ? fileNamePart(oneRun, 'run') : null];
  const picked = req.ids ? `selected-${designs.length}` : req.perTask ? `best-${req.topK}-per-task` : `best-${req.topK}`;
  const parts = [fileNamePart(project.name, `project-${project.id}`), ...source, req.method ? fileNamePart(req.method, 'method') : null, picked].filter(Boolean);
  return `${parts.join('-')}.${req.format}`;
}

/**
 * Settings as one CSV cell without commas or quotes: `key=value` pairs joined by ";", nested
 * objects as dotted keys, lists joined by "+" (`sampler=ddim;ddimSteps=25;conditional.weight=2`).
 * JSON exports keep the object.
 */
export function settingsText(settings: Record<string, unknown>): string {
  const pairs: string[] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (v === undefined) return;
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
    else pairs.push(`${prefix}=${Array.isArray(v) ? v.map(String).join('+') : String(v)}`);
  };
  walk('', settings);
  return pairs.join(';').replace(/[,"\r\n]/g, ' ');
}

export function exportDesigns(db: Db, project: ProjectSummary, req: DesignExportRequest): { fileName: string; content: string; rows: number } {
  const designs = selectDesigns(db, project, req);
  const d = project.designSpace.dim;
  const columns = designColumns(d, req.from);
  const fileName = exportFileName(project, req, designs);
  const flat = (x: ExportedDesign, settingsAsText: boolean): (string | number | null | Record<string, unknown>)[] => [
    req.from === 'dataset' ? x.id : x.queryId,
    req.from === 'dataset' ? (req.datasetId ?? null) : x.designId,
    Number(float32Text(x.task[0]!)),
    Number(float32Text(x.task[1]!)),
    x.cost,
    x.capture,
    x.method,
    x.run,
    x.provenance.jobId,
    x.provenance.phase,
    x.simulator,
    x.provenance.diffusionModelId,
    x.provenance.learnedModelId,
    x.provenance.settings === null ? null : settingsAsText ? settingsText(x.provenance.settings) : x.provenance.settings,
    x.provenance.seed,
    new Date(x.createdAt).toISOString(),
    ...x.design.map((v) => Number(float32Text(v))),
    ...x.angles,
  ];
  let content: string;
  if (req.format === 'csv') {
    const lines = [columns.join(',')];
    for (const x of designs) lines.push(flat(x, true).map((v) => (v === null ? '' : typeof v === 'number' ? String(v) : csvField(v as string))).join(','));
    content = lines.join('\n') + '\n';
  } else {
    const objects = designs.map((x) => ({
      ...Object.fromEntries(flat(x, false).map((v, i) => [columns[i]!, v])),
      design: x.design.map((v) => Number(float32Text(v))),
      angles: x.angles,
    }));
    // one object a line: readable, and diffable
    content = objects.length ? `[\n${objects.map((x) => JSON.stringify(x)).join(',\n')}\n]\n` : '[]\n';
  }
  return { fileName, content, rows: designs.length };
}
