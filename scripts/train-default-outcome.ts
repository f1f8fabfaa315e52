// npm run train:default:outcome: the default learned outcome model only (also part of
// `npm run train:default`), into resources/models/fluidtool2d-outcome/.
//   npm run train:default:outcome -- [--rollouts 6000] [--no-trajectories] [--cem-runs 48] [--cem-budget 256] [--steps 24000] [--seed 1]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { Workbench } from '../src-main/engine/workbench';
import { bundleWorkers } from './lib/bundle-workers';
import { DEFAULT_OUTCOME_OPTIONS, makeDefaultOutcome } from './lib/default-outcome';

const root = join(__dirname, '..');
const d = DEFAULT_OUTCOME_OPTIONS;
const { values } = parseArgs({
  options: {
    rollouts: { type: 'string', default: String(d.rollouts) },
    steps: { type: 'string', default: String(d.steps) },
    seed: { type: 'string', default: String(d.seed) },
    'no-trajectories': { type: 'boolean', default: false },
    'cem-runs': { type: 'string', default: String(d.cemRuns) },
    'cem-budget': { type: 'string', default: String(d.cemBudget) },
  },
});

async function main(): Promise<void> {
  const opts = { rollouts: Number(values.rollouts), trajectories: !values['no-trajectories'], cemRuns: Number(values['cem-runs']), cemBudget: Number(values['cem-budget']), steps: Number(values.steps), seed: Number(values.seed) };
  const dir = mkdtempSync(join(tmpdir(), 'idw-train-outcome-'));
  const bundles = await bundleWorkers(root);
  const wb = new Workbench({ dataDir: dir, mode: 'cli', jobs: { entry: { file: bundles.jobWorker } }, compute: { entry: bundles.computeWorker } });
  try {
    const project = wb.projects.create({ name: 'FluidTool-2D outcome', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS });
    await makeDefaultOutcome(wb, project.id, root, opts, `npm run train:default:outcome -- --rollouts ${opts.rollouts}${opts.trajectories ? '' : ' --no-trajectories'} --cem-runs ${opts.cemRuns} --cem-budget ${opts.cemBudget} --steps ${opts.steps} --seed ${opts.seed}`);
  } finally {
    await wb.close();
    if (!process.env.IDW_KEEP_DATA) rmSync(dir, { recursive: true, force: true });
    else console.log(`data kept in ${dir}`);
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
