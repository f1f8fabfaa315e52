// npm run train:default: makes the default models that ship in resources/ for the built-in
// FluidTool-2D settings: the default trajectories and diffusion prior (as npm run
// train:default:diffusion), then the learned outcome model on random ground-truth rollouts and
// the trajectories' designs (as npm run train:default:outcome). With --gns it also generates a physics
// dataset and trains a GNS with the workbench's own job (hours on two cores; none ships: see the
// README), evaluated by held-out position error and Spearman cost fidelity.
//   npm run train:default -- [--rollouts 6000] [--skip-diffusion]
//   npm run train:default -- --gns [--trajectories 128] [--steps 3000] [--seed 1] [--steps-per-frame 8]
//     [--radius 0.03] [--noise STD] [--latent L] [--message-passing M] [--batch-size B] [--learning-rate LR]
//     [--out DIR]   (the other GNS options default to the gns.train job's defaults; --out writes the
//                    model elsewhere than resources/, for experiments)
//     [--skip-diffusion]  (otherwise it then makes the default trajectories and diffusion prior, as
//                    npm run train:default:diffusion does)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { JobParams, asKind, jobResult } from '../src-shared/api';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { DEFAULT_MODEL_DIR, DEFAULT_MODEL_FILES } from '../src-main/engine/models/default-model';
import { Workbench } from '../src-main/engine/workbench';
import { bundleWorkers } from './lib/bundle-workers';
import { DEFAULT_DIFFUSION_OPTIONS, makeDefaultDiffusion } from './lib/default-diffusion';
import { DEFAULT_OUTCOME_OPTIONS, makeDefaultOutcome } from './lib/default-outcome';
import { shipModel, waitForJob } from './lib/shipping';

const root = join(__dirname, '..');
const { values } = parseArgs({
  options: {
    trajectories: { type: 'string', default: '128' },
    steps: { type: 'string', default: '3000' },
    seed: { type: 'string', default: '1' },
    'steps-per-frame': { type: 'string', default: '8' },
    // 0.03, not the job's 0.018: the MPM's tool and walls act through grid nodes up to ~3 cells
    // (0.047) from a particle; at 0.018 the learned water cannot see the tool it is about to hit
    radius: { type: 'string', default: '0.03' },
    noise: { type: 'string' },
    latent: { type: 'string' },
    'message-passing': { type: 'string' },
    'batch-size': { type: 'string' },
    'learning-rate': { type: 'string' },
    out: { type: 'string' },
    'skip-diffusion': { type: 'boolean', default: false },
    gns: { type: 'boolean', default: false },
    rollouts: { type: 'string', default: String(DEFAULT_OUTCOME_OPTIONS.rollouts) },
  },
});
const trajectories = Number(values.trajectories);
const steps = Number(values.steps);
const seed = Number(values.seed);
// GNS steps per frame: the water moves up to ~0.12 box units a frame, several connectivity radii
const stepsPerFrame = Number(values['steps-per-frame']);
// GNS settings given on the command line; the rest are the gns.train job's defaults
const optional = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
const gnsOptions = {
  radius: optional(values.radius),
  noiseStd: optional(values.noise),
  latent: optional(values.latent),
  messagePassingSteps: optional(values['message-passing']),
  batchSize: optional(values['batch-size']),
  learningRate: optional(values['learning-rate']),
};
const flags: [string, number | undefined][] = [
  ['--radius', gnsOptions.radius],
  ['--noise', gnsOptions.noiseStd],
  ['--latent', gnsOptions.latent],
  ['--message-passing', gnsOptions.messagePassingSteps],
  ['--batch-size', gnsOptions.batchSize],
  ['--learning-rate', gnsOptions.learningRate],
];
const extraFlags = flags
  .filter(([, v]) => v !== undefined)
  .map(([f, v]) => ` ${f} ${String(v)}`)
  .join('');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'idw-train-default-'));
  const bundles = await bundleWorkers(root);
  const wb = new Workbench({ dataDir: dir, mode: 'cli', jobs: { entry: { file: bundles.jobWorker } }, compute: { entry: bundles.computeWorker } });
  const t0 = Date.now();
  try {
    const project = wb.projects.create({ name: 'FluidTool-2D', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS });
    if (!values.gns) {
      // the prior's CEM trajectories first: their queries (good designs) stay in the project and
      // the outcome model learns from them with its random rollouts
      if (!values['skip-diffusion']) {
        const d = DEFAULT_DIFFUSION_OPTIONS;
        await makeDefaultDiffusion(wb, project.id, root, d, `npm run train:default (diffusion part: --runs ${d.runs} --budget ${d.budget} --population ${d.population} --steps ${d.steps} --keep ${d.keep} --ema ${d.ema} --seed ${d.seed})`);
      }
      const o = { ...DEFAULT_OUTCOME_OPTIONS, rollouts: Number(values.rollouts), trajectories: Boolean(values['skip-diffusion']), seed };
      await makeDefaultOutcome(wb, project.id, root, o, `npm run train:default (outcome part: --rollouts ${o.rollouts} --cem-runs ${o.cemRuns} --cem-budget ${o.cemBudget} --steps ${o.steps} --seed ${o.seed}, with the trajectories' designs)`);
      return;
    }
    console.log(`Generating ${trajectories} ground-truth trajectories…`);
    const data = await waitForJob(wb, wb.jobs.start('dataset.physics', { count: trajectories, seed, stepsPerFrame, name: 'default training data' }, project.id), 'data');
    const datasetId = jobResult(data, 'dataset.physics').datasetId;
    const params = JobParams['gns.train'].parse({
      name: 'FluidTool-2D default GNS',
      datasetIds: [datasetId],
      steps,
      decaySteps: steps,
      evalEvery: 100,
      patience: 10,
      fidelityDesigns: 100,
      seed,
      ...Object.fromEntries(Object.entries(gnsOptions).filter(([, v]) => v !== undefined)),
    });
    console.log(`Training: ${JSON.stringify(params)}`);
    const trained = await waitForJob(wb, wb.jobs.start('gns.train', params, project.id), 'train');
    const model = asKind(wb.models.get(jobResult(trained, 'gns.train').modelId), 'simulator');
    const out = values.out ?? join(root, DEFAULT_MODEL_DIR);
    const command = `npm run train:default -- --gns --trajectories ${trajectories} --steps ${steps} --seed ${seed} --steps-per-frame ${stepsPerFrame}${extraFlags}`;
    const manifest = shipModel(wb, model, out, DEFAULT_MODEL_FILES, command, t0);
    const m = model.metrics;
    console.log(`\nDefault model written to ${out}`);
    console.log(`  steps ${m.step}${m.stoppedEarly ? ' (stopped early)' : ''}, best validation loss ${m.bestValLoss?.toPrecision(4)}`);
    console.log(`  held-out position error ${JSON.stringify(m.positionError)}`);
    console.log(`  Spearman cost fidelity ${m.spearman?.toFixed(3)} over ${params.fidelityDesigns} random designs (target ≥ 0.9)`);
    console.log(`  wall time ${manifest.wallSeconds} s`);
  } finally {
    await wb.close();
    bundles.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
