import { JobParams, type MethodArgs, type TrajectorySource, type MethodName, type MethodResult, type QueryInfo, type SimulationResult } from '../../src-shared/api';
import { ApiError } from '../../src-shared/errors';
import { issuesFromZod } from '../engine/validation';
import type { Rollout } from '../engine/environments';
import type { StoredQuery } from '../engine/storage/queries';
import { DesignStore } from '../engine/storage/designs';
import { JOB_CHECKS } from '../engine/jobs/kinds/checks';
import type { Workbench } from '../engine/workbench';
import { OptimizationDatasets } from '../engine/datasets/trajectories';
import { assertProjectJob, exportDesigns } from '../engine/export/designs';
import { readBenchmark } from '../engine/benchmarks';
import '../engine/diffusion/calibrate';
import '../engine/outcome/calibrate';
import { RunNoteStore } from '../engine/storage/run-notes';
import { runNamesOf } from '../engine/runs';
import { storedDesignsFor } from '../engine/outcome/stored-designs';

function toQueryInfo(q: StoredQuery): QueryInfo {
  return {
    id: q.id,
    design: Array.from(q.design),
    task: Array.from(q.task),
    simulator: q.simulator,
    modelId: q.modelId,
    cost: q.cost,
    capture: q.capture,
    wallMs: q.wallMs,
    method: q.method,
    run: q.run,
    createdAt: q.createdAt,
  };
}

function base64(a: Float32Array | Uint8Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

/** A rollout as the API returns it: the query, its figures and the trajectory to play (positions base64). */
function simulationResult(queryId: number, design: Float32Array, task: Float32Array, r: { cost: number; capture: number; wallMs: number; rollout: Rollout }): SimulationResult {
  return {
    queryId,
    cost: r.cost,
    capture: r.capture,
    wallMs: r.wallMs,
    design: Array.from(design),
    task: Array.from(task),
    rollout: {
      frames: r.rollout.frames,
      particles: r.rollout.particles,
      particleTypes: Array.from(r.rollout.particleTypes),
      positions: base64(r.rollout.positions),
      frameDt: r.rollout.frameDt,
    },
  };
}

export type Handlers = { [M in MethodName]: (args: MethodArgs<M>) => MethodResult<M> | Promise<MethodResult<M>> };

export interface HandlerOptions {
  /**
   * Whether a trajectory source may name a file on this machine by path. Only the CLI, whose
   * user already reads the files it names, says yes; over IPC and browser mode a path would let
   * a page read any file the app can (the renderer sends the bytes of a file the user picked).
   */
  filePaths?: boolean;
}

/** Refuses a file path from a transport that may not name one. */
function checkSource(source: TrajectorySource, options: HandlerOptions): void {
  if ('path' in source && !options.filePaths) {
    throw new ApiError('invalid_argument', 'source.path is accepted from the command line only: send the file’s content (fileName and base64), as the app’s import dialog does.', [
      { path: 'source.path', message: 'file paths are refused over this transport' },
    ]);
  }
}

/** The API implemented once over the engine; IPC, browser mode and the CLI call these. */
export function createHandlers(wb: Workbench, options: HandlerOptions = {}): Handlers {
  /** the run names of a project's optimize or sample job; an error naming the problem otherwise */
  function runOf(jobId: number, projectId: number): { exact: string[]; prefixes: string[] } {
    const job = wb.jobStore.find(jobId);
    if (!job || job.projectId !== projectId) throw new ApiError('not_found', `Project ${projectId} has no job ${jobId}.`, [{ path: 'jobId', message: 'no such job in this project' }]);
    const runs = runNamesOf(job);
    if (!runs) throw new ApiError('invalid_argument', `Job ${jobId} is a ${job.kind} job, not a run: only optimize and sample jobs have queries of their own.`, [{ path: 'jobId', message: 'is not an optimize or sample job' }]);
    return runs;
  }

  return {
    'app.ping': () => ({ time: Date.now() }),
    'app.capabilities': () => wb.capabilities(),
    'queue.status': () => wb.queueStatus(),
    'queue.configure': ({ redisUrl }) => wb.configureQueue(redisUrl),
    'queue.disable': () => wb.configureQueue(null),

    'projects.list': () => wb.projects.list(),
    'projects.get': ({ id }) => wb.projects.get(id),
    'projects.create': ({ name, environment, settings }) => {
      const project = wb.projects.create({ name, environment, settings });
      wb.events.emit('projects.changed', { projectId: project.id });
      return project;
    },
    'projects.rename': ({ id, name }) => {
      const project = wb.projects.rename(id, name);
      wb.events.emit('projects.changed', { projectId: id });
      return project;
    },
    'projects.delete': async ({ id }) => {
      await wb.deleteProject(id);
      return { id, deleted: true };
    },

    'jobs.list': ({ projectId, limit }) => wb.jobStore.list({ projectId, limit }),
    'jobs.start': ({ kind, projectId, params }) => {
      const parsed = JobParams[kind].safeParse(params);
      if (!parsed.success) {
        const issues = issuesFromZod(parsed.error, ['params']);
        throw new ApiError('invalid_argument', `Invalid parameters for a ${kind} job: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
      }
      if (projectId !== undefined) wb.projects.get(projectId);
      else if (kind !== 'selfcheck') {
        throw new ApiError('invalid_argument', `A ${kind} job works on a project: give projectId.`, [{ path: 'projectId', message: 'is required for this job' }]);
      }
      // what the schema cannot see, checked against the project by the kind's own check
      const check = JOB_CHECKS[kind];
      if (check && projectId !== undefined) check(wb.checkContext(projectId), parsed.data as never);
      return wb.jobs.start(kind, parsed.data, projectId ?? null);
    },
    'jobs.cancel': ({ id }) => wb.cancelJob(id),

    'simulate.run': async ({ projectId, design, task, simulator, modelId, method, run }) => {
      const env = wb.environment(projectId);
      const x = env.checkDesign(design);
      const c = task ? env.checkTask(task) : env.defaultTask();
      const sim = simulator === 'learned' ? await wb.learnedSimulator(projectId, modelId) : wb.simulator(projectId);
      const r = await sim.rollout(x, c, { projectId, method, run: run ?? null });
      return simulationResult(r.queryId, x, c, r);
    },
    'simulate.replay': async ({ projectId, queryId }) => {
      wb.projects.get(projectId);
      const q = wb.queries.get(queryId);
      if (!q || q.projectId !== projectId) throw new ApiError('not_found', `Project ${projectId} has no simulator query ${queryId}.`, [{ path: 'queryId', message: 'no such query in this project' }]);
      if (q.simulator === 'learned' && q.modelId === null) throw new ApiError('invalid_argument', `Query ${queryId} was made by a learned model that has since been deleted: play its design on the ground truth instead.`, [{ path: 'queryId', message: 'its model is gone' }]);
      const sim = q.simulator === 'learned' ? await wb.learnedSimulator(projectId, q.modelId!) : wb.simulator(projectId);
      const r = await sim.replay(q.design, q.task);
      return simulationResult(q.id, q.design, q.task, r);
    },
    'queries.list': ({ projectId, limit, offset, ...filter }) => {
      wb.projects.get(projectId);
      return { total: wb.queries.count(projectId, filter), rows: wb.queries.list(projectId, limit, offset, filter).map(toQueryInfo) };
    },
    'queries.stored': ({ projectId, task, count, upToQueryId }) => {
      const env = wb.environment(projectId);
      const c = env.checkTask(task, 'task');
      const upTo = upToQueryId ?? wb.queries.lastId(projectId);
      const found = storedDesignsFor(wb.queries, env, projectId, c, { count, upToId: upTo });
      return { task: Array.from(c), upToQueryId: upTo, rows: found.map((f) => ({ ...toQueryInfo(wb.queries.get(f.queryId)!), taskCost: f.cost, taskCapture: f.capture })) };
    },
    'queries.methods': ({ projectId }) => {
      wb.projects.get(projectId);
      return wb.queries.methods(projectId);
    },

    'queries.get': ({ projectId, id }) => {
      wb.projects.get(projectId);
      const q = wb.queries.get(id);
      if (!q || q.projectId !== projectId) throw new ApiError('not_found', `Project ${projectId} has no simulator query ${id}.`, [{ path: 'id', message: 'no such query in this project' }]);
      return toQueryInfo(q);
    },
    'queries.points': ({ projectId, jobId, limit }) => {
      wb.projects.get(projectId);
      const runs = jobId === undefined ? undefined : runOf(jobId, projectId);
      const { total, rows } = wb.queries.points(projectId, limit, runs);
      return {
        total,
        ids: rows.map((r) => r.id),
        costs: rows.map((r) => r.cost),
        designs: rows.map((r) => Array.from(r.design)),
        methods: rows.map((r) => r.method),
        runs: runs ? [...runs.exact, ...runs.prefixes.map((p) => `${p}*`)] : [],
      };
    },

    'runs.notes': ({ projectId }) => {
      wb.projects.get(projectId);
      return new RunNoteStore(wb.db).list(projectId);
    },
    'runs.annotate': ({ jobId, name, note }) => {
      const job = wb.jobStore.get(jobId);
      if (!runNamesOf(job) || job.projectId === null) {
        throw new ApiError('invalid_argument', `Job ${jobId} is a ${job.kind} job, not a run: only optimize and sample jobs take a name and a note.`, [{ path: 'jobId', message: 'is not an optimize or sample job' }]);
      }
      return new RunNoteStore(wb.db).set(job.projectId, jobId, name || null, note || null);
    },

    'datasets.list': ({ projectId }) => {
      wb.projects.get(projectId);
      return wb.datasets.list(projectId);
    },
    'datasets.delete': ({ id }) => {
      const ds = wb.datasets.get(id);
      if (ds.status === 'building') {
        throw new ApiError('conflict', `Dataset "${ds.name}" is still being written by job ${ds.jobId}; cancel the job first.`);
      }
      wb.datasets.delete(id);
      wb.events.emit('datasets.changed', { projectId: ds.projectId });
      return { id, deleted: true };
    },
    'datasets.importPhysics': ({ projectId, name, npzBase64, fileName }) => {
      const project = wb.projects.get(projectId);
      const bytes = Buffer.from(npzBase64, 'base64');
      if (bytes.length === 0) throw new ApiError('invalid_argument', `"${fileName ?? name}" is empty: the file holds no bytes.`, [{ path: 'npzBase64', message: 'the file is empty' }]);
      const env = wb.environment(projectId);
      const ds = wb.datasets.importNpz(projectId, name, bytes, fileName ?? `${name}.npz`, { designDim: project.designSpace.dim, taskRange: project.settings.taskRange }, (t) =>
        env.evaluate({ frames: t.frames, particles: t.particles, positions: t.positions, particleTypes: t.particleTypes, frameDt: 0 }, t.task),
      );
      wb.events.emit('datasets.changed', { projectId });
      return ds;
    },
    'datasets.exportPhysics': ({ id }) => {
      const ds = wb.datasets.get(id);
      if (ds.kind !== 'physics') throw new ApiError('invalid_argument', `Dataset "${ds.name}" is an ${ds.kind} dataset; only physics datasets export as NPZ.`);
      const { fileName, bytes } = wb.datasets.exportNpz(id);
      return { fileName, npzBase64: Buffer.from(bytes).toString('base64') };
    },

    'datasets.previewImport': ({ projectId, source, format }) => {
      checkSource(source, options);
      const p = wb.projects.get(projectId);
      return new OptimizationDatasets(wb.db).preview(source, format, { designDim: p.designSpace.dim, taskRange: p.settings.taskRange });
    },
    'datasets.importOptimization': async ({ projectId, name, source, format, mapping }) => {
      checkSource(source, options);
      const p = wb.projects.get(projectId);
      const ds = await new OptimizationDatasets(wb.db).importFile(projectId, name, source, { format, mapping, bounds: { designDim: p.designSpace.dim, taskRange: p.settings.taskRange }, owner: wb.ownership.token, inserter: wb.recordInserter() });
      wb.events.emit('datasets.changed', { projectId });
      return ds;
    },
    'designs.list': ({ projectId, jobId, run, method, limit }) => {
      const project = wb.projects.get(projectId);
      if (jobId !== undefined) assertProjectJob(wb.jobStore, project, jobId);
      return new DesignStore(wb.db).list(projectId, { jobId, run, method, limit });
    },
    'designs.export': ({ projectId, ...req }) => exportDesigns(wb.db, wb.projects.get(projectId), req),
    'datasets.exportOptimization': ({ id, format }) => new OptimizationDatasets(wb.db).exportRecords(id, format),
    'datasets.runCurves': ({ id, maxRuns }) => new OptimizationDatasets(wb.db).runCurves(id, maxRuns),

    'models.list': ({ projectId, kind }) => {
      wb.projects.get(projectId);
      return wb.models.list(projectId, kind);
    },
    'models.get': ({ id }) => wb.models.get(id),
    'models.delete': async ({ id }) => {
      const model = wb.models.get(id);
      if (model.status === 'training') {
        throw new ApiError('conflict', `Model "${model.name}" is still training in job ${model.jobId}; cancel the job first.`);
      }
      await wb.forgetLearnedModel(id);
      wb.models.delete(id);
      wb.events.emit('models.changed', { projectId: model.projectId, modelId: id });
      return { id, deleted: true };
    },
    'models.exportOnnx': ({ id }) => {
      const model = wb.models.get(id);
      if (!model.files.includes('model.onnx')) {
        throw new ApiError('invalid_argument', `Model "${model.name}" has no ONNX file${model.status !== 'ready' ? ` (it is ${model.status})` : ''}.`);
      }
      const safe = model.name.replace(/[^A-Za-z0-9._-]+/g, '_');
      return { fileName: `${safe}.onnx`, onnxBase64: wb.models.readFile(model, 'model.onnx').toString('base64') };
    },
    'benchmarks.get': ({ name }) => readBenchmark(name, wb.resources),
    'diffusion.calibrate': ({ projectId, width, blocks, batchSize, conditional }) => {
      const project = wb.projects.get(projectId);
      const args = { dim: project.designSpace.dim, taskDim: project.taskSpace.dim, width, blocks, batchSize, conditional, steps: CALIBRATION_STEPS };
      const key = `diffusion ${JSON.stringify(args)}`;
      let measured = calibrations.get(key);
      if (!measured) {
        measured = wb.compute.run('denoiserStepTime', args).then((r) => ({ ...r, measuredAt: Date.now() }));
        calibrations.set(key, measured);
        // a failed calibration is not kept: the next call tries again
        measured.catch(() => calibrations.delete(key));
      }
      return measured;
    },
    'outcome.calibrate': ({ projectId, hidden, batchSize }) => {
      const env = wb.environment(projectId);
      const args = { designDim: env.designSpace.dim, outcomeDim: env.outcomeSpec.dim, costEntries: env.outcomeSpec.costEntries, hidden, batchSize, steps: CALIBRATION_STEPS };
      const key = `outcome ${JSON.stringify(args)}`;
      let measured = calibrations.get(key);
      if (!measured) {
        measured = wb.compute.run('outcomeStepTime', args).then((r) => ({ ...r, measuredAt: Date.now() }));
        calibrations.set(key, measured);
        measured.catch(() => calibrations.delete(key));
      }
      return measured;
    },
  };
}

/** timed steps of a denoiser calibration (after one warm-up step) */
const CALIBRATION_STEPS = 5;
/** one calibration per size and process: the machine does not change while it runs */
const calibrations = new Map<string, Promise<MethodResult<'diffusion.calibrate' | 'outcome.calibrate'>>>();
