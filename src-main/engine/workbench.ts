import { rmSync } from 'node:fs';
import { version as APP_VERSION } from '../../package.json';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import type { Capabilities, QueueStatus } from '../../src-shared/api';
import { checkRedisUrl } from './compute/queue-protocol';
import { AppSettings } from './storage/app-settings';
import { ComputePool } from './compute/pool';
import type { RecordInserter } from './datasets/trajectories';
import { PhysicsDatasets } from './datasets/physics';
import { OptimizationDatasets } from './datasets/trajectories';
import { Ownership } from './ownership';
import { createEnvironment, type Environment } from './environments';
import { installDefaultDiffusion, installDefaultModel, installDefaultOutcome, resourcesDir } from './models/default-model';
import { SHIPPED_QUERY_METHOD, installShippedOutcomes } from './models/shipped-outcomes';
import { ModelStore } from './models/store';
import { GroundTruthSimulator } from './simulators/ground-truth';
import { LearnedRunner, LearnedSimulator } from './simulators/learned';
import type { JobCheckContext } from './jobs/job-context';
import { ApiError } from '../../src-shared/errors';
import type { JobInfo, ModelInfo } from '../../src-shared/api';
import type { Simulator } from './simulators/simulator';
import { cpuCount, detectElectron, detectOnnxRuntime, detectTfjs, packageVersion } from './capabilities';
import { EventBus } from './events';
import { JobService, type WorkerEntry } from './jobs/service';
import type { WorkerConfig } from './jobs/protocol';
import { databasePath, projectDir, resolveDataDir } from './paths';
import { openDatabase, schemaVersion, sqliteVersion, type Db } from './storage/database';
import { DatasetStore } from './storage/datasets';
import { JobStore } from './storage/jobs';
import { MetaStore } from './storage/meta';
import { ProjectStore } from './storage/projects';
import { QueryStore } from './storage/queries';

export interface WorkbenchOptions {
  dataDir?: string | null;
  mode: Capabilities['app']['mode'];
  nativeBinding?: string;
  /** create the built-in FluidTool-2D project once, on a new database */
  seedBuiltin?: boolean;
  jobs?: { size?: number; entry?: WorkerEntry; extraKindsModule?: string; cancelGraceMs?: number; computeSize?: number };
  /** how jobs batch and wait on the ground-truth queue when a Redis URL is set (tests shorten it) */
  queue?: WorkerConfig['queue'];
  /** compute workers for rollout batches: how many (default: cores) and their file (tests) */
  compute?: { size?: number; entry?: string };
  /** the shipped models, datasets and benchmarks; default: resources/ next to the code */
  resourcesDir?: string | null;
  /** the Electron version when the shell is the desktop app */
  electronVersion?: string;
  /** this process's heartbeat in the shared database and how stale another's may get (see ownership.ts) */
  ownership?: { heartbeatMs?: number; graceMs?: number };
}

export const BUILTIN_PROJECT_NAME = 'FluidTool-2D';

/** The engine as one object: database, stores, jobs and events. No Electron, no transport. */
export class Workbench {
  readonly dataDir: string;
  readonly databasePath: string;
  readonly db: Db;
  readonly events = new EventBus();
  readonly projects: ProjectStore;
  readonly jobStore: JobStore;
  readonly queries: QueryStore;
  readonly datasets: PhysicsDatasets;
  readonly models: ModelStore;
  readonly interruptedJobs: number[];
  /** the shipped models, datasets and benchmarks (null: none found) */
  readonly resources: string | null;
  /** this process's owner row: the token its jobs and imports carry, its heartbeat */
  readonly ownership: Ownership;
  /** settings of the whole data folder: the ground-truth queue's Redis URL */
  readonly settings: AppSettings;
  private readonly heartbeat: NodeJS.Timeout;
  private jobService: JobService | null = null;
  private computePool: ComputePool | null = null;
  private readonly learnedRunners = new Map<number, Promise<LearnedRunner>>();

  constructor(private readonly opts: WorkbenchOptions) {
    this.dataDir = resolveDataDir(opts.dataDir);
    this.resources = opts.resourcesDir === undefined ? resourcesDir() : opts.resourcesDir;
    this.databasePath = databasePath(this.dataDir);
    this.db = openDatabase(this.databasePath, { nativeBinding: opts.nativeBinding });
    this.projects = new ProjectStore(this.db);
    this.ownership = new Ownership(this.db, { mode: opts.mode, intervalMs: opts.ownership?.heartbeatMs, graceMs: opts.ownership?.graceMs });
    this.jobStore = new JobStore(this.db, this.ownership.token);
    this.queries = new QueryStore(this.db);
    this.datasets = new PhysicsDatasets(this.db);
    this.models = new ModelStore(this.db, this.dataDir);
    this.settings = new AppSettings(this.db);
    // only what processes that are gone left behind: the CLI, browser mode and the desktop app
    // share this folder and run at once
    this.interruptedJobs = this.reclaimOrphans().jobs;
    this.heartbeat = setInterval(() => this.beat(), this.ownership.intervalMs);
    this.heartbeat.unref();
    if (opts.seedBuiltin) this.seedBuiltinProject();
  }

  /**
   * Marks the work of processes that are gone (see ownership.ts): their queued or running jobs
   * interrupted, their datasets being generated incomplete, their imports in progress removed,
   * their models in training interrupted (with a checkpoint) or failed (without). Work of live
   * processes, this one included, is left alone. Runs at start-up and on every heartbeat.
   */
  reclaimOrphans(): { jobs: number[]; datasets: number[]; models: number[] } {
    // reads first: a beat that finds nothing to do takes no write lock
    this.ownership.removeDeadOwners();
    const jobs = this.jobStore.hasOrphans() ? this.jobStore.markInterrupted() : [];
    const datasets = new DatasetStore(this.db).orphans();
    if (datasets.length) {
      this.datasets.markInterruptedBuilding();
      const trajectories = new OptimizationDatasets(this.db);
      trajectories.removeInterruptedImports();
      trajectories.finishInterrupted();
    }
    const models = this.models.markInterrupted();
    for (const id of jobs) {
      const job = this.jobStore.find(id);
      if (job) this.events.emit('job.updated', job);
    }
    for (const projectId of new Set(datasets.map((d) => d.project_id))) this.events.emit('datasets.changed', { projectId });
    for (const id of models) {
      const m = this.models.find(id);
      if (m) this.events.emit('models.changed', { projectId: m.projectId, modelId: id });
    }
    return { jobs, datasets: datasets.map((d) => d.id), models };
  }

  /** The heartbeat: refresh ours, then reclaim what processes that died meanwhile left. */
  private beat(): void {
    if (!this.db.open) {
      clearInterval(this.heartbeat);
      return;
    }
    try {
      if (this.ownership.beat()) this.reclaimOrphans();
    } catch (err) {
      // a busy or full database: the next beat tries again
      console.error('[workbench] heartbeat failed:', err instanceof Error ? err.message : err);
    }
  }

  /** Cancels a job of this process; one that another live process runs is refused, naming it. */
  cancelJob(id: number): JobInfo {
    const job = this.jobStore.get(id);
    const token = this.jobStore.ownerOf(id);
    if ((job.status === 'queued' || job.status === 'running') && token !== this.ownership.token) {
      const owner = this.ownership.liveOwner(token);
      if (owner) throw new ApiError('conflict', `Job ${id} (${job.kind}) runs in ${this.ownership.describe(owner)}; cancel it there (Ctrl+C for an idw command, or in that window).`);
      this.reclaimOrphans();
      return this.jobStore.get(id);
    }
    return this.jobs.cancel(id);
  }

  /**
   * Refuses to resume a model that a live job trains, here or in another process, naming it; a
   * model left "training" by a process that is gone is reclaimed first (interrupted or failed).
   */
  private checkNotTraining(model: ModelInfo): ModelInfo {
    if (model.status !== 'training') return model;
    const job = model.jobId === null ? null : this.jobStore.find(model.jobId);
    const owner = job && (job.status === 'queued' || job.status === 'running') ? this.ownership.liveOwner(this.jobStore.ownerOf(job.id)) : null;
    if (owner && job) {
      throw new ApiError('conflict', `Model "${model.name}" is already training in job ${job.id}, run by ${this.ownership.describe(owner)}. Wait for it to finish, or cancel it there, before resuming.`);
    }
    this.reclaimOrphans();
    const now = this.models.get(model.id);
    if (now.status === 'training') throw new ApiError('conflict', `Model "${model.name}" is already training.`);
    return now;
  }

  /** Worker threads start on the first job, so CLI commands that need none stay quick. */
  get jobs(): JobService {
    this.jobService ??= new JobService({
      store: this.jobStore,
      worker: {
        dataDir: this.dataDir,
        databasePath: this.databasePath,
        nativeBinding: this.opts.nativeBinding,
        extraKindsModule: this.opts.jobs?.extraKindsModule,
        computeEntry: this.opts.compute?.entry,
        computeSize: this.opts.jobs?.computeSize,
        queue: this.opts.queue,
      },
      entry: this.opts.jobs?.entry,
      size: this.opts.jobs?.size,
      cancelGraceMs: this.opts.jobs?.cancelGraceMs,
      onUpdate: (job) => this.events.emit('job.updated', job),
      onEvent: (event, payload) => this.events.emit(event as never, payload as never),
    });
    return this.jobService;
  }

  /** Worker threads for rollout batches, started on first use. */
  /** Where an import's inserts go: a compute worker (parsing and inserting on two cores), when the pool has workers; else null (inserts in the importing thread). */
  recordInserter(): RecordInserter | null {
    return this.compute.hasWorkers ? { compute: this.compute, databasePath: this.databasePath, nativeBinding: this.opts.nativeBinding } : null;
  }

  get compute(): ComputePool {
    this.computePool ??= new ComputePool(this.opts.compute ?? {});
    return this.computePool;
  }

  environment(projectId: number): Environment {
    const p = this.projects.get(projectId);
    return createEnvironment(p.environment, p.settings);
  }

  /** The project's ground-truth simulator; every query it answers is stored. */
  simulator(projectId: number): Simulator {
    const p = this.projects.get(projectId);
    return new GroundTruthSimulator(p, this.compute, this.queries, (id, count) => this.events.emit('queries.added', { projectId: id, count }));
  }

  async deleteProject(id: number): Promise<void> {
    this.projects.get(id);
    if (this.jobService) await this.jobService.cancelProject(id);
    this.projects.delete(id);
    rmSync(projectDir(this.dataDir, id), { recursive: true, force: true });
    this.events.emit('projects.changed', { projectId: id });
  }

  /** the ground-truth queue's status (its Redis is asked, within 2 s) */
  async queueStatus(): Promise<QueueStatus> {
    // imported on use: commands that never touch the queue do not load BullMQ
    const { readQueueStatus } = await import('./compute/queue');
    return readQueueStatus(this.settings.redisUrl());
  }

  /** Sends ground-truth batches to the Redis queue at url (null: the local pool again); jobs started from now on use it. */
  async configureQueue(url: string | null): Promise<QueueStatus> {
    if (url !== null) {
      try {
        checkRedisUrl(url);
      } catch (err) {
        throw new ApiError('invalid_argument', (err as Error).message, [{ path: 'redisUrl', message: 'not a redis:// or rediss:// URL' }]);
      }
    }
    this.settings.setRedisUrl(url);
    return this.queueStatus();
  }

  async capabilities(): Promise<Capabilities> {
    const betterSqlite3 = packageVersion('better-sqlite3');
    const sqlite = sqliteVersion(this.db);
    return {
      app: { name: 'Inverse Design Workbench', version: APP_VERSION, mode: this.opts.mode },
      electron: detectElectron(this.opts.electronVersion),
      tfjs: await detectTfjs(),
      onnxruntime: detectOnnxRuntime(),
      sqlite: {
        available: true,
        version: sqlite,
        betterSqlite3,
        binding: this.opts.nativeBinding ? 'electron' : 'node',
        detail: `SQLite ${sqlite} through better-sqlite3 ${betterSqlite3 ?? '?'} (${this.opts.nativeBinding ? 'Electron build' : 'Node build'}).`,
      },
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpuCount(),
      workers: this.jobService?.size ?? cpuCount(),
      dataDir: this.dataDir,
      databasePath: this.databasePath,
      schemaVersion: schemaVersion(this.db),
      queue: await this.queueStatus(),
    };
  }

  /**
   * A trained GNS of the project behind the Simulator interface (its ONNX sessions are loaded
   * once and kept); without modelId, the newest ready one.
   */
  async learnedSimulator(projectId: number, modelId?: number): Promise<Simulator> {
    const ready = this.models.list(projectId, 'simulator').filter((m) => m.status === 'ready');
    const model = modelId === undefined ? ready[0] : this.models.get(modelId);
    if (!model) throw new ApiError('invalid_argument', 'This project has no trained learned simulator yet: train one (the Simulator tab, or `idw model train`), or choose the ground truth.', [{ path: 'modelId', message: 'no ready model' }]);
    if (model.projectId === projectId && model.kind === 'outcome') {
      throw new ApiError('invalid_argument', `"${model.name}" is an outcome model: it predicts the final state, not a trajectory to play. Play the design on the ground truth or a GNS.`, [{ path: 'modelId', message: 'outcome models have no rollout' }]);
    }
    if (model.projectId !== projectId || model.kind !== 'simulator') throw new ApiError('invalid_argument', `Model ${model.id} is not a learned simulator of this project.`, [{ path: 'modelId', message: 'wrong model' }]);
    if (model.status !== 'ready') throw new ApiError('invalid_argument', `Model "${model.name}" is ${model.status}, not ready.`, [{ path: 'modelId', message: `model is ${model.status}` }]);
    let runner = this.learnedRunners.get(model.id);
    if (!runner) {
      runner = LearnedRunner.fromModel(this.models, model);
      this.learnedRunners.set(model.id, runner);
      runner.catch(() => this.learnedRunners.delete(model.id));
    }
    return new LearnedSimulator(this.environment(projectId), await runner, this.queries, (id, count) => this.events.emit('queries.added', { projectId: id, count }));
  }

  async forgetLearnedModel(modelId: number): Promise<void> {
    const runner = this.learnedRunners.get(modelId);
    this.learnedRunners.delete(modelId);
    if (runner) await (await runner).close();
  }

  /** What a job kind's request check reads (jobs/kinds/checks.ts), here before a job is queued. */
  checkContext(projectId: number): JobCheckContext {
    const project = this.projects.get(projectId);
    return { db: this.db, project, env: createEnvironment(project.environment, project.settings), models: this.models, checkNotTraining: (model) => void this.checkNotTraining(model) };
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const id of [...this.learnedRunners.keys()]) await this.forgetLearnedModel(id).catch(() => undefined);
    await this.jobService?.close();
    await this.computePool?.close();
    // what this process stopped (its jobs' workers are gone) is interrupted now, not at the next start
    try {
      this.ownership.release();
      this.reclaimOrphans();
    } catch (err) {
      console.error('[workbench] could not record the jobs this process stopped:', err instanceof Error ? err.message : err);
    }
    this.db.close();
  }

  private seedBuiltinProject(): void {
    const meta = new MetaStore(this.db);
    const flag = (key: string): boolean => meta.has(key);
    const mark = (key: string): void => meta.set(key, String(Date.now()));
    this.db.transaction(() => {
      if (!flag('builtin_seeded')) {
        if (!this.projects.findByName(BUILTIN_PROJECT_NAME)) {
          const project = this.projects.create({ name: BUILTIN_PROJECT_NAME, environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS });
          installDefaultModel(this.models, project, this.resources);
          installDefaultDiffusion(this.models, new OptimizationDatasets(this.db), project, this.resources);
        }
        mark('builtin_seeded');
      }
      // the default outcome model came later: a built-in project made before it gets it once
      if (!flag('builtin_outcome_seeded')) {
        const builtin = this.projects.findByName(BUILTIN_PROJECT_NAME);
        if (builtin && !this.models.list(builtin.id, 'outcome').length) installDefaultOutcome(this.models, builtin, this.resources);
        mark('builtin_outcome_seeded');
      }
      // so did the shipped trajectories' outcomes (the built-in project's stored designs); a file
      // that cannot be read is said and skipped (all or nothing, tried again at the next start):
      // the workbench opens without them
      if (!flag('builtin_stored_seeded')) {
        const builtin = this.projects.findByName(BUILTIN_PROJECT_NAME);
        try {
          if (builtin && !this.queries.count(builtin.id, { method: SHIPPED_QUERY_METHOD })) installShippedOutcomes(this.queries, builtin, this.resources);
          mark('builtin_stored_seeded');
        } catch (err) {
          console.error(`[workbench] the shipped trajectories' outcomes were not installed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }).immediate();
  }
}

