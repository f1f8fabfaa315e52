// npm run ship:trajectory-outcomes: the outcomes of the shipped trajectories' best designs (the
// cheapest `--per-run` iterates of each run), rolled out again on the ground truth and written to
// resources/datasets (see src-main/engine/models/shipped-outcomes.ts). train:default:diffusion
// writes the same file from its own runs' queries; this remakes it for the trajectories shipped.
//   npm run ship:trajectory-outcomes -- [--per-run 64]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { DEFAULT_TRAJECTORIES_FILE } from '../src-main/engine/models/default-model';
import { QueryStore } from '../src-main/engine/storage/queries';
import { benchWorkbench } from '../bench/harness';
import { SHIPPED_OUTCOMES_PER_RUN, pickPerRun, writeShippedOutcomes, type ShippableRecord } from './lib/shipped-outcomes';

const root = join(__dirname, '..');
const { values } = parseArgs({ options: { 'per-run': { type: 'string', default: String(SHIPPED_OUTCOMES_PER_RUN) } } });

async function main(): Promise<void> {
  const perRun = Number(values['per-run']);
  if (!Number.isInteger(perRun) || perRun < 1) throw new Error(`--per-run must be a positive whole number, not ${values['per-run']}`);
  const records = JSON.parse(readFileSync(join(root, DEFAULT_TRAJECTORIES_FILE), 'utf8')) as ShippableRecord[];
  const t0 = Date.now();
  const { wb, close } = await benchWorkbench('ship-outcomes');
  try {
    const project = wb.projects.create({ name: 'trajectory outcomes', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS });
    const sim = wb.simulator(project.id);
    const picked = pickPerRun(records, perRun);
    console.log(`Rolling out ${picked.length} designs (the ${perRun} cheapest of each run) on the ground truth…`);
    for (let i = 0; i < picked.length; i += 256) {
      const batch = picked.slice(i, i + 256);
      await sim.evaluate(batch.map((k) => Float32Array.from(records[k]!.design)), Float32Array.from(records[batch[0]!]!.task), { projectId: project.id, method: 'outcomes' });
      console.log(`  ${Math.min(i + 256, picked.length)}/${picked.length}`);
    }
    const command = `npm run ship:trajectory-outcomes -- --per-run ${perRun}`;
    writeShippedOutcomes(root, project.id, new QueryStore(wb.db), records, picked, command, t0);
  } finally {
    await close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
