import type { ModelInfo, OptimizeResult, RefinementResult } from '../../../../src-shared/api';
import type { FluidTool2DSettings } from '../../../../src-shared/environments';
import type { Environment } from '../../environments';
import { ModelStore } from '../../models/store';
import { createOptimizer, optimize, type Batch, type Evaluation, type OptimizationResult } from '../../optimizers';
import { seededRandom } from '../../random';
import { GroundTruthSimulator } from '../../simulators/ground-truth';
import { LearnedRunner, LearnedSimulator } from '../../simulators/learned';
import { loadLearnedEnergy, OutcomeSimulator, readOutcomeModel } from '../../simulators/learned-energy';
import type { Simulator } from '../../simulators/simulator';
import { toFloat32Blob } from '../../storage/blob';
import type { Db } from '../../storage/database';
import { DatasetStore } from '../../storage/datasets';
import { DesignStore } from '../../storage/designs';
import { OptimizationRecordStore } from '../../storage/optimization-records';
import { QueryStore, type SimulatorQuery } from '../../storage/queries';
import { OptimizationDatasets } from '../../datasets/trajectories';
import type { JobContext, JobRunner } from '../job-context';
import { openProjectTask } from '../project-context';
import { checkOptimizationDataset, resolveOptimizeModel, type OptimizeParams } from './optimize.check';
import { refineOnGroundTruth } from './refinement';

export type { OptimizeParams } from './optimize.check';


/** What an optimize job returns: the curve of best cost against queries, and the best design. */
export type { OptimizeResult };

/**
 * Every query the job's simulator records also writes its iterate as an optimization record, in
 * the same transaction: a killed job never leaves a query without its record or the reverse.
 */
class IterateRecorder extends QueryStore {
  /** the batch being evaluated: who the records belong to */
  current: { run: string; iteration: number } | null = null;
  /** the id of every query recorded, in order: ids[k - 1] is the run's k-th query */
  readonly ids: number[] = [];
  private readonly records: OptimizationRecordStore;

  constructor(
    private readonly database: Db,
    private readonly datasetId: number,
    private readonly optimizer: string,
  ) {
    super(database);
    this.records = new OptimizationRecordStore(database);
  }

  override record(queries: readonly SimulatorQuery[], opts: { batchId?: string } = {}): number {
    const at = this.current;
    if (!at) throw new Error('an optimize query was recorded outside a batch');
    return this.database.transaction(() => {
      // a queue batch already written (with its records) is not written again
      const written = opts.batchId === undefined ? null : this.batchFirstId(opts.batchId);
      if (written !== null) return written;
      const first = super.record(queries, opts);
      // one transaction's rows get consecutive ids
      for (let k = 0; k < queries.length; k++) this.ids.push(first + k);
      for (const q of queries) this.records.insert(this.datasetId, at.run, this.optimizer, toFloat32Blob(q.task), at.iteration, toFloat32Blob(q.design), q.cost);
      return first;
    }).immediate();
  }
}

/** How a run is named, where its iterates go and how its progress is shown. */
export interface RunOptions {
  /** run name (Adam restarts add "-restart-k") */
  runBase: string;
  /** the optimization dataset the caller made; default: params.datasetId, else a new one */
  datasetId?: number;
  /** progress of this run: queries used so far and the best cost */
  progress(queries: number, bestCost: number): void;
}

/**
 * Runs one optimizer on one task within a query budget (docs/method.md §5, §9). Every query is
 * stored with its iterate; the run's best design goes to the designs table; the curve of best
 * cost against queries is published as progress and returned.
 */
export async function runOptimization(params: OptimizeParams, ctx: JobContext, opts: RunOptions): Promise<OptimizeResult> {
  const { projectId, db, project, env, task, models } = openProjectTask(ctx, params.task, 'An optimization');
  const model = resolveOptimizeModel(models, projectId, { env, settings: project.settings }, params);
  // random search: batches that keep every compute worker busy
  const optimizer = createOptimizer(params, params.optimizer === 'random' ? Math.max(8, ctx.compute().size * 4) : undefined);
  const runBase = opts.runBase;
  const runName = (restart: number): string => (params.optimizer === 'adam' && params.adam.restarts > 1 ? `${runBase}-restart-${restart + 1}` : runBase);

  let datasetId: number;
  let created = false;
  if (opts.datasetId !== undefined) {
    datasetId = opts.datasetId;
  } else if (params.datasetId !== undefined) {
    checkOptimizationDataset(db, projectId, params.datasetId);
    datasetId = params.datasetId;
  } else {
    const name = params.name ?? `${params.optimizer.toUpperCase()} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    datasetId = createOptimizationDataset(db, projectId, name, `optimize:${params.optimizer}`, ctx.jobId);
    created = true;
  }
  ctx.emit('datasets.changed', { projectId });

  const recorder = new IterateRecorder(db, datasetId, params.optimizer);
  const onRecorded = (id: number, count: number): void => ctx.emit('queries.added', { projectId: id, count });
  let runner: LearnedRunner | null = null;
  let release: (() => void) | null = null;
  /** capture of each query, by query number - 1 */
  const captures: number[] = [];
  /** Adam's iterates with their learned costs: what refinement checks on the ground truth */
  const proposals: { design: Float32Array; learnedCost: number }[] = [];
  let objective: (batch: Batch) => Promise<Evaluation[]>;
  if (params.optimizer === 'adam') {
    const adam = await gradientObjective(model!, models, env, project.settings, task, recorder, projectId, runName, captures, onRecorded, proposals);
    objective = adam.objective;
    release = adam.dispose;
  } else {
    let simulator: Simulator;
    if (model?.kind === 'outcome') {
      simulator = new OutcomeSimulator(model.id, readOutcomeModel(models, model, env, project.settings), env, recorder, onRecorded);
    } else if (model) {
      runner = await LearnedRunner.fromModel(models, model, ctx.compute().size);
      simulator = new LearnedSimulator(env, runner, recorder, onRecorded);
    } else {
      simulator = new GroundTruthSimulator(project, ctx.compute(), recorder, onRecorded);
    }
    objective = async (batch) => {
      const run = runName(batch.restart);
      recorder.current = { run, iteration: batch.iteration };
      try {
        const outcomes = await simulator.evaluate(batch.designs, task, { projectId, method: params.optimizer, run });
        captures.push(...outcomes.map((o) => o.capture));
        return outcomes.map((o) => ({ cost: o.cost }));
      } finally {
        recorder.current = null;
      }
    };
  }

  let finished = false;
  let sofar: OptimizationResult = { best: null, curve: [], queries: 0 };
  const runs = new Set<string>();
  try {
    const result = await optimize(
      optimizer,
      async (batch) => {
        ctx.throwIfCancelled();
        runs.add(runName(batch.restart));
        return objective(batch);
      },
      {
        dim: env.designSpace.dim,
        budget: params.budget,
        rand: seededRandom(params.seed),
        onBatch: (_batch, _evaluations, state) => {
          sofar = state;
          opts.progress(state.queries, state.best!.cost);
          ctx.emit('run.progress', { projectId, jobId: ctx.jobId, queries: state.queries, bestCost: state.best!.cost });
          ctx.emit('datasets.changed', { projectId });
        },
      },
    );
    sofar = result;
    const stored = storeBest(db, projectId, params, ctx.jobId, model, task, result, captures, runName, recorder.ids);
    finished = true;
    let refinement: RefinementResult | null = null;
    if (params.optimizer === 'adam' && model) {
      refinement = await refineOnGroundTruth(ctx, { projectId, project, env, task, model, refine: params.refine, method: 'adam', run: runBase, proposals, seed: params.seed, from: 0.9 });
      if (refinement.best) storeCheckedBest(db, projectId, params, ctx.jobId, model, task, refinement, runBase);
    }
    return { ...stored, datasetId, runs: [...runs], refinement };
  } finally {
    if (!finished && sofar.best) storeBest(db, projectId, params, ctx.jobId, model, task, sofar, captures, runName, recorder.ids);
    if (opts.datasetId === undefined) finishDataset(db, datasetId, created ? (finished ? 'ready' : 'incomplete') : null);
    ctx.emit('datasets.changed', { projectId });
    release?.();
    await runner?.close();
  }
}

export function createOptimizationDataset(db: Db, projectId: number, name: string, source: string, jobId: number): number {
  return new DatasetStore(db).insert({ projectId, name, kind: 'optimization', source, status: 'building', jobId });
}

/** One optimizer run as a job: its own dataset unless told to append to one. */
export const optimizeJob: JobRunner<OptimizeParams> = (params, ctx) =>
  runOptimization(params, ctx, {
    runBase: `${params.optimizer}-${ctx.jobId}`,
    progress: (queries, best) => ctx.progress(queries / params.budget, `queries ${queries}/${params.budget} · best ${best.toPrecision(4)}`),
  });

/** Adam's objective: cost and dE/dx from the learned model (outcome model or GNS), each step stored as a learned query. */
async function gradientObjective(
  model: ModelInfo,
  models: ModelStore,
  env: Environment,
  settings: FluidTool2DSettings,
  task: Float32Array,
  recorder: IterateRecorder,
  projectId: number,
  runName: (restart: number) => string,
  captures: number[],
  onRecorded: (projectId: number, count: number) => void,
  proposals: { design: Float32Array; learnedCost: number }[],
): Promise<{ objective: (batch: Batch) => Promise<Evaluation[]>; dispose: () => void }> {
  const learned = await loadLearnedEnergy(models, model, env, settings);
  const objective = async (batch: Batch): Promise<Evaluation[]> => {
    const out: Evaluation[] = [];
    const rows: SimulatorQuery[] = [];
    const evaluations = await learned.evaluate(batch.designs, task);
    for (const [i, design] of batch.designs.entries()) {
      const { cost, capture, gradient, wallMs } = evaluations[i]!;
      rows.push({ projectId, design, task, simulator: 'learned', modelId: model.id, cost, capture, wallMs, method: 'adam', run: runName(batch.restart) });
      captures.push(capture);
      proposals.push({ design, learnedCost: cost });
      out.push({ cost, gradient });
    }
    recorder.current = { run: runName(batch.restart), iteration: batch.iteration };
    try {
      recorder.record(rows);
    } finally {
      recorder.current = null;
    }
    onRecorded(projectId, rows.length);
    return out;
  };
  return { objective, dispose: () => learned.dispose() };
}

/** The run's best design into the designs table, with how it was found. */
function storeBest(
  db: Db,
  projectId: number,
  params: OptimizeParams,
  jobId: number,
  model: ModelInfo | null,
  task: Float32Array,
  result: OptimizationResult,
  captures: number[],
  runName: (restart: number) => string,
  queryIds: readonly number[],
): Omit<OptimizeResult, 'datasetId' | 'runs' | 'refinement'> {
  if (!result.best) return { curve: result.curve, best: null, queries: result.queries };
  const { design, cost, query, restart } = result.best;
  const capture = captures[query - 1] ?? null;
  const run = runName(restart);
  const settings = params.optimizer === 'adam' ? params.adam : params.optimizer === 'cem' ? params.cem : params.optimizer === 'cmaes' ? params.cmaes : {};
  const provenance = { jobId, budget: params.budget, seed: params.seed, simulator: params.optimizer === 'adam' ? 'learned' : params.simulator, modelKind: model?.kind ?? null, settings, queries: result.queries, foundAtQuery: query };
  // the query that found it: the run's query number `query`
  const queryId = queryIds[query - 1] ?? null;
  const designId = new DesignStore(db).insert([{ projectId, method: params.optimizer, run, design, task, cost, capture, modelId: model?.id ?? null, queryId, provenance }])[0]!;
  return { curve: result.curve, best: { design: Array.from(design), cost, capture, run, designId, queryId }, queries: result.queries };
}

/** The ground-truth check of Adam's best proposal into the designs table, with its learned cost. */
function storeCheckedBest(db: Db, projectId: number, params: OptimizeParams, jobId: number, model: ModelInfo, task: Float32Array, refinement: RefinementResult, run: string): void {
  const best = refinement.best!;
  const provenance = { jobId, seed: params.seed, simulator: 'ground_truth', checkedProposalOf: { modelId: model.id, modelKind: model.kind, learnedCost: best.learnedCost }, ...(best.stored ? { storedQueryId: best.queryId } : {}), refinedModelId: refinement.refinedModelId, settings: params.adam };
  new DesignStore(db).insert([{ projectId, method: 'adam', run, design: Float32Array.from(best.design), task, cost: best.cost, capture: best.capture, modelId: model.id, queryId: best.queryId, provenance }]);
}

/** The dataset's statistics (the same as an import's), and its final status when the job made it. */
function finishDataset(db: Db, datasetId: number, status: 'ready' | 'incomplete' | null): void {
  const datasets = new OptimizationDatasets(db);
  const current = datasets.get(datasetId).status;
  datasets.finish(datasetId, status ?? (current === 'incomplete' ? 'incomplete' : 'ready'));
}
