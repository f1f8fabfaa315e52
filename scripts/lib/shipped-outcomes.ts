// Writes resources/datasets' trajectory outcomes (src-main/engine/models/shipped-outcomes.ts) from
// a project's stored ground-truth queries of the trajectories' designs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import { createEnvironment } from '../../src-main/engine/environments';
import { DEFAULT_TRAJECTORY_OUTCOMES_FILE, packOutcome, unpackOutcome, type ShippedOutcomesFile } from '../../src-main/engine/models/shipped-outcomes';
import { physicsSettings } from '../../src-main/engine/outcome/model-file';
import type { QueryStore } from '../../src-main/engine/storage/queries';

export interface ShippableRecord {
  run: string;
  task: number[];
  design: number[];
  cost: number;
}

/** iterates shipped with their outcomes: the cheapest of each run (all 256 give the same stored designs on the benchmark's tasks; README) */
export const SHIPPED_OUTCOMES_PER_RUN = 64;

/** indices of the `perRun` cheapest iterates of each run */
export function pickPerRun(records: readonly ShippableRecord[], perRun: number): number[] {
  const byRun = new Map<string, number[]>();
  records.forEach((r, k) => byRun.set(r.run, [...(byRun.get(r.run) ?? []), k]));
  return [...byRun.values()].flatMap((ks) => [...ks].sort((a, b) => records[a]!.cost - records[b]!.cost || a - b).slice(0, perRun)).sort((a, b) => a - b);
}

/**
 * The outcomes of `records[k]` for each k of `picked`, read from the project's queries of the same
 * design; each checked: its cost for the record's task is the record's cost, and it survives the
 * file's packing bit for bit.
 */
export function writeShippedOutcomes(root: string, projectId: number, queries: QueryStore, records: readonly ShippableRecord[], picked: readonly number[], command: string, t0: number): void {
  const env = createEnvironment('fluidtool-2d', FLUIDTOOL2D_DEFAULTS);
  const { dim, costEntries, version } = env.outcomeSpec;
  const byDesign = new Map<string, Float32Array>();
  for (const e of queries.outcomeExamples(projectId, dim)) byDesign.set(Buffer.from(e.design.buffer, e.design.byteOffset, e.design.byteLength).toString('base64'), e.outcome);
  const designs = picked.map((k) => {
    const r = records[k]!;
    const f32 = Float32Array.from(r.design);
    const outcome = byDesign.get(Buffer.from(f32.buffer).toString('base64'));
    if (!outcome) throw new Error(`iterate ${k} (run ${r.run}) has no stored outcome in the project`);
    const cost = env.evaluateOutcome(outcome, r.task).cost;
    if (Math.abs(cost - r.cost) > 1e-6 * Math.max(1, Math.abs(r.cost))) throw new Error(`iterate ${k} (run ${r.run}): its outcome gives cost ${cost}, the record ${r.cost}`);
    const packed = packOutcome(outcome, costEntries);
    const back = unpackOutcome(packed, dim);
    if (back.some((v, j) => v !== outcome[j])) throw new Error(`iterate ${k}: its outcome does not survive packing`);
    return { index: k, ...packed };
  });
  const file: ShippedOutcomesFile = { format: 'idw-trajectory-outcomes/1', outcomeVersion: version, physics: physicsSettings(FLUIDTOOL2D_DEFAULTS), command, designs };
  const out = join(root, DEFAULT_TRAJECTORY_OUTCOMES_FILE);
  writeFileSync(out, gzipSync(JSON.stringify(file), { level: 9 }));
  console.log(`Outcomes of ${designs.length} trajectory designs written to ${out} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
