import { jobResult, type DiffusionModelConfig, type StoredTraining } from '../../../src-shared/api';
import { call, describeIds, findProject, intOption, numberList, numberOption, openWorkbench, print, program, runJob } from '../context';
import { formatCost } from '../format';
import { POLISHED_SAMPLING } from '../../../src-shared/sampling';
import { ApiError } from '../../../src-shared/errors';
import type { Workbench } from '../../engine/workbench';
import { describeRefinement, refineParams, withRefineOptions, type RefineOptions } from './optimize';

const defined = (x: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined));

export interface TrainOptions {
  project: string;
  datasets: number[];
  iterates?: 'all' | 'last' | 'best';
  lastFraction?: number;
  schedule?: 'cosine' | 'linear';
  timesteps?: number;
  width?: number;
  blocks?: number;
  unconditional?: boolean;
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  keep?: 'best' | 'last';
  ema?: number;
  seed?: number;
  name?: string;
  resume?: number;
  /** train on a worker of the Redis queue */
  onQueue?: boolean;
}

export interface SampleOptions extends RefineOptions {
  project: string;
  model?: number;
  task?: number[];
  count?: number;
  sampler?: 'ddpm' | 'ddim';
  steps?: number;
  simulator?: 'ground_truth' | 'learned';
  simulatorModel?: number;
  cond?: number;
  costQuantile?: number;
  energy?: number;
  clip?: number;
  guidedSteps?: number;
  particles?: number;
  rounds?: number;
  temperature?: number;
  sigma?: number;
  seed?: number;
  polished?: boolean;
}

/** The sample job's parameters from the options; with --polished, the polished preset under them. */
export function sampleParams(o: Omit<SampleOptions, 'project'>): Record<string, unknown> {
  const params = defined({
    modelId: o.model,
    task: o.task,
    count: o.count,
    sampler: o.sampler,
    ddimSteps: o.steps,
    simulator: o.simulator,
    simulatorModelId: o.simulatorModel,
    seed: o.seed,
    conditional: o.cond === undefined ? undefined : defined({ enabled: true, weight: o.cond, costQuantile: o.costQuantile }),
    energy: o.energy === undefined ? undefined : defined({ enabled: true, scale: o.energy, clip: o.clip, lastSteps: o.guidedSteps }),
    particles: o.particles === undefined ? undefined : defined({ enabled: true, count: o.particles, rounds: o.rounds, temperature: o.temperature, sigma: o.sigma }),
    refine: refineParams(o),
  });
  return o.polished ? { ...POLISHED_SAMPLING, ...params, refine: { ...POLISHED_SAMPLING.refine, ...(params.refine as object | undefined) } } : params;
}

/**
 * The request of `idw diffusion train`. With --resume, the model's stored training settings
 * (its datasets, its step budget) fill what the command line leaves out: the job continues the
 * model's own training, and the API still checks a complete request.
 */
export function diffusionTrainParams(wb: Workbench, o: Omit<TrainOptions, 'project'>): Record<string, unknown> {
  const given = defined({
    datasetIds: o.datasets,
    iterates: o.iterates,
    lastFraction: o.lastFraction,
    schedule: o.schedule,
    timesteps: o.timesteps,
    width: o.width,
    blocks: o.blocks,
    conditional: o.unconditional ? false : undefined,
    steps: o.steps,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    keep: o.keep,
    ema: o.ema,
    seed: o.seed,
    name: o.name,
    // where it trains is asked each time, a resume included
    queue: Boolean(o.onQueue),
  });
  if (o.resume === undefined) {
    if (!o.datasets?.length) throw new ApiError('invalid_argument', 'Give --datasets <ids> (see "idw dataset list"), or --resume <model>.');
    return given;
  }
  const model = wb.models.get(o.resume);
  const stored: StoredTraining<'diffusion.train'> = (model.config as DiffusionModelConfig).training ?? {};
  const { name: _name, resumeModelId: _resume, ...training } = stored;
  return { ...training, ...given, resumeModelId: o.resume };
}

/** `idw diffusion train` and `idw sample`: the diffusion prior and guided sampling from it, as jobs. */
export function registerDiffusionCommands(): void {
  const diffusion = program.command('diffusion').description('the diffusion prior over designs');
  diffusion
    .command('train')
    .description('train a diffusion prior on optimization datasets of a project; Ctrl+C stops it (resume with --resume)')
    .requiredOption('--project <project>', 'project id or name')
    .option('--datasets <ids>', 'optimization dataset ids, comma-separated', numberList('--datasets'))
    .option('--iterates <which>', 'all | last | best (default all)')
    .option('--last-fraction <f>', 'with --iterates last: the fraction of each run kept', numberOption('--last-fraction'))
    .option('--schedule <kind>', 'cosine | linear (default cosine)')
    .option('--timesteps <T>', 'diffusion steps (default 100)', intOption('--timesteps'))
    .option('--width <n>', 'denoiser width (default 256)', intOption('--width'))
    .option('--blocks <n>', 'residual blocks (default 4)', intOption('--blocks'))
    .option('--unconditional', 'no task / cost condition (no conditional guidance)')
    .option('--steps <n>', 'training steps (default 3000)', intOption('--steps'))
    .option('--batch-size <n>', 'examples per step (default 256)', intOption('--batch-size'))
    .option('--learning-rate <lr>', 'Adam learning rate (default 1e-3)', numberOption('--learning-rate'))
    .option('--keep <which>', 'best | last: the weights of the best validation loss, with early stopping (default), or the last, every step run')
    .option('--ema <decay>', 'with --keep last: keep a moving average of the weights with this decay, e.g. 0.998 (default 0: none)', numberOption('--ema'))
    .option('--seed <seed>', 'random seed', intOption('--seed'))
    .option('--name <name>', 'model name')
    .option('--resume <model>', 'continue this model from its last checkpoint', intOption('--resume'))
    .option('--on-queue', 'train on a worker of the Redis queue (idw worker); here when no queue can be reached, saying so')
    .action((o: TrainOptions) => {
      const wb = openWorkbench();
      return (async () => {
        const p = await findProject(wb, o.project);
        const params = diffusionTrainParams(wb, o);
        const job = await call(wb, 'jobs.start', { kind: 'diffusion.train', projectId: p.id, params: params as never });
        const done = await runJob(wb, job);
        const r = jobResult(done, 'diffusion.train');
        print(`diffusion model ${r.modelId}: ${r.steps} steps${r.stoppedEarly ? ' (stopped early)' : ''} on ${r.examples} designs, best validation loss ${r.bestValLoss?.toPrecision(4) ?? '—'}`, r);
      })().finally(() => wb.close());
    });

  const sample = program
    .command('sample')
    .description('sample designs for a task from a diffusion prior, guided by the cost; every query stored; Ctrl+C cancels')
    .requiredOption('--project <project>', 'project id or name')
    .option('--model <id>', 'diffusion model (default: the newest ready one)', intOption('--model'))
    .option('--task <tx,ty>', 'target point (default: the centre of the task range)', numberList('--task'))
    .option('--count <n>', 'designs to draw (default 32)', intOption('--count'))
    .option('--sampler <name>', 'ddim | ddpm (default ddim)')
    .option('--steps <n>', 'DDIM steps (default 25)', intOption('--steps'))
    .option('--simulator <sim>', 'ground_truth | learned: scores the designs (default ground_truth)')
    .option('--simulator-model <id>', 'learned simulator for scoring and energy guidance', intOption('--simulator-model'))
    .option('--cond <w>', 'conditional guidance with weight w', numberOption('--cond'))
    .option('--cost-quantile <q>', 'requested cost level, a quantile of the training costs (default 0.05)', numberOption('--cost-quantile'))
    .option('--energy <lambda>', 'energy guidance with scale lambda (the learned simulator\'s gradient)', numberOption('--energy'))
    .option('--clip <c>', 'energy gradient norm clip (default 1)', numberOption('--clip'))
    .option('--guided-steps <k>', 'energy-guide the last k reverse steps (default 3)', intOption('--guided-steps'))
    .option('--particles <N>', 'particle sampling with N particles', intOption('--particles'))
    .option('--rounds <k>', 'particle rounds (default 3)', intOption('--rounds'))
    .option('--temperature <tau>', 'particle weights exp(-E / tau) (default 0.01)', numberOption('--temperature'))
    .option('--sigma <s>', 'particle perturbation (default 0.5)', numberOption('--sigma'))
    .option('--seed <seed>', 'random seed', intOption('--seed'))
    .option('--polished', `the Sample form's polished preset: ${POLISHED_SAMPLING.count} energy-guided conditional samples scored by the newest outcome model, its ${POLISHED_SAMPLING.refine.checks} best checked on the ground truth with the project's ${POLISHED_SAMPLING.refine.stored} stored designs cheapest for the task, then ${POLISHED_SAMPLING.refine.polish} polish queries (options given override it)`);
  withRefineOptions(sample)
    .action((o: SampleOptions) => {
      const wb = openWorkbench();
      return (async () => {
        const p = await findProject(wb, o.project);
        const request = sampleParams(o);
        const job = await call(wb, 'jobs.start', { kind: 'sample', projectId: p.id, params: request as never });
        const done = await runJob(wb, job);
        const r = jobResult(done, 'sample');
        const lines = [
          `${r.run}: ${r.designs.length} designs, ${r.queries} queries${r.energyEvaluations ? ` (and ${r.energyEvaluations} learned-model evaluations for energy guidance)` : ''}`,
          `best cost ${formatCost(r.best?.cost ?? null)}, capture ${r.best?.capture == null ? '—' : `${(r.best.capture * 100).toFixed(1)}%`}, ${describeIds(r.best)}`,
          `design    ${r.best ? r.best.design.map((v) => v.toFixed(4)).join(', ') : '—'}`,
          ...describeRefinement(r.refinement),
        ];
        print(lines.join('\n'), r);
      })().finally(() => wb.close());
    });
}
