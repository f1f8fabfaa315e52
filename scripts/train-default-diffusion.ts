// npm run train:default:diffusion: only the diffusion half of `npm run train:default` (the
// default optimization dataset and diffusion model in resources/), for when the learned
// simulator need not be retrained.
//   npm run train:default:diffusion -- [--runs 48] [--budget 256] [--population 16] [--steps 3000] [--keep best|last] [--ema 0] [--seed 1]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { Workbench } from '../src-main/engine/workbench';
import { bundleWorkers } from './lib/bundle-workers';
import { DEFAULT_DIFFUSION_OPTIONS, makeDefaultDiffusion, type DefaultDiffusionOptions } from './lib/default-diffusion';

const root = join(__dirname, '..');
const d = DEFAULT_DIFFUSION_OPTIONS;
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: String(d.runs) },
    budget: { type: 'string', default: String(d.budget) },
    population: { type: 'string', default: String(d.population) },
    steps: { type: 'string', default: String(d.steps) },
    keep: { type: 'string', default: d.keep },
    ema: { type: 'string', default: String(d.ema) },
    seed: { type: 'string', default: String(d.seed) },
  },
});

async function main(): Promise<void> {
  const keep = values.keep;
  if (keep !== 'best' && keep !== 'last') throw new Error(`--keep must be best or last, not ${keep}`);
  const opts: DefaultDiffusionOptions = { runs: Number(values.runs), budget: Number(values.budget), population: Number(values.population), steps: Number(values.steps), keep, ema: Number(values.ema), seed: Number(values.seed) };
  const dir = mkdtempSync(join(tmpdir(), 'idw-train-diffusion-'));
  const bundles = await bundleWorkers(root);
  const wb = new Workbench({ dataDir: dir, mode: 'cli', jobs: { entry: { file: bundles.jobWorker } }, compute: { entry: bundles.computeWorker } });
  try {
    const project = wb.projects.create({ name: 'FluidTool-2D diffusion', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS });
    const command = `npm run train:default:diffusion -- --runs ${opts.runs} --budget ${opts.budget} --population ${opts.population} --steps ${opts.steps} --keep ${opts.keep} --ema ${opts.ema} --seed ${opts.seed}`;
    await makeDefaultDiffusion(wb, project.id, root, opts, command);
  } finally {
    await wb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
