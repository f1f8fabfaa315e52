import { z } from 'zod';
import './messages';
import { EnvironmentId, FluidTool2DFields, TaskRange, type DesignSpace, type FluidTool2DSettings, type TaskSpace } from './environments';

// The one declaration of the workbench API. Main implements it (src-main/api/handlers.ts),
// the preload and the browser-mode server only forward it, the renderer and tests call it
// through a typed client. Every input is checked against these schemas at the boundary.

const Id = z.number().int('must be an integer').positive('must be a positive id');
/** A project's name: what the create and rename dialogs and the CLI all check. */
export const ProjectName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine((s) => ![...s].some((c) => c.charCodeAt(0) < 32), 'must not contain control characters');

export const JobKind = z.enum(['selfcheck', 'dataset.physics', 'gns.train', 'outcome.train', 'optimize', 'dataset.optimization', 'diffusion.train', 'sample']);
export type JobKind = z.infer<typeof JobKind>;
export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']);
export type JobStatus = z.infer<typeof JobStatus>;
export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ['queued', 'running'];

/**
 * Refinement on the ground truth, for runs that follow an outcome model (Adam, energy guidance):
 * the run's best distinct proposals are checked on the ground truth (ordinary stored queries)
 * and, with steps > 0, the outcome model is fine-tuned on them as a new model the next run uses.
 * The checks are on by default; the fine-tune is not, since bench:refine found no gain from it yet.
 */
export const Refinement = z
  .object({
    enabled: z.boolean().default(true),
    /** proposals checked on the ground truth (a sampling run scored on the ground truth needs none) */
    checks: z.number().int().min(1).max(256).default(8),
    /** fine-tuning steps of the outcome model; 0 (the default) checks on the ground truth without fine-tuning */
    steps: z.number().int().min(0).max(100_000).default(0),
    /**
     * Ground-truth queries spent polishing the best checked design: rounds of small random
     * perturbations (std `polishSigma` per coordinate, designs in [-1, 1]) around the best so far,
     * a local search on the ground truth. The ground truth's cost is chaotic at small scales (designs
     * 0.001 apart differ by 12-50%), so this finds the cheapest nearby design, as CEM's last
     * iterations do; 0 (the default) polishes nothing.
     */
    polish: z.number().int().min(0).max(1024).default(0),
    polishSigma: z.number().positive().max(0.5).default(0.001),
    /**
     * The std of the polish's first stage: a wider look around the best checked design (where the
     * cost still has a slope); the polish runs in POLISH_STAGES equal stages whose std falls geometrically
     * from this to `polishSigma`; 0: every polish query at `polishSigma`.
     */
    polishWideSigma: z.number().min(0).max(0.5).default(0.01),
    /**
     * Screening, the polish's first queries: each of the `screen` cheapest checked designs is
     * queried `screenDraws` more times nearby (std `polishSigma`), and the perturbations then start
     * from the cheapest design of the neighbourhood whose queries cost least on average, not from
     * the single cheapest check (whose low cost is partly the luck of one draw); 0 (the default):
     * no screening. Its screen × screenDraws queries are part of `polish`.
     */
    screen: z.number().int().min(0).max(64).default(0),
    screenDraws: z.number().int().min(1).max(16).default(3),
    /**
     * Stored designs: the `stored` designs of the project's ground-truth queries that are cheapest
     * for this task join the checked designs, with no new query. A query stores its outcome, a
     * task-independent summary of the final state, so its cost for any task is exact algebra: a
     * design found for another target is known, not guessed, to be good for this one. 0 (the
     * default): only the run's own designs.
     */
    stored: z.number().int().min(0).max(256).default(0),
    /**
     * Only queries with an id at most this count as stored designs (the result records the id the
     * run used, so a run can be repeated on the same knowledge); absent: every query the project
     * holds when the run starts.
     */
    storedUpTo: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((r) => !r.enabled || r.screen * r.screenDraws <= r.polish, {
    message: 'screening makes screen × screenDraws ground-truth queries, part of the polish: more than polish allows',
    path: ['screen'],
  });
export type Refinement = z.infer<typeof Refinement>;
/** The polish's stages: at most this many, of equal size, their std falling geometrically (jobs/kinds/refinement.ts). */
export const POLISH_STAGES = 4;

const REFINEMENT_DEFAULT = { enabled: true, checks: 8, steps: 0, polish: 0, polishSigma: 0.001, polishWideSigma: 0.01, screen: 0, screenDraws: 3, stored: 0 };

/** A training continues a checkpoint (resumeModelId) or fine-tunes a ready model (initModelId), not both. */
const RESUME_OR_INIT: [(p: { resumeModelId?: number; initModelId?: number }) => boolean, { message: string; path: string[] }] = [
  (p) => p.resumeModelId === undefined || p.initModelId === undefined,
  { message: 'give either resumeModelId (continue a checkpoint) or initModelId (fine-tune a ready model), not both', path: ['initModelId'] },
];

/** Parameters of each job kind, validated before a job row is written. */
export const JobParams = {
  selfcheck: z
    .object({
      /** size of the square matrix multiplied to time the TF.js backend */
      matmulSize: z.number().int().min(8).max(2048).default(256),
      repeats: z.number().int().min(1).max(200).default(20),
    })
    .strict(),
  'dataset.physics': z
    .object({
      /** dataset name; default "Physics <date>" */
      name: z.string().trim().min(1).max(100).optional(),
      /** number of random designs, one rollout each, each with a random task */
      count: z.number().int().min(1).max(100_000),
      /** seeds the random designs and tasks, so a dataset can be made again */
      seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
      /** states recorded per frame, for a learned simulator that must see small moves per step; must divide the substeps */
      stepsPerFrame: z.number().int().min(1).max(40).default(1),
    })
    .strict(),
  'gns.train': z
    .object({
      name: z.string().trim().min(1).max(100).optional(),
      /** physics datasets of the project to learn from */
      datasetIds: z.array(z.number().int().positive()).min(1).max(50),
      latent: z.number().int().min(8).max(256).default(48),
      messagePassingSteps: z.number().int().min(1).max(15).default(4),
      mlpLayers: z.number().int().min(1).max(4).default(2),
      radius: z.number().min(0.005).max(0.1).default(0.018),
      noiseStd: z.number().min(0).max(0.01).default(3e-4),
      /** Adam's learning rate at step 0 */
      learningRate: z.number().min(1e-5).max(1e-2).default(1e-3),
      /** the learning rate falls tenfold every this many steps (exponentially); none when absent */
      decaySteps: z.number().int().min(10).max(10_000_000).optional(),
      /** training windows per step */
      batchSize: z.number().int().min(1).max(32).default(2),
      /** most training steps; early stopping may end sooner; a resumed model trains to the larger of this and its own budget */
      steps: z.number().int().min(10).max(1_000_000).default(3000),
      /** validation loss, checkpoint and curve point every this many steps */
      evalEvery: z.number().int().min(5).max(10_000).default(100),
      /** stop after this many evaluations without a better validation loss */
      patience: z.number().int().min(1).max(100).default(8),
      /** fraction of trajectories held out for validation and evaluation */
      validationFraction: z.number().min(0.05).max(0.5).default(0.15),
      /** held-out random designs and tasks for the cost-fidelity (Spearman) check */
      fidelityDesigns: z.number().int().min(0).max(1000).default(100),
      seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
      /** continue this model's training from its last checkpoint */
      resumeModelId: z.number().int().positive().optional(),
      /**
       * fine-tune: start from this ready learned simulator's weights and normalization (a new model,
       * a new loss curve); its network sizes and radius are kept, the settings given here are ignored
       */
      initModelId: z.number().int().positive().optional(),
      /** train on a worker of the Redis queue (idw worker); without a reachable queue, here, saying so */
      queue: z.boolean().default(false),
    })
    .strict()
    .refine(...RESUME_OR_INIT),
  /**
   * The learned outcome model (design -> the environment's outcome, cost by exact algebra): trained
   * on the project's stored ground-truth queries and on new random rollouts made first.
   */
  'outcome.train': z
    .object({
      name: z.string().trim().min(1).max(100).optional(),
      /** new random designs rolled out on the ground truth first, each a stored query with its outcome */
      generate: z.number().int().min(0).max(100_000).default(0),
      /** also learn from the project's stored ground-truth queries that have an outcome */
      useStored: z.boolean().default(true),
      /** hidden layer widths (tanh) */
      hidden: z.array(z.number().int().min(8).max(1024)).min(1).max(4).default([128, 128]),
      learningRate: z.number().min(1e-5).max(1e-1).default(2e-3),
      /** the learning rate falls tenfold every this many steps; none when absent */
      decaySteps: z.number().int().min(10).max(10_000_000).optional(),
      batchSize: z.number().int().min(8).max(4096).default(128),
      /** most training steps; early stopping may end sooner */
      steps: z.number().int().min(10).max(1_000_000).default(6000),
      evalEvery: z.number().int().min(5).max(100_000).default(200),
      patience: z.number().int().min(1).max(100).default(10),
      /** designs held out for validation and the fidelity check */
      validationFraction: z.number().min(0.05).max(0.5).default(0.1),
      /** loss weight of the density map against the cost entries (weight 1) */
      densityWeight: z.number().min(0).max(10).default(0.1),
      /** random tasks the held-out designs are ranked for in the fidelity check */
      fidelityTasks: z.number().int().min(1).max(64).default(8),
      seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
      /** continue this model's training from its last checkpoint */
      resumeModelId: z.number().int().positive().optional(),
      /** fine-tune: start from this ready outcome model's weights and normalization (a new model) */
      initModelId: z.number().int().positive().optional(),
      /** train on a worker of the Redis queue (idw worker); without a reachable queue, here, saying so */
      queue: z.boolean().default(false),
    })
    .strict()
    .refine(...RESUME_OR_INIT)
    .refine((p) => p.generate > 0 || p.useStored || p.resumeModelId !== undefined, {
      message: 'no training data: generate rollouts, use the stored queries, or both',
      path: ['generate'],
    }),
  optimize: z
    .object({
      name: z.string().trim().min(1).max(100).optional(),
      optimizer: z.enum(['adam', 'cem', 'cmaes', 'random']),
      /** adam needs the learned simulator's gradient; the others take either simulator */
      simulator: z.enum(['ground_truth', 'learned']).default('ground_truth'),
      modelId: z.number().int().positive().optional(),
      /** target point; default: the centre of the task range */
      task: z.array(z.number().finite()).length(2).optional(),
      /** most simulator queries the run may make */
      budget: z.number().int().min(1).max(1_000_000).default(200),
      seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
      /** optimization dataset the iterates go to; default: a new one named after the run */
      datasetId: z.number().int().positive().optional(),
      adam: z
        .object({ learningRate: z.number().gt(0).max(10).default(0.05), restarts: z.number().int().min(1).max(1000).default(1), smoothness: z.number().min(0).max(100).default(0) })
        .strict()
        .default({ learningRate: 0.05, restarts: 1, smoothness: 0 }),
      cem: z
        .object({ population: z.number().int().min(2).max(10_000).default(32), eliteFraction: z.number().gt(0).max(1).default(0.25), smoothing: z.number().min(0).max(1).default(0.3), initialStd: z.number().gt(0).max(2).default(0.5) })
        .strict()
        .default({ population: 32, eliteFraction: 0.25, smoothing: 0.3, initialStd: 0.5 }),
      cmaes: z
        .object({ population: z.number().int().min(2).max(10_000).optional(), sigma: z.number().gt(0).max(2).default(0.3) })
        .strict()
        .default({ sigma: 0.3 }),
      /** Adam through an outcome model: check its best proposals on the ground truth and fine-tune the model */
      refine: Refinement.default(REFINEMENT_DEFAULT),
    })
    .strict(),
  /** the paper's training data: many optimizer runs over sampled tasks, into one optimization dataset */
  'dataset.optimization': z
    .object({
      name: z.string().trim().min(1).max(100).optional(),
      /** how many runs; each on its own random task */
      runs: z.number().int().min(1).max(10_000).default(16),
      /** the runs cycle through these optimizers */
      optimizers: z.array(z.enum(['adam', 'cem', 'cmaes', 'random'])).min(1).max(4).default(['cem']),
      /** queries per run */
      budget: z.number().int().min(1).max(100_000).default(64),
      simulator: z.enum(['ground_truth', 'learned']).default('ground_truth'),
      modelId: z.number().int().positive().optional(),
      seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
      /** CEM's settings for the CEM runs (default: the optimize job's) */
      cem: z
        .object({ population: z.number().int().min(2).max(10_000).default(32), eliteFraction: z.number().gt(0).max(1).default(0.25), smoothing: z.number().min(0).max(1).default(0.3), initialStd: z.number().gt(0).max(2).default(0.5) })
        .strict()
        .optional(),
      /** sample the runs' tasks from this part of the task range only (a task family) */
      taskRegion: z.object({ xMin: z.number().finite(), xMax: z.number().finite(), yMin: z.number().finite(), yMax: z.number().finite() }).strict().optional(),
    })
    .strict(),
  /** the diffusion prior over designs (docs/method.md §2), fitted to the iterates of optimization datasets */
  'diffusion.train': z
    .object({
      name: z.string().trim().min(1).max(100).optional(),
      /** optimization datasets of the project to learn from */
      datasetIds: z.array(z.number().int().positive()).min(1).max(50),
      /** which iterates: every one, the last fraction of each run, or the best of each run */
      iterates: z.enum(['all', 'last', 'best']).default('all'),
      /** with iterates "last": the fraction of each run's iterations kept, from its end */
      lastFraction: z.number().gt(0).max(1).default(0.5),
      schedule: z.enum(['cosine', 'linear']).default('cosine'),
      /** diffusion steps T */
      timesteps: z.number().int().min(2).max(1000).default(100),
      /** denoiser: MLP width and residual blocks */
      width: z.number().int().min(8).max(1024).default(256),
      blocks: z.number().int().min(1).max(8).default(4),
      /** condition on the task and the cost level (classifier-free guidance); false: unconditional only */
      conditional: z.boolean().default(true),
      /** probability that a training example's condition is replaced by the learned null token */
      conditionDropout: z.number().min(0).max(0.9).default(0.15),
      learningRate: z.number().min(1e-5).max(1e-1).default(1e-3),
      batchSize: z.number().int().min(8).max(4096).default(256),
      /** most training steps; early stopping may end sooner */
      steps: z.number().int().min(10).max(1_000_000).default(3000),
      /** validation loss, checkpoint and curve point every this many steps */
      evalEvery: z.number().int().min(5).max(100_000).default(100),
      /** stop after this many evaluations without a better validation loss */
      patience: z.number().int().min(1).max(100).default(10),
      /** which weights become the model: those of the best validation loss (with early stopping), or the last (every step run) */
      keep: z.enum(['best', 'last']).default('best'),
      /** with keep "last": the decay of a moving average of the weights, which is then kept (0: the weights themselves) */
      ema: z.number().min(0).max(0.9999).default(0),
      /** fraction of runs held out for validation */
      validationFraction: z.number().min(0.05).max(0.5).default(0.1),
      seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
      /** continue this model's training from its last checkpoint */
      resumeModelId: z.number().int().positive().optional(),
      /** train on a worker of the Redis queue (idw worker); without a reachable queue, here, saying so */
      queue: z.boolean().default(false),
    })
    .strict()
    .refine((p) => p.ema === 0 || p.keep === 'last', { message: 'a moving average of the weights (ema > 0) is kept only with keep "last"', path: ['ema'] }),
  /** designs sampled from a diffusion prior, guided by the simulator's cost (docs/method.md §3-4) */
  sample: z
    .object({
      name: z.string().trim().min(1).max(100).optional(),
      /** the diffusion model; default: the project's newest ready one */
      modelId: z.number().int().positive().optional(),
      /** target point; default: the centre of the task range */
      task: z.array(z.number().finite()).length(2).optional(),
      /** designs drawn by the final reverse process, each one query */
      count: z.number().int().min(1).max(4096).default(32),
      /** the reverse process: ancestral DDPM over all T steps, or DDIM with fewer */
      sampler: z.enum(['ddpm', 'ddim']).default('ddim'),
      ddimSteps: z.number().int().min(1).max(1000).default(25),
      /** DDIM's eta: 0 deterministic, 1 like DDPM */
      eta: z.number().min(0).max(1).default(0),
      /** the simulator that scores designs (and gives particle weights); energy guidance always uses a learned one */
      simulator: z.enum(['ground_truth', 'learned']).default('ground_truth'),
      /** the learned simulator for scoring and energy guidance; default: the newest ready one */
      simulatorModelId: z.number().int().positive().optional(),
      /** classifier-free guidance toward a low cost on this task */
      conditional: z
        .object({
          enabled: z.boolean().default(false),
          /** guidance weight w: 0 is unconditional */
          weight: z.number().min(0).max(20).default(2),
          /** requested cost level, as a quantile of the training costs */
          costQuantile: z.number().min(0).max(1).default(0.05),
        })
        .strict()
        .default({ enabled: false, weight: 2, costQuantile: 0.05 }),
      /** the gradient of the learned simulator's cost, one query with gradient per guided step of each sample */
      energy: z
        .object({
          enabled: z.boolean().default(false),
          /** scale lambda */
          scale: z.number().min(0).max(1000).default(1),
          /** the gradient's norm is clipped to this */
          clip: z.number().gt(0).max(1000).default(1),
          /** guide only the last this many reverse steps (12 of DDIM's 25 did best in bench:sampling-sweep --energy) */
          lastSteps: z.number().int().min(1).max(1000).default(12),
        })
        .strict()
        .default({ enabled: false, scale: 1, clip: 1, lastSteps: 12 }),
      /** particle sampling in the base distribution (docs/method.md §4) */
      particles: z
        .object({
          enabled: z.boolean().default(false),
          /** particles N */
          count: z.number().int().min(2).max(4096).default(32),
          /** rounds k */
          rounds: z.number().int().min(1).max(50).default(3),
          /** temperature of the weights exp(-E / tau) */
          temperature: z.number().gt(0).max(1000).default(0.01),
          /** perturbation sigma in (0, 1] */
          sigma: z.number().gt(0).max(1).default(0.5),
          /** DDIM steps of the cheap estimate of each particle's clean design */
          estimatorSteps: z.number().int().min(1).max(50).default(3),
        })
        .strict()
        .default({ enabled: false, count: 32, rounds: 3, temperature: 0.01, sigma: 0.5, estimatorSteps: 3 }),
      /** energy guidance by an outcome model: fine-tune it on the run's ground-truth checks */
      refine: Refinement.default(REFINEMENT_DEFAULT),
      seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
    })
    .strict(),
} satisfies Record<JobKind, z.ZodType>;

const Finite = z.number().finite();
export const Simulator = z.enum(['ground_truth', 'learned']);
export type Simulator = z.infer<typeof Simulator>;

/** simulator: a GNS; outcome: a learned outcome model; diffusion: a prior over designs */
export const ModelKind = z.enum(['simulator', 'outcome', 'diffusion']);
export type ModelKind = z.infer<typeof ModelKind>;

export const TrajectoryFormat = z.enum(['csv', 'json', 'jsonl', 'npz']);
export type TrajectoryFormat = z.infer<typeof TrajectoryFormat>;
/** A file on this machine (desktop, CLI), or its bytes (browser upload), with its name. */
export const TrajectorySource = z.union([
  z.object({ path: z.string().min(1).max(4096) }).strict(),
  z.object({ fileName: z.string().trim().min(1).max(255), base64: z.string().min(1) }).strict(),
]);
export type TrajectorySource = z.infer<typeof TrajectorySource>;
/**
 * Which columns (CSV) or keys (JSON/JSONL, NPZ arrays) hold each field of an optimization
 * record. design and task list one column each per entry (d and 2), or one key holding arrays.
 */
export const TrajectoryMapping = z
  .object({
    run: z.string().min(1).nullable(),
    optimizer: z.string().min(1).nullable(),
    iteration: z.string().min(1).nullable(),
    cost: z.string().min(1),
    task: z.array(z.string().min(1)).min(1).max(2),
    design: z.array(z.string().min(1)).min(1).max(64),
  })
  .strict();
export type TrajectoryMapping = z.infer<typeof TrajectoryMapping>;

export interface TrajectoryPreview {
  format: TrajectoryFormat;
  fileName: string;
  /** column names (CSV header, JSON keys, NPZ arrays) */
  columns: string[];
  /** the first rows as read, at most 20 */
  rows: (string | number | null)[][];
  /** the mapping detected from the names; null when it could not be */
  mapping: TrajectoryMapping | null;
  /** problems found in what was read, each naming the row and column; field: the mapping field a detection problem is about */
  problems: { row: number | null; column: string | null; message: string; field?: 'cost' | 'task' | 'design' }[];
}

export const methods = {
  'app.ping': z.object({}).strict(),
  'app.capabilities': z.object({}).strict(),
  'projects.list': z.object({}).strict(),
  'projects.get': z.object({ id: Id }).strict(),
  'projects.create': z
    .object({
      name: ProjectName,
      environment: EnvironmentId.default('fluidtool-2d'),
      /** missing fields take the environment's defaults */
      settings: FluidTool2DFields.partial().extend({ taskRange: TaskRange.optional() }).strict().default({}),
    })
    .strict(),
  'projects.rename': z.object({ id: Id, name: ProjectName }).strict(),
  'projects.delete': z.object({ id: Id }).strict(),
  'jobs.list': z
    .object({
      projectId: Id.optional(),
      limit: z.number().int().min(1).max(1000).default(100),
    })
    .strict(),
  'jobs.start': z
    .object({
      kind: JobKind,
      projectId: Id.optional(),
      params: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
  'jobs.cancel': z.object({ id: Id }).strict(),

  /** one rollout of one design: one simulator query, stored; returns the trajectory to play */
  'simulate.run': z
    .object({
      projectId: Id,
      /** normalized design in [-1, 1]^d, d = the project's design dimension */
      design: z.array(Finite).min(1).max(64),
      /** target point; default: the centre of the project's task range */
      task: z.array(Finite).length(2).optional(),
      simulator: Simulator.default('ground_truth'),
      /** the learned simulator to use when simulator is "learned" */
      modelId: Id.optional(),
      method: z.string().trim().min(1).max(40).default('manual'),
      run: z.string().trim().min(1).max(100).optional(),
    })
    .strict(),
  /**
   * The rollout of a stored query, to play it: the same simulator runs the same design and task
   * again (both are deterministic) and nothing new is stored; the result names the stored query
   */
  'simulate.replay': z.object({ projectId: Id, queryId: Id }).strict(),
  /** the project's simulator queries (every evaluated design), newest first or cheapest first, filtered */
  'queries.list': z
    .object({
      projectId: Id,
      limit: z.number().int().min(1).max(500).default(50),
      offset: z.number().int().min(0).default(0),
      sort: z.enum(['newest', 'cost']).default('newest'),
      /** only this method ("cem", "adam", "manual", "dataset.physics", …) */
      method: z.string().trim().min(1).max(40).optional(),
      simulator: z.enum(['ground_truth', 'learned']).optional(),
      /** only costs at most this */
      costMax: z.number().finite().optional(),
      /** only queries that stored an outcome (true) or none (false) */
      hasOutcome: z.boolean().optional(),
      /** only tasks within radius of (x, y) */
      task: z.object({ x: z.number().finite(), y: z.number().finite(), radius: z.number().positive().default(1e-3) }).strict().optional(),
    })
    .strict(),
  /** one stored query of the project (a design's link names it) */
  'queries.get': z.object({ projectId: Id, id: Id }).strict(),
  /** the methods that made the project's queries, with their counts (for filters) */
  'queries.methods': z.object({ projectId: Id }).strict(),
  /**
   * The project's stored designs cheapest for a task: its ground-truth queries with an outcome,
   * each costed for this task from that outcome (exact, no new query), distinct designs only
   */
  'queries.stored': z
    .object({
      projectId: Id,
      task: z.array(Finite).length(2),
      count: z.number().int().min(1).max(100).default(10),
      /** only queries with an id at most this (what a run with refine.storedUpTo saw) */
      upToQueryId: z.number().int().min(0).optional(),
    })
    .strict(),
  /**
   * Every query's design and cost in one compact answer, oldest first, for the views across the
   * design dimensions (parallel coordinates, slices, importance): the project's, or one run's
   * (an optimize or sample job: the queries its run names, restarts and checks included)
   */
  'queries.points': z
    .object({
      projectId: Id,
      jobId: Id.optional(),
      /** the most recent this many; the answer says how many there are in all */
      limit: z.number().int().min(1).max(20_000).default(5000),
    })
    .strict(),

  /** the user's names and notes on the project's runs */
  'runs.notes': z.object({ projectId: Id }).strict(),
  /** names a run (an optimize or sample job) and keeps a note on it; null or blank clears either */
  'runs.annotate': z
    .object({
      jobId: Id,
      name: z.string().trim().max(100, 'must be at most 100 characters').nullable(),
      note: z.string().trim().max(4000, 'must be at most 4000 characters').nullable(),
    })
    .strict(),

  'datasets.list': z.object({ projectId: Id }).strict(),
  'datasets.delete': z.object({ id: Id }).strict(),
  /** a physics dataset from an .npz in the layout of the public GNS datasets (see README) */
  'datasets.importPhysics': z
    .object({
      projectId: Id,
      name: z.string().trim().min(1).max(100),
      /** the file's bytes, base64 */
      npzBase64: z.string().min(1, 'the file is empty'),
      /** the file's name, kept as the dataset's source */
      fileName: z.string().trim().min(1).max(255).optional(),
    })
    .strict(),
  'datasets.exportPhysics': z.object({ id: Id }).strict(),

  /** the first rows of a trajectory file and the detected mapping of its columns, before importing */
  'datasets.previewImport': z.object({ projectId: Id, source: TrajectorySource, format: TrajectoryFormat.optional() }).strict(),
  /** an optimization dataset from a CSV, JSON, JSONL or NPZ file: streamed, validated, all or nothing */
  'datasets.importOptimization': z
    .object({
      projectId: Id,
      name: z.string().trim().min(1).max(100),
      source: TrajectorySource,
      format: TrajectoryFormat.optional(),
      /** how columns map to fields; default: the detected mapping */
      mapping: TrajectoryMapping.optional(),
    })
    .strict(),
  /** the designs runs kept (the designs table: a sampling run's final designs, an optimizer run's best), cheapest first, with their provenance */
  'designs.list': z
    .object({
      projectId: Id,
      /** only those of this job (a sampling or optimize job) */
      jobId: Id.optional(),
      /** only those of this run */
      run: z.string().trim().min(1).max(100).optional(),
      /** only this method ("sample", "cem", "adam", …) */
      method: z.string().trim().min(1).max(40).optional(),
      limit: z.number().int().min(1).max(100_000).default(1000),
    })
    .strict(),
  /**
   * the best designs (simulator queries of the project, records of a dataset, or the designs runs
   * kept: jobId and run pick one run's) as CSV or JSON
   */
  'designs.export': z
    .object({
      projectId: Id,
      /**
       * "stored": the project's stored designs cheapest for `task` (queries.stored), each with its
       * cost and capture for that task from its stored outcome, top k of them
       */
      from: z.enum(['queries', 'dataset', 'designs', 'stored']).default('queries'),
      datasetId: Id.optional(),
      /** from "stored": the target they are costed for */
      task: z.array(Finite).length(2).optional(),
      /** from "designs": only those of this job, or of this run */
      jobId: Id.optional(),
      run: z.string().trim().min(1).max(100).optional(),
      /** top k by cost (per task when perTask), optionally one method only, or exactly these ids */
      topK: z.number().int().min(1).max(1_000_000).default(100),
      perTask: z.boolean().default(false),
      method: z.string().trim().min(1).max(40).optional(),
      ids: z.array(Id).min(1).max(100_000).optional(),
      format: z.enum(['csv', 'json']).default('csv'),
    })
    .strict(),
  /** a whole optimization dataset, every record, as CSV or JSON (the import's own layout) */
  'datasets.exportOptimization': z.object({ id: Id, format: z.enum(['csv', 'json']).default('csv') }).strict(),
  /** an optimization dataset's runs, each as its cost against iteration (the cheapest record of each iteration) */
  'datasets.runCurves': z.object({ id: Id, maxRuns: z.number().int().min(1).max(500).default(24) }).strict(),

  'models.list': z.object({ projectId: Id, kind: ModelKind.optional() }).strict(),
  'models.get': z.object({ id: Id }).strict(),
  'models.delete': z.object({ id: Id }).strict(),
  /** the learned simulator's one-step model as an .onnx file */
  'models.exportOnnx': z.object({ id: Id }).strict(),
  /** a benchmark's stored results (bench/results/<name>.json) and its plot (SVG), when it has been run */
  'benchmarks.get': z.object({ name: z.enum(['paper', 'diffusion']) }).strict(),
  /** a few timed training steps of a denoiser of these sizes on this machine (the Diffusion tab's estimate when no diffusion model was trained here) */
  'diffusion.calibrate': z
    .object({
      projectId: Id,
      width: z.number().int().min(8).max(1024),
      blocks: z.number().int().min(1).max(8),
      batchSize: z.number().int().min(8).max(4096),
      conditional: z.boolean().default(true),
    })
    .strict(),
  /** a few timed training steps of an outcome model of these sizes on this machine (the outcome dialog's estimate when no outcome model was trained here) */
  'outcome.calibrate': z
    .object({
      projectId: Id,
      hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(8),
      batchSize: z.number().int().min(8).max(4096),
    })
    .strict(),
  /** the ground-truth queue: its Redis URL, its workers and throughput */
  'queue.status': z.object({}).strict(),
  /** send ground-truth batches to the Redis queue at this URL (redis:// or rediss://, password in the URL) */
  'queue.configure': z
    .object({
      redisUrl: z
        .string()
        .trim()
        .min(1, 'a Redis URL is required')
        .max(2000)
        .refine((v) => /^rediss?:\/\/[^\s]+$/.test(v), 'must be a redis:// or rediss:// URL'),
    })
    .strict(),
  /** run ground-truth rollouts on the local pool again */
  'queue.disable': z.object({}).strict(),
} as const;

export type MethodName = keyof typeof methods;
export type MethodInput<M extends MethodName> = z.input<(typeof methods)[M]>;
export type MethodArgs<M extends MethodName> = z.output<(typeof methods)[M]>;

export interface ProjectSummary {
  id: number;
  name: string;
  environment: EnvironmentId;
  settings: FluidTool2DSettings;
  designSpace: DesignSpace;
  taskSpace: TaskSpace;
  createdAt: number;
  updatedAt: number;
  /** lowest cost of any simulator query of this project; null before the first query */
  bestCost: number | null;
  queryCount: number;
  datasetCount: number;
  modelCount: number;
  designCount: number;
}

export { jobResult } from './jobs';
export { asKind, isKind } from './models';
export type { JobInfo, JobOfKind, StoredJobParams, JobResult, JobResults, SelfcheckResult, PhysicsDatasetResult, OptimizationDatasetResult, TrainingResult, GnsTrainResult, OutcomeTrainResult, DiffusionTrainResult, OptimizeResult } from './jobs';
import type { JobInfo } from './jobs';

export interface ComponentStatus {
  available: boolean;
  version: string | null;
  /** one plain sentence: what is there, or why not and what to do */
  detail: string;
}

/** The ground-truth queue (Redis + BullMQ workers), as the owning process sees it. */
export interface QueueStatus {
  /** the Redis URL with its password hidden; null: ground-truth rollouts run on the local pool */
  url: string | null;
  reachable: boolean;
  /** one plain sentence: where rollouts run, or why the queue is not used */
  detail: string;
  /** batches by state (null when unreachable) */
  counts: { waiting: number; active: number; completed: number; failed: number; delayed: number } | null;
  /** the connected workers (host:pid) and the designs each has run */
  workers: { name: string; designs: number }[];
  /** batches completed in the last 15 minutes, per minute (null when no worker records metrics) */
  batchesPerMinute: number | null;
}

export interface Capabilities {
  app: { name: string; version: string; mode: 'electron' | 'browser' | 'cli' };
  electron: ComponentStatus;
  tfjs: ComponentStatus & { backend: 'tensorflow' | 'wasm' | null };
  onnxruntime: ComponentStatus & { executionProviders: string[] };
  sqlite: ComponentStatus & { betterSqlite3: string | null; binding: 'node' | 'electron' };
  node: string;
  platform: string;
  cpus: number;
  workers: number;
  dataDir: string;
  databasePath: string;
  schemaVersion: number;
  queue: QueueStatus;
}

/** A trajectory for playback: positions are base64 of little-endian float32 [frames, particles, 2]. */
export interface RolloutData {
  frames: number;
  particles: number;
  /** GNS particle types per particle: 5 water, 3 tool */
  particleTypes: number[];
  positions: string;
  /** simulated seconds between frames */
  frameDt: number;
}

export interface SimulationResult {
  queryId: number;
  cost: number;
  capture: number;
  wallMs: number;
  design: number[];
  task: number[];
  rollout: RolloutData;
}

export interface QueryInfo {
  id: number;
  design: number[];
  task: number[];
  simulator: 'ground_truth' | 'learned';
  modelId: number | null;
  cost: number;
  capture: number | null;
  wallMs: number;
  method: string;
  run: string | null;
  createdAt: number;
}

/** The project's stored designs cheapest for a task (queries.stored). */
export interface StoredDesignsAnswer {
  task: number[];
  /** the newest query id they were chosen from */
  upToQueryId: number;
  /** each: the query (its own task, cost and capture) and its cost and capture for the asked task, cheapest first */
  rows: (QueryInfo & { taskCost: number; taskCapture: number })[];
}

/** Queries' designs and costs, column by column (index i is one query), oldest first. */
export interface QueryPoints {
  /** queries that match, of which the newest `ids.length` are here */
  total: number;
  ids: number[];
  costs: number[];
  /** normalized designs, one array per query */
  designs: number[][];
  methods: string[];
  /** the run names the answer was filtered by (a job's), empty for the whole project */
  runs: string[];
}

/** A user's name and note on a run (an optimize or sample job). */
export interface RunNote {
  jobId: number;
  projectId: number;
  name: string | null;
  note: string | null;
  updatedAt: number;
}

export type DatasetStatus = 'building' | 'ready' | 'incomplete';

/** Statistics of a physics dataset, computed when it is finished or imported. */
export interface PhysicsDatasetStats {
  trajectories?: number;
  /** frames per trajectory; framesMin/framesMax instead when they differ */
  frames?: number;
  framesMin?: number;
  framesMax?: number;
  /** particles of the first trajectory; particlesMin/particlesMax when they differ */
  particles?: number | null;
  particlesMin?: number;
  particlesMax?: number;
  waterParticles?: number | null;
  toolParticles?: number | null;
  /** over trajectories with a known cost (null when none) */
  meanCost?: number | null;
  minCost?: number | null;
  maxCost?: number | null;
  meanCapture?: number | null;
  /** stored size of the trajectories */
  bytes?: number;
  /** states per frame the trajectories were recorded with (1 when absent) */
  stepsPerFrame?: number;
}
/** Statistics of an optimization dataset, computed when it is finished or imported. */
export interface OptimizationDatasetStats {
  rows: number;
  runs: number;
  /** distinct tasks */
  tasks: number;
  optimizers: number;
  designDim: number | null;
  minCost: number | null;
  meanCost: number | null;
  maxCost: number | null;
  /** 20 equal bins from minCost to maxCost (one bin when every cost is equal): edges has one more entry than counts */
  costHistogram: { edges: number[]; counts: number[] } | null;
}

interface DatasetCommon {
  id: number;
  projectId: number;
  name: string;
  /** "generated", or "imported:<file name>" */
  source: string;
  status: DatasetStatus;
  jobId: number | null;
  createdAt: number;
}
/** A dataset of physics rollouts (positions over time): what a GNS learns from. */
export interface PhysicsDatasetInfo extends DatasetCommon {
  kind: 'physics';
  stats: PhysicsDatasetStats;
}
/** A dataset of optimizer runs (designs and costs by iteration): what the diffusion prior learns from; stats are partial while it is written. */
export interface OptimizationDatasetInfo extends DatasetCommon {
  kind: 'optimization';
  stats: Partial<OptimizationDatasetStats>;
}
export type DatasetInfo = PhysicsDatasetInfo | OptimizationDatasetInfo;
export type DatasetOfKind<K extends DatasetInfo['kind']> = Extract<DatasetInfo, { kind: K }>;
/** The dataset as its kind, or an error naming both kinds. */
export function asDatasetKind<K extends DatasetInfo['kind']>(d: DatasetInfo, kind: K): DatasetOfKind<K> {
  if (d.kind !== kind) throw new Error(`Dataset ${d.id} ("${d.name}") is a ${d.kind} dataset, not a ${kind} dataset.`);
  return d as DatasetOfKind<K>;
}

export type ModelStatus = 'training' | 'ready' | 'interrupted' | 'failed';
export type {
  ModelInfo,
  ModelOfKind,
  SimulatorModelInfo,
  OutcomeModelInfo,
  DiffusionModelInfo,
  SimulatorModelConfig,
  SimulatorModelMetrics,
  OutcomeModelConfig,
  OutcomeModelMetrics,
  OutcomeFidelity,
  DiffusionModelConfig,
  DiffusionModelMetrics,
  TrainingProgress,
  ModelConfigBase,
  GnsNetworkConfig,
  OutcomeNetworkConfig,
  DenoiserNetworkConfig,
  CostLevels,
  NumberPair,
  StoredTraining,
} from './models';
import type { ModelInfo } from './models';

/** A row of the designs table: a design a run kept, how it was found, and the query that scored it. */
export interface StoredDesign {
  id: number;
  projectId: number;
  method: string;
  run: string | null;
  /** the job that made it (from its provenance), null when unknown */
  jobId: number | null;
  /** normalized design */
  design: number[];
  task: number[];
  cost: number | null;
  capture: number | null;
  /** the model that made it (diffusion model of a sampling run, learned model of an optimizer) */
  modelId: number | null;
  /** the simulator query that scored it, null when none is stored */
  queryId: number | null;
  /** the run's settings: sampler, guidance, seed, budget, … */
  provenance: Record<string, unknown>;
  createdAt: number;
}

/** One design of a sampling run, as stored in the designs table (with its query). */
export interface SampledDesign {
  designId: number;
  queryId: number;
  design: number[];
  cost: number;
  capture: number | null;
  /**
   * 'final': a design of the final reverse pass; 'particles': the cheapest clean estimate of
   * particle sampling, kept when it beat every final design; 'checked': the best design of a run
   * scored by a learned model, checked on the ground truth (its cost is the ground truth's);
   * 'polished': the polish's best, when it beat the designs it started from; 'stored': a design the
   * project had already rolled out (refine.stored), cheaper for this task than every design of the
   * run, its cost from its stored outcome. Absent in results stored before phases.
   */
  phase?: 'final' | 'particles' | 'checked' | 'polished' | 'stored';
}

/** A run's proposals checked on the ground truth, and the outcome model refined on them. */
export interface RefinementResult {
  /** ground-truth queries the checks made (0 when the run's designs were scored on the ground truth already) */
  checks: number;
  /** ground-truth queries the polish made (absent in results older than polishing) */
  polished?: number;
  /** of those, the screening's queries (absent when it did not screen) */
  screened?: number;
  /** stored designs that joined the checks, with no new query (absent when none were asked for) */
  stored?: { count: number; upToQueryId: number; cheapestCost: number | null };
  /**
   * the cheapest checked (or polished, or stored) design on the ground truth; learnedCost null for
   * a polished or stored one; a stored one's queryId is the project's query it came from
   */
  best: { design: number[]; cost: number; capture: number; queryId: number; learnedCost: number | null; polished?: boolean; stored?: boolean } | null;
  /** the cheapest checked design's cost before polishing, when the polish ran */
  checkedCost?: number | null;
  /** the fine-tuned outcome model (null when refinement was off or skipped) */
  refinedModelId: number | null;
  /** why nothing was refined */
  skipped: string | null;
}

/** What a sample job returns. */
export interface SampleResult {
  modelId: number;
  simulatorModelId: number | null;
  task: number[];
  /** [cumulative queries of the scoring simulator, best cost so far] */
  curve: [number, number][];
  /** queries of the scoring simulator (particle weights and final scores) */
  queries: number;
  /** learned-model evaluations with gradient made by energy guidance (counted apart from queries; absent in older rows) */
  energyEvaluations?: number;
  /** absent in rows older than refinement */
  refinement?: RefinementResult | null;
  /** the final designs, cheapest first */
  designs: SampledDesign[];
  best: SampledDesign | null;
  run: string;
}

export interface MethodResults {
  'app.ping': { time: number };
  'app.capabilities': Capabilities;
  'projects.list': ProjectSummary[];
  'projects.get': ProjectSummary;
  'projects.create': ProjectSummary;
  'projects.rename': ProjectSummary;
  'projects.delete': { id: number; deleted: true };
  'jobs.list': JobInfo[];
  'jobs.start': JobInfo;
  'jobs.cancel': JobInfo;
  'simulate.run': SimulationResult;
  'simulate.replay': SimulationResult;
  'queries.list': { total: number; rows: QueryInfo[] };
  'queries.methods': { method: string; count: number }[];
  'queries.points': QueryPoints;
  'queries.get': QueryInfo;
  'queries.stored': StoredDesignsAnswer;
  'runs.notes': RunNote[];
  'runs.annotate': RunNote;
  'datasets.list': DatasetInfo[];
  'datasets.delete': { id: number; deleted: true };
  'datasets.importPhysics': PhysicsDatasetInfo;
  'datasets.exportPhysics': { fileName: string; npzBase64: string };
  'datasets.previewImport': TrajectoryPreview;
  'datasets.importOptimization': OptimizationDatasetInfo;
  'designs.list': StoredDesign[];
  'designs.export': { fileName: string; content: string; rows: number };
  'datasets.exportOptimization': { fileName: string; content: string; rows: number };
  /** points: [iteration, the cheapest cost of that iteration], thinned to at most 400 a run; iterations: how many the run has */
  'datasets.runCurves': { totalRuns: number; runs: { run: string; optimizer: string; records: number; best: number; iterations: number; points: [number, number][] }[] };
  'models.list': ModelInfo[];
  'models.get': ModelInfo;
  'models.delete': { id: number; deleted: true };
  'models.exportOnnx': { fileName: string; onnxBase64: string };
  'benchmarks.get': { name: string; results: unknown; svg: string | null; measuredAt: string | null };
  /** measuredAt: when (ms since the epoch); a calibration is measured once per size and process */
  'diffusion.calibrate': { secondsPerStep: number; steps: number; backend: string; measuredAt: number };
  'outcome.calibrate': { secondsPerStep: number; steps: number; backend: string; measuredAt: number };
  'queue.status': QueueStatus;
  'queue.configure': QueueStatus;
  'queue.disable': QueueStatus;
}
export type MethodResult<M extends MethodName> = MethodResults[M];

export interface ApiEvents {
  /** a job changed: status, progress or message */
  'job.updated': JobInfo;
  /** projects were created, renamed or deleted (contents: datasets.changed, queries.added, models.changed) */
  'projects.changed': { projectId: number | null };
  /** a project's datasets changed (created, grew, finished, deleted) */
  'datasets.changed': { projectId: number };
  /** new simulator queries were stored for a project */
  'queries.added': { projectId: number; count: number };
  /** an optimization or sampling run made progress: its best cost after this many queries (a live curve point) */
  'run.progress': { projectId: number; jobId: number; queries: number; bestCost: number };
  /** a project's models changed (training progress, finished, deleted) */
  'models.changed': { projectId: number; modelId: number };
}
export type EventName = keyof ApiEvents;

export { IPC_INVOKE, IPC_EVENT, API_PATH, WS_PATH, TOKEN_HEADER, TOKEN_COOKIE } from './channels';

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}
