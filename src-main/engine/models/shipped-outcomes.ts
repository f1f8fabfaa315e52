// The outcomes of the shipped trajectories' best designs (resources/datasets), installed into the
// built-in project as the ground-truth queries they are, so its stored designs
// (outcome/stored-designs.ts) include what the 48 CEM runs behind the default prior found. The
// file is gzipped JSON; an outcome is its leading moments and its density as (cell, value) pairs of
// the cells the water occupies (about 36 of 1,024), float32 values written exactly.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FluidTool2DSettings } from '../../../src-shared/environments';
import { createEnvironment } from '../environments';
import { physicsSettings } from '../outcome/model-file';
import type { QueryStore, SimulatorQuery } from '../storage/queries';
import { resourcesDir } from './default-model';

const OUTCOMES_NAME = 'fluidtool2d-default-trajectory-outcomes.json.gz';
export const DEFAULT_TRAJECTORY_OUTCOMES_FILE = `resources/datasets/${OUTCOMES_NAME}`;
const TRAJECTORIES_NAME = 'fluidtool2d-default-trajectories.json';
export const SHIPPED_QUERY_METHOD = 'shipped trajectories';
const FORMAT = 'idw-trajectory-outcomes/1';

export interface ShippedOutcomesFile {
  format: typeof FORMAT;
  /** the environment's outcome version (Environment.outcomeSpec.version) and physics they hold for */
  outcomeVersion: string;
  physics: Record<string, unknown>;
  command: string;
  /** each entry: an iterate of the trajectories file (its index there) and its rollout's outcome */
  designs: { index: number; leading: number[]; cells: number[] }[];
}

/** An outcome in the file's sparse form: the leading `leadingCount` entries, then (index, value) pairs of the nonzero rest. */
export function packOutcome(outcome: Float32Array, leadingCount: number): { leading: number[]; cells: number[] } {
  const cells: number[] = [];
  for (let k = leadingCount; k < outcome.length; k++) if (outcome[k] !== 0) cells.push(k - leadingCount, outcome[k]!);
  return { leading: Array.from(outcome.subarray(0, leadingCount)), cells };
}

export function unpackOutcome(packed: { leading: number[]; cells: number[] }, dim: number): Float32Array {
  const out = new Float32Array(dim);
  out.set(packed.leading);
  const lead = packed.leading.length;
  for (let k = 0; k + 1 < packed.cells.length; k += 2) {
    const at = lead + packed.cells[k]!;
    if (!Number.isInteger(at) || at >= dim) throw new Error(`an outcome cell ${packed.cells[k]} lies outside the outcome's ${dim} entries`);
    out[at] = packed.cells[k + 1]!;
  }
  return out;
}

/**
 * Stores the shipped trajectories' outcomes in a project as ground-truth queries (method
 * SHIPPED_QUERY_METHOD, run "shipped:<run>", each for its run's own task, wall time 0: the
 * rollouts ran when the file was made). Only for a FluidTool-2D project with the physics and
 * outcome version they were made with; returns how many were stored (0 when none fit).
 */
export function installShippedOutcomes(queries: QueryStore, project: { id: number; settings: FluidTool2DSettings }, res: string | null = resourcesDir()): number {
  if (!res) return 0;
  const file = join(res, 'datasets', OUTCOMES_NAME);
  const trajectoriesFile = join(res, 'datasets', TRAJECTORIES_NAME);
  if (!existsSync(file) || !existsSync(trajectoriesFile)) return 0;
  let shipped: ShippedOutcomesFile;
  try {
    shipped = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as ShippedOutcomesFile;
  } catch (err) {
    throw new Error(`${OUTCOMES_NAME} cannot be read (${err instanceof Error ? err.message : String(err)}); npm run ship:trajectory-outcomes makes it again`);
  }
  const env = createEnvironment('fluidtool-2d', project.settings);
  if (shipped.format !== FORMAT || shipped.outcomeVersion !== env.outcomeSpec.version || JSON.stringify(shipped.physics) !== JSON.stringify(physicsSettings(project.settings))) return 0;
  if (!Array.isArray(shipped.designs)) throw new Error(`${OUTCOMES_NAME} has no list of designs; npm run ship:trajectory-outcomes makes it again`);
  const records = JSON.parse(readFileSync(trajectoriesFile, 'utf8')) as { run: string; task: number[]; design: number[]; cost: number }[];
  const rows: SimulatorQuery[] = shipped.designs.map((d) => {
    const r = records[d.index];
    if (!r) throw new Error(`${OUTCOMES_NAME}: iterate ${d.index} is not in ${TRAJECTORIES_NAME}`);
    const outcome = unpackOutcome(d, env.outcomeSpec.dim);
    return { projectId: project.id, design: r.design, task: r.task, simulator: 'ground_truth', cost: r.cost, capture: env.evaluateOutcome(outcome, r.task).capture, wallMs: 0, method: SHIPPED_QUERY_METHOD, run: `shipped:${r.run}`, outcome };
  });
  if (rows.length) queries.record(rows);
  return rows.length;
}
