// bench:paper — the paper's headline (METHOD.md §9, issue #6) on FluidTool-2D: best cost against
// cumulative simulator queries for CEM, DDM unconditional and DDM + conditional guidance, each
// with and without particle sampling, over held-out tasks × seeds (median and IQR); Q(C*), the
// queries each needs to reach C* = CEM's median full-budget cost on the task; plain sampling with
// as many queries as particle sampling spends, for the comparison at equal queries; transfer with
// conditional models trained on a matching, a non-matching and a mixed task family. Adam and
// energy guidance follow the learned simulator's gradient: they run on a subset of tasks, with
// what they cost printed, when a learned simulator is installed. Every query goes through the
// workbench's jobs and is stored. Writes bench/results/paper.json and paper.svg, copied to
// resources/benchmarks/ for the app.
//   npm run bench:paper -- [--tasks 8] [--seeds 3] [--simulator ground_truth|learned] [--quick]
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { OptimizeResult } from '../src-main/engine/jobs/kinds/optimize';
import { OptimizationDatasets } from '../src-main/engine/datasets/trajectories';
import { installDefaultDiffusion, installDefaultModel } from '../src-main/engine/models/default-model';
import { seededRandom } from '../src-main/engine/random';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { BUILTIN_PROJECT_NAME } from '../src-main/engine/workbench';
import type { JobInfo, ModelInfo, ProjectSummary, SampleResult, SimulationResult } from '../src-shared/api';
import { benchWorkbench, ok } from './harness';
import { band, quantile, writeResults } from './report';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '8' },
    seeds: { type: 'string', default: '3' },
    simulator: { type: 'string', default: 'ground_truth' },
    'cem-budget': { type: 'string', default: '256' },
    'gradient-tasks': { type: 'string', default: '2' },
    'gradient-budget': { type: 'string', default: '8' },
    /** skip the gradient methods when one gradient query is estimated to take longer than this */
    'gradient-limit-s': { type: 'string', default: '20' },
    'transfer-runs': { type: 'string', default: '24' },
    'train-steps': { type: 'string', default: '1500' },
    quick: { type: 'boolean', default: false },
    /** redraw paper.svg from the stored paper.json without running anything */
    'plot-only': { type: 'boolean', default: false },
  },
});
const quick = values.quick!;
const TASKS = quick ? 2 : Number(values.tasks);
const SEEDS = quick ? 1 : Number(values.seeds);
const SIMULATOR = values.simulator as 'ground_truth' | 'learned';
const CEM_BUDGET = quick ? 64 : Number(values['cem-budget']);
const TRANSFER_RUNS = quick ? 4 : Number(values['transfer-runs']);
const TRAIN_STEPS = quick ? 100 : Number(values['train-steps']);
const SAMPLES = 16;
const PARTICLES = { enabled: true, count: 16, rounds: 2, temperature: 0.01, sigma: 0.5, estimatorSteps: 3 };
const NO_PARTICLES = { ...PARTICLES, enabled: false };
const COND = { enabled: true, weight: 2, costQuantile: 0.05 };
/** what particle sampling spends: N k + count queries */
const EQUAL_QUERIES = PARTICLES.count * PARTICLES.rounds + SAMPLES;


interface RunOutcome {
  method: string;
  task: number[];
  seed: number;
  curve: [number, number][];
  queries: number;
  finalCost: number;
  bestDesign: number[];
  seconds: number;
  /** the best design's cost on the ground truth, when it was scored by another simulator */
  groundTruthCost?: number;
}

const r5 = (x: number): number => Number(x.toPrecision(5));
function stats(v: number[]): { median: number; q25: number; q75: number } {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  return { median: r5(quantile(s, 0.5)), q25: r5(quantile(s, 0.25)), q75: r5(quantile(s, 0.75)) };
}

async function main(): Promise<void> {
  const root = join(__dirname, '..');
  if (values['plot-only']) {
    const stored = JSON.parse(readFileSync(join(root, 'bench', 'results', 'paper.json'), 'utf8')) as { figures: { methods: Parameters<typeof plot>[0] } };
    const svg = await plot(stored.figures.methods);
    writeFileSync(join(root, 'bench', 'results', 'paper.svg'), svg);
    mkdirSync(join(root, 'resources', 'benchmarks'), { recursive: true });
    writeFileSync(join(root, 'resources', 'benchmarks', 'paper.svg'), svg);
    console.log('paper.svg redrawn from paper.json');
    return;
  }
  const bench = await benchWorkbench('paper');
  const { wb, call } = bench;
  const t0 = Date.now();
  const job = async (kind: string, projectId: number, params: Record<string, unknown>): Promise<JobInfo> => {
    const started = ok<JobInfo>(await call('jobs.start', { kind, projectId, params }));
    const done = await wb.jobs.whenFinished(started.id);
    if (done.status !== 'succeeded') throw new Error(`${kind} job ${done.id} ${done.status}: ${done.error}`);
    return done;
  };
  try {
    // the built-in settings, with the shipped default models when resources/ has them
    const created = wb.projects.create({ name: BUILTIN_PROJECT_NAME, environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS });
    installDefaultModel(wb.models, created);
    installDefaultDiffusion(wb.models, new OptimizationDatasets(wb.db), created);
    const project = ok<ProjectSummary>(await call('projects.get', { id: created.id }));
    const projectId = project.id;
    const range = project.settings.taskRange;
    const midX = (range.xMin + range.xMax) / 2;
    const families = {
      left: { xMin: range.xMin, xMax: midX, yMin: range.yMin, yMax: range.yMax },
      right: { xMin: midX, xMax: range.xMax, yMin: range.yMin, yMax: range.yMax },
    };
    const simulators = ok<ModelInfo[]>(await call('models.list', { projectId, kind: 'simulator' })).filter((m) => m.status === 'ready');
    const learned = simulators[0] ?? null;
    if (SIMULATOR === 'learned' && !learned) throw new Error('--simulator learned needs a learned simulator: run `npm run train:default` first');

    // held-out tasks: from the left family, drawn apart from every training run's tasks
    const rand = seededRandom(20_230_904);
    const tasks = Array.from({ length: TASKS }, () => [families.left.xMin + (families.left.xMax - families.left.xMin) * rand(), range.yMin + (range.yMax - range.yMin) * rand()].map(r5));
    console.log(`${TASKS} held-out tasks × ${SEEDS} seeds, scored by the ${SIMULATOR === 'learned' ? `learned simulator "${learned!.name}"` : 'ground truth'}`);

    // diffusion models: the shipped default (every task), and conditional models per task family for transfer
    const trainOn = async (name: string, datasetIds: number[]): Promise<number> => {
      const done = await job('diffusion.train', projectId, { name, datasetIds, steps: TRAIN_STEPS, evalEvery: 100, patience: 5, seed: 1 });
      return (done.result as { modelId: number }).modelId;
    };
    const generate = async (name: string, region: (typeof families)['left'] | null, runs: number): Promise<number> => {
      const t = Date.now();
      const done = await job('dataset.optimization', projectId, { name, runs, optimizers: ['cem'], budget: 96, cem: { population: 16 }, seed: name.length, ...(region ? { taskRegion: region } : {}) });
      console.log(`  ${name}: ${runs} CEM runs in ${((Date.now() - t) / 1000).toFixed(0)} s`);
      return (done.result as { datasetId: number }).datasetId;
    };
    const shipped = ok<ModelInfo[]>(await call('models.list', { projectId, kind: 'diffusion' })).find((m) => m.status === 'ready');
    console.log('Transfer data (CEM on the ground truth, per task family):');
    const leftData = await generate('left family', families.left, TRANSFER_RUNS);
    const rightData = await generate('right family', families.right, TRANSFER_RUNS);
    console.log('Training conditional diffusion models: matching (left), non-matching (right), mixed…');
    const transferModels = { matching: await trainOn('matching (left)', [leftData]), nonMatching: await trainOn('non-matching (right)', [rightData]), mixed: await trainOn('mixed', [leftData, rightData]) };
    const mainModel = shipped?.id ?? transferModels.mixed;
    const mainModelName = shipped ? `${shipped.name} (shipped)` : 'mixed (trained here: no shipped model)';

    const runs: RunOutcome[] = [];
    const record = (o: RunOutcome): void => {
      runs.push(o);
      console.log(`  ${o.method.padEnd(22)} task (${o.task.join(', ')}) seed ${o.seed}: best ${o.finalCost.toPrecision(4)} after ${o.queries} queries (${o.seconds.toFixed(1)} s)`);
    };
    const optimizeRun = async (method: string, task: number[], seed: number, params: Record<string, unknown>): Promise<void> => {
      const t = Date.now();
      const r = (await job('optimize', projectId, { ...params, task, seed, simulator: params.optimizer === 'adam' ? 'learned' : SIMULATOR })).result as OptimizeResult;
      record({ method, task, seed, curve: r.curve, queries: r.queries, finalCost: r.best!.cost, bestDesign: r.best!.design, seconds: (Date.now() - t) / 1000 });
    };
    const sampleRun = async (method: string, task: number[], seed: number, params: Record<string, unknown>): Promise<void> => {
      const t = Date.now();
      const r = (await job('sample', projectId, { count: SAMPLES, ddimSteps: 25, simulator: SIMULATOR, ...params, task, seed })).result as SampleResult;
      const best = r.curve.at(-1)![1];
      record({ method, task, seed, curve: r.curve, queries: r.queries, finalCost: best, bestDesign: r.best!.design, seconds: (Date.now() - t) / 1000 });
    };

    console.log(`Main comparison, diffusion model: ${mainModelName}`);
    for (const task of tasks) {
      for (let seed = 1; seed <= SEEDS; seed++) {
        await optimizeRun('CEM', task, seed, { optimizer: 'cem', budget: CEM_BUDGET, cem: { population: 16 } });
        await sampleRun('DDM', task, seed, { modelId: mainModel, particles: NO_PARTICLES });
        await sampleRun('DDM + PS', task, seed, { modelId: mainModel, particles: PARTICLES });
        await sampleRun('DDM + cond', task, seed, { modelId: mainModel, conditional: COND, particles: NO_PARTICLES });
        await sampleRun('DDM + cond + PS', task, seed, { modelId: mainModel, conditional: COND, particles: PARTICLES });
        // particle sampling against plain sampling at the same number of queries (N k + count)
        await sampleRun(`DDM, ${EQUAL_QUERIES} samples`, task, seed, { modelId: mainModel, count: EQUAL_QUERIES, particles: NO_PARTICLES });
        await sampleRun(`DDM + cond, ${EQUAL_QUERIES} samples`, task, seed, { modelId: mainModel, count: EQUAL_QUERIES, conditional: COND, particles: NO_PARTICLES });
      }
    }

    console.log('Transfer (conditional guidance, with and without particle sampling):');
    for (const [family, modelId] of Object.entries(transferModels)) {
      for (const task of tasks) {
        for (let seed = 1; seed <= SEEDS; seed++) {
          await sampleRun(`transfer ${family}`, task, seed, { modelId, conditional: COND, particles: NO_PARTICLES });
          await sampleRun(`transfer ${family} + PS`, task, seed, { modelId, conditional: COND, particles: PARTICLES });
        }
      }
    }

    // gradient methods: Adam and energy guidance through the learned simulator, on a subset
    let gradient: Record<string, unknown> = { skipped: 'no learned simulator with TF.js weights is installed (npm run train:default)' };
    if (learned) {
      const probe = await job('optimize', projectId, { optimizer: 'adam', budget: 1, task: tasks[0], seed: 99 });
      const perQuery = (probe.finishedAt! - probe.startedAt!) / 1000;
      const limit = Number(values['gradient-limit-s']);
      if (perQuery > limit) {
        gradient = { skipped: `one gradient query through "${learned.name}" took ${perQuery.toFixed(1)} s (limit ${limit} s: --gradient-limit-s)`, secondsPerGradientQuery: r5(perQuery) };
      } else {
        const budget = Number(values['gradient-budget']);
        const gTasks = tasks.slice(0, Number(values['gradient-tasks']));
        for (const task of gTasks) {
          await optimizeRun('Adam', task, 1, { optimizer: 'adam', budget, adam: { learningRate: 0.05, restarts: 1 } });
          await sampleRun('DDM + energy', task, 1, { modelId: mainModel, count: budget / 2, energy: { enabled: true, scale: 1, clip: 1, lastSteps: 1 }, particles: NO_PARTICLES });
        }
        gradient = { tasks: gTasks, seeds: 1, budget, secondsPerGradientQuery: r5(perQuery), model: learned.name };
      }
      console.log(`Gradient methods: ${JSON.stringify(gradient)}`);
    }

    // every run's best design scored by the ground truth (shows exploitation when the learned simulator scored)
    if (SIMULATOR === 'learned' || runs.some((r) => r.method === 'Adam' || r.method === 'DDM + energy')) {
      for (const r of runs) {
        if (SIMULATOR === 'ground_truth' && r.method !== 'Adam' && r.method !== 'DDM + energy') continue;
        const sim = ok<SimulationResult>(await call('simulate.run', { projectId, design: r.bestDesign, task: r.task, simulator: 'ground_truth', method: 'bench.rescore' }));
        r.groundTruthCost = sim.cost;
      }
    }

    // aggregate: curves, final costs, Q(C*) with C* = CEM's median final cost on the task
    const methods = [...new Set(runs.map((r) => r.method))];
    const cStar = new Map(tasks.map((t) => [t.join(','), quantile(runs.filter((r) => r.method === 'CEM' && r.task.join(',') === t.join(',')).map((r) => r.finalCost).sort((a, b) => a - b), 0.5)]));
    const queriesTo = (r: RunOutcome): number => r.curve.find((p) => p[1] <= cStar.get(r.task.join(','))! + 1e-12)?.[0] ?? Number.POSITIVE_INFINITY;
    const summary = Object.fromEntries(
      methods.map((m) => {
        const rs = runs.filter((r) => r.method === m);
        const q = rs.map(queriesTo);
        const reached = q.filter(Number.isFinite);
        const gt = rs.map((r) => r.groundTruthCost).filter((v): v is number => v !== undefined);
        return [
          m,
          {
            runs: rs.length,
            queries: stats(rs.map((r) => r.queries)).median,
            finalCost: stats(rs.map((r) => r.finalCost)),
            ...(gt.length ? { groundTruthCostOfBest: stats(gt) } : {}),
            qcStar: { reachedFraction: r5(reached.length / rs.length), medianQueries: reached.length * 2 > rs.length ? quantile(q.sort((a, b) => a - b), 0.5) : null },
            curve: band(rs.map((r) => r.curve)),
            /** best cost divided by the task's C*: comparable across tasks of different difficulty */
            relativeCurve: band(rs.map((r) => r.curve.map(([q, c]) => [q, c / cStar.get(r.task.join(','))!] as [number, number]))),
            relativeFinalCost: stats(rs.map((r) => r.finalCost / cStar.get(r.task.join(','))!)),
            wallSecondsMedian: stats(rs.map((r) => r.seconds)).median,
          },
        ];
      }),
    );
    const cem = summary.CEM!;
    const figures = {
      settings: { tasks, seeds: SEEDS, simulator: SIMULATOR, cemBudget: CEM_BUDGET, cemPopulation: 16, samples: SAMPLES, ddimSteps: 25, particles: PARTICLES, conditional: COND, transferRuns: TRANSFER_RUNS, trainSteps: TRAIN_STEPS, mainModel: mainModelName, families },
      cStar: Object.fromEntries(cStar),
      cemFullBudgetMedian: cem.finalCost.median,
      methods: summary,
      gradient,
      wallMinutes: r5((Date.now() - t0) / 60000),
      runs: runs.map((r) => ({ method: r.method, task: r.task, seed: r.seed, queries: r.queries, finalCost: r5(r.finalCost), groundTruthCost: r.groundTruthCost ?? null })),
    };
    console.log('\nmethod                  queries  final cost median [IQR]        Q(C*) (reached)');
    for (const [m, s] of Object.entries(summary)) {
      console.log(`${m.padEnd(22)} ${String(s.queries).padStart(8)}  ${s.finalCost.median.toFixed(4)} [${s.finalCost.q25.toFixed(4)}–${s.finalCost.q75.toFixed(4)}]   ${s.qcStar.medianQueries ?? '—'} (${(100 * s.qcStar.reachedFraction).toFixed(0)}%)`);
    }
    const file = writeResults('paper', `npm run bench:paper -- ${process.argv.slice(2).join(' ')}`.trim(), figures);
    const svg = await plot(summary);
    const svgFile = join(root, 'bench', 'results', 'paper.svg');
    writeFileSync(svgFile, svg);
    const shippedDir = join(root, 'resources', 'benchmarks');
    mkdirSync(shippedDir, { recursive: true });
    copyFileSync(file, join(shippedDir, 'paper.json'));
    copyFileSync(svgFile, join(shippedDir, 'paper.svg'));
    console.log(`written ${file} and ${svgFile} (${((Date.now() - t0) / 60000).toFixed(1)} min)`);
  } finally {
    await bench.close();
  }
}

/** Best cost against queries (median, IQR band) per method, and the transfer comparison: Vega-Lite rendered to SVG. */
async function plot(summary: Record<string, { relativeCurve: { queries: number; median: number; q25: number; q75: number }[]; relativeFinalCost: { median: number; q25: number; q75: number } }>): Promise<string> {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const main = Object.entries(summary).filter(([m]) => !m.startsWith('transfer'));
  const transfer = Object.entries(summary).filter(([m]) => m.startsWith('transfer'));
  const curves = main.flatMap(([method, s]) => s.relativeCurve.map((p) => ({ method, ...p })));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    config: { legend: { orient: 'bottom', columns: 3, labelLimit: 260 } },
    hconcat: [
      {
        title: 'Best cost / C* against simulator queries (median, IQR over tasks × seeds)',
        width: 520,
        height: 320,
        layer: [
          { data: { values: curves }, mark: { type: 'line', interpolate: 'step-after', point: true }, encoding: { x: { field: 'queries', type: 'quantitative' }, y: { field: 'median', type: 'quantitative' }, color: { field: 'method', type: 'nominal' } } },
          { data: { values: curves }, mark: { type: 'area', opacity: 0.15, interpolate: 'step-after' }, encoding: { x: { field: 'queries', type: 'quantitative', scale: { type: 'log', domain: [10, 300], nice: false }, title: 'simulator queries (log)' }, y: { field: 'q25', type: 'quantitative', scale: { zero: false }, title: "best cost / C* (CEM's median full-budget cost)" }, y2: { field: 'q75' }, color: { field: 'method', type: 'nominal' } } },
          { data: { values: [{ c: 1 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'grey' }, encoding: { y: { field: 'c', type: 'quantitative' } } },
        ],
      },
      {
        title: 'Transfer: final cost / C* (median, IQR)',
        width: 260,
        height: 320,
        data: { values: transfer.map(([method, s]) => ({ method: method.replace('transfer ', ''), ...s.relativeFinalCost })) },
        layer: [
          { mark: { type: 'point', filled: true, size: 80 }, encoding: { x: { field: 'method', type: 'nominal', title: null, sort: null }, y: { field: 'median', type: 'quantitative', title: 'final cost / C*', scale: { zero: false } } } },
          { mark: 'rule', encoding: { x: { field: 'method', type: 'nominal', sort: null }, y: { field: 'q25', type: 'quantitative' }, y2: { field: 'q75' } } },
        ],
      },
    ],
  };
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' });
  return view.toSVG();
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
