import type { Command } from 'commander';
import { POLISH_STAGES, asDatasetKind, jobResult, type RefinementResult } from '../../../src-shared/api';
import { call, describeIds, findProject, intOption, numberList, numberOption, openWorkbench, print, program, runJob } from '../context';
import { formatCost } from '../format';

/** The ground-truth checks and polish of a run that follows an outcome model (Adam, energy guidance, learned scoring). */
export interface RefineOptions {
  checks?: number;
  polish?: number;
  polishSigma?: number;
  polishWideSigma?: number;
  screen?: number;
  screenDraws?: number;
  stored?: number;
}

/** The `refine` parameter from the options (undefined: the API's defaults). */
export function refineParams(o: RefineOptions): Record<string, unknown> | undefined {
  const given = { checks: o.checks, polish: o.polish, polishSigma: o.polishSigma, polishWideSigma: o.polishWideSigma, screen: o.screen, screenDraws: o.screenDraws, stored: o.stored };
  if (Object.values(given).every((v) => v === undefined)) return undefined;
  return Object.fromEntries(Object.entries({ enabled: true, ...given }).filter(([, v]) => v !== undefined));
}

/** Adds --checks, --polish, --polish-sigma, --polish-wide-sigma, --screen, --screen-draws and --stored to a command. */
export function withRefineOptions(command: Command): Command {
  return command
    .option('--checks <n>', "outcome-model runs: best proposals checked on the ground truth (default 8)", intOption('--checks'))
    .option('--polish <n>', 'outcome-model runs: ground-truth queries polishing the best checked design by small perturbations (default 0)', intOption('--polish'))
    .option('--polish-sigma <s>', 'std of the polish perturbations, per coordinate of the [-1, 1] design (default 0.001)', numberOption('--polish-sigma'))
    .option('--polish-wide-sigma <s>', `std of the polish's first stage; ${POLISH_STAGES} stages fall geometrically to --polish-sigma (default 0.01; 0: every stage at --polish-sigma)`, numberOption('--polish-wide-sigma'))
    .option('--screen <n>', "the polish's first queries: the n cheapest checked designs each queried --screen-draws more times nearby; the polish starts in the neighbourhood cheapest on average (default 0: none)", intOption('--screen'))
    .option('--screen-draws <n>', 'queries near each screened design (default 3)', intOption('--screen-draws'))
    .option('--stored <n>', "the project's n stored designs cheapest for the task (their queries' outcomes give their cost) join the checked designs, with no new query (default 0)", intOption('--stored'));
}

interface OptimizeOptions extends RefineOptions {
  project: string;
  optimizer: 'adam' | 'cem' | 'cmaes' | 'random';
  budget?: number;
  task?: number[];
  simulator?: 'ground_truth' | 'learned';
  model?: number;
  seed?: number;
  dataset?: number;
  name?: string;
  population?: number;
  eliteFraction?: number;
  smoothing?: number;
  initialStd?: number;
  sigma?: number;
  learningRate?: number;
  restarts?: number;
  smoothness?: number;
}

/** Up to `n` curve points, evenly spread over the run, always with its last one. */
function curveSummary(curve: [number, number][], n = 8): [number, number][] {
  if (curve.length <= n) return curve;
  return Array.from({ length: n }, (_, i) => curve[Math.round((i * (curve.length - 1)) / (n - 1))]!);
}

/** `idw optimize`: one optimizer on one task within a query budget, as an optimize job. */
export function registerOptimizeCommands(): void {
  const optimize = program
    .command('optimize')
    .description('optimize a design for a task within a query budget (every query and iterate stored); Ctrl+C cancels')
    .requiredOption('--project <project>', 'project id or name')
    .requiredOption('--optimizer <name>', 'adam | cem | cmaes | random')
    .option('--budget <n>', 'most simulator queries (default 200)', intOption('--budget'))
    .option('--task <tx,ty>', 'target point (default: the centre of the task range)', numberList('--task'))
    .option('--simulator <sim>', 'ground_truth | learned (default ground_truth; Adam always uses the learned one)')
    .option('--model <id>', 'learned simulator model (default: the newest ready one)', intOption('--model'))
    .option('--seed <seed>', 'random seed (default 1)', intOption('--seed'))
    .option('--dataset <id>', 'optimization dataset to append the iterates to (default: a new one)', intOption('--dataset'))
    .option('--name <name>', 'name of the new optimization dataset')
    .option('--population <n>', 'CEM / CMA-ES population per iteration', intOption('--population'))
    .option('--elite-fraction <f>', 'CEM elite fraction ρ', numberOption('--elite-fraction'))
    .option('--smoothing <a>', 'CEM smoothing α', numberOption('--smoothing'))
    .option('--initial-std <s>', 'CEM initial standard deviation', numberOption('--initial-std'))
    .option('--sigma <s>', 'CMA-ES initial step size', numberOption('--sigma'))
    .option('--learning-rate <lr>', 'Adam learning rate', numberOption('--learning-rate'))
    .option('--restarts <n>', 'Adam random restarts', intOption('--restarts'))
    .option('--smoothness <l>', 'Adam smoothness penalty λ', numberOption('--smoothness'));
  withRefineOptions(optimize)
    .action((o: OptimizeOptions) => {
      const wb = openWorkbench();
      return (async () => {
        const p = await findProject(wb, o.project);
        const defined = (x: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined));
        const params = defined({
          optimizer: o.optimizer,
          budget: o.budget,
          task: o.task,
          simulator: o.simulator,
          modelId: o.model,
          seed: o.seed,
          datasetId: o.dataset,
          name: o.name,
          cem: o.optimizer === 'cem' ? defined({ population: o.population, eliteFraction: o.eliteFraction, smoothing: o.smoothing, initialStd: o.initialStd }) : undefined,
          cmaes: o.optimizer === 'cmaes' ? defined({ population: o.population, sigma: o.sigma }) : undefined,
          adam: o.optimizer === 'adam' ? defined({ learningRate: o.learningRate, restarts: o.restarts, smoothness: o.smoothness }) : undefined,
          refine: refineParams(o),
        });
        const job = await call(wb, 'jobs.start', { kind: 'optimize', projectId: p.id, params: params as never });
        const done = await runJob(wb, job);
        const r = jobResult(done, 'optimize');
        const lines = [
          `${o.optimizer} used ${r.queries} queries; iterates in optimization dataset ${r.datasetId} (runs ${r.runs.join(', ')})`,
          `best cost ${formatCost(r.best?.cost ?? null)}, capture ${r.best?.capture === null || !r.best ? '—' : `${(r.best.capture * 100).toFixed(1)}%`}, ${describeIds(r.best)} (run ${r.best?.run ?? '—'})`,
          `design    ${r.best ? r.best.design.map((v) => v.toFixed(4)).join(', ') : '—'}`,
          'best cost against queries:',
          ...curveSummary(r.curve).map(([q, c]) => `  ${String(q).padStart(7)}  ${c.toPrecision(4)}`),
          ...describeRefinement(r.refinement),
        ];
        print(lines.join('\n'), r);
      })().finally(() => wb.close());
    });
}

/** What a refinement did, in lines for the console (none when the run had none). */
export function describeRefinement(r: RefinementResult | null | undefined): string[] {
  if (!r) return [];
  const lines: string[] = [];
  if (r.best) {
    const learned = r.best.learnedCost === null ? '' : `; learned cost ${formatCost(r.best.learnedCost)}`;
    if (r.stored) lines.push(`stored designs: ${r.stored.count} of the project's (queries up to ${r.stored.upToQueryId}), the cheapest ${formatCost(r.stored.cheapestCost)} for this task from its stored outcome`);
    const from = r.best.stored ? ', a stored design' : '';
    lines.push(`ground-truth checks: ${r.checks} new queries; best on the ground truth ${formatCost(r.best.cost)} (capture ${(r.best.capture * 100).toFixed(1)}%, query ${r.best.queryId}${from}${learned})`);
    if (r.polished) {
      const around = r.screened ? `the checked designs, ${r.screened} of them screening the cheapest` : 'the best checked design';
      lines.push(`polish: ${r.polished} ground-truth queries around ${around} (${formatCost(r.checkedCost ?? null)}): ${r.best.polished ? `found ${formatCost(r.best.cost)}` : 'none cheaper'}`);
    }
  }
  lines.push(r.refinedModelId === null ? `refinement: ${r.skipped ?? 'none'}` : `outcome model refined on them: model ${r.refinedModelId}`);
  return lines;
}

/** `idw dataset generate-trajectories`: the prior's training data, many runs over sampled tasks. */
export function registerTrajectoryGeneration(): void {
  const dataset = program.commands.find((c) => c.name() === 'dataset');
  if (!dataset) throw new Error('the dataset command group must be registered first');
  dataset
    .command('generate-trajectories')
    .description('run optimizers over sampled tasks into one optimization dataset (the diffusion prior\'s training data)')
    .requiredOption('--project <project>', 'project id or name')
    .option('--runs <n>', 'optimizer runs, each on its own random task (default 16)', intOption('--runs'))
    .option('--optimizers <list>', 'comma-separated: cem, cmaes, random, adam (default cem)', (v: string) => v.split(',').map((x) => x.trim()))
    .option('--budget <n>', 'queries per run (default 64)', intOption('--budget'))
    .option('--simulator <name>', 'ground_truth | learned')
    .option('--model <id>', 'learned simulator model id', intOption('--model'))
    .option('--seed <seed>', 'random seed', intOption('--seed'))
    .option('--name <name>', 'dataset name')
    .action((o: { project: string; runs?: number; optimizers?: string[]; budget?: number; simulator?: string; model?: number; seed?: number; name?: string }) => {
      const wb = openWorkbench();
      return (async () => {
        const p = await findProject(wb, o.project);
        const params = Object.fromEntries(
          Object.entries({ runs: o.runs, optimizers: o.optimizers, budget: o.budget, simulator: o.simulator, modelId: o.model, seed: o.seed, name: o.name }).filter(([, v]) => v !== undefined),
        );
        const job = await call(wb, 'jobs.start', { kind: 'dataset.optimization', projectId: p.id, params: params as never });
        const done = await runJob(wb, job);
        const r = jobResult(done, 'dataset.optimization');
        const ds = asDatasetKind(wb.datasets.get(r.datasetId), 'optimization');
        print(
          [`Generated dataset ${ds.id} "${ds.name}": ${ds.stats.rows} records from ${r.runs.length} runs`, ...r.runs.map((x) => `  run ${x.run} ${x.optimizer.padEnd(6)} best ${formatCost(x.bestCost)}`)].join('\n'),
          { dataset: ds, runs: r.runs },
        );
      })().finally(() => wb.close());
    });
}

