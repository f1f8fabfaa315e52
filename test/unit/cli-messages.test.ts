// What `idw` tells a terminal user: a missing diffusion model names `idw diffusion train`, a
// rollout's particle count says water and tool apart, an export that matches nothing writes no
// file and exits non-zero, and the README's `idw doctor` sample shows the current schema version.
// Runs the CLI's source with tsx in a child process.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../src-main/engine/storage/migrations';
import { describeIds, describeParticles } from '../../src-main/cli/context';
import { refineParams } from '../../src-main/cli/commands/optimize';
import { sampleParams } from '../../src-main/cli/commands/diffusion';
import { JobParams } from '../../src-shared/api';
import { POLISHED_SAMPLING } from '../../src-shared/sampling';
import { tempDir, testWorkbench } from './helpers';
import { outcomeCost, waterOutcome } from '../../src-shared/fluidtool2d';

const root = join(__dirname, '..', '..');
const dir = tempDir();
afterAll(() => dir.remove());

function idw(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'src-main', 'cli', 'idw.ts'), '--data-dir', dir.path, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('idw messages', () => {
  it('names the idw command for a missing model and refuses an empty export without writing', async () => {
    expect(idw('project', 'create', '--name', 'Msg', '--joints', '4', '--particles', '128').code).toBe(0);
    const sample = idw('sample', '--project', 'Msg');
    expect(sample.code).toBe(2);
    expect(sample.out).toMatch(/`idw diffusion train`/);

    const out = join(dir.path, 'none.csv');
    const empty = idw('export', '--project', 'Msg', '--out', out, '--method', 'nosuchmethod');
    expect(empty.code).toBe(3);
    expect(empty.out).toMatch(/Nothing to export: no designs of project "Msg" match \(method "nosuchmethod"\); .*none\.csv was not written/);
    expect(existsSync(out)).toBe(false);

    // with a query stored (written by a workbench on the same folder), the same export writes its row
    const t = testWorkbench({ dataDir: dir.path });
    try {
      const projectId = t.wb.projects.list().find((p) => p.name === 'Msg')!.id;
      t.wb.queries.record([{ projectId, design: [0, 0, 0, 0], task: [0.5, 0.07], simulator: 'ground_truth', cost: 0.1, capture: 0.5, wallMs: 1, method: 'cli', run: null }]);
    } finally {
      await t.wb.close();
    }
    const one = idw('export', '--project', 'Msg', '--out', out, '--method', 'cli');
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/Wrote 1 designs/);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
  }, 240_000);

  it('idw dataset import --map takes the design columns as a range', () => {
    expect(idw('project', 'create', '--name', 'Map', '--joints', '4').code).toBe(0);
    const file = join(dir.path, 'odd.csv');
    writeFileSync(file, 'seed,gx,gy,score,j1,j2,j3,j4,j5\n1,0.5,0.07,0.3,0,0.1,0.2,0.3,9\n1,0.5,0.07,0.2,0.1,0.1,0.2,0.3,9\n');
    const bad = idw('dataset', 'import', file, '--project', 'Map', '--map', 'cost=score,task=gx+gy,design=j1..j9');
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/--map design: there is no column "j6" \(from the range j1…j9/);
    const good = idw('dataset', 'import', file, '--project', 'Map', '--map', 'cost=score,run=seed,task=gx+gy,design=j1..j4');
    expect(good.code, good.out).toBe(0);
    expect(good.out).toMatch(/Imported dataset \d+ "odd": 2 records, 1 runs/);
  }, 120_000);

  it('idw optimize --screen: a screening larger than the polish is refused, naming it; --screen and --screen-draws reach the job', () => {
    expect(refineParams({ screen: 4, screenDraws: 2 })).toEqual({ enabled: true, screen: 4, screenDraws: 2 });
    expect(refineParams({})).toBeUndefined();
    expect(idw('project', 'create', '--name', 'Screen', '--joints', '4', '--particles', '128').code).toBe(0);
    const bad = idw('optimize', '--project', 'Screen', '--optimizer', 'adam', '--polish', '4', '--screen', '3', '--screen-draws', '2');
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/refine\.screen: screening makes screen × screenDraws ground-truth queries, part of the polish: more than polish allows/);
  }, 120_000);

  it('idw stored: the project\'s stored designs for a task, or says there are none; --stored reaches the job; a task outside the range is refused', async () => {
    expect(refineParams({ stored: 8 })).toEqual({ enabled: true, stored: 8 });
    expect(idw('project', 'create', '--name', 'Stored', '--joints', '4', '--particles', '128').code).toBe(0);
    const none = idw('stored', '--project', 'Stored', '--task', '0.5,0.07');
    expect(none.code).toBe(0);
    expect(none.out).toMatch(/0 stored designs[\s\S]*none: the project has no ground-truth queries with outcomes yet/);
    // a ground-truth query with an outcome (written by a workbench on the same folder)
    const t = testWorkbench({ dataDir: dir.path });
    try {
      const projectId = t.wb.projects.list().find((p) => p.name === 'Stored')!.id;
      const outcome = waterOutcome(Float32Array.from({ length: 64 }, (_, k) => (k % 2 ? 0.07 : 0.58) + 0.01 * Math.sin(k)));
      t.wb.queries.record([{ projectId, design: [0.1, 0.2, 0.3, 0.4], task: [0.6, 0.07], simulator: 'ground_truth', cost: outcomeCost(outcome, [0.6, 0.07]).cost, wallMs: 1, method: 'cli', outcome }]);
    } finally {
      await t.wb.close();
    }
    const one = idw('stored', '--project', 'Stored', '--task', '0.5,0.07', '--count', '3');
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/1 stored designs[\s\S]*cost \d\.\d+ {2}capture [\d.]+% {2}query \d+ \(cli; its own task \(0\.600, 0\.070\)/);
    const out = join(dir.path, 'stored.csv');
    const written = idw('stored', '--project', 'Stored', '--task', '0.5,0.07', '--out', out);
    expect(written.code).toBe(0);
    expect(written.out).toMatch(/written to .*stored\.csv/);
    const csv = readFileSync(out, 'utf8').trim().split('\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toMatch(/^\d+,,0\.5,0\.07/);
    expect(idw('stored', '--project', 'Stored', '--task', '0.5,0.07', '--out', join(dir.path, 'stored.txt')).code).toBe(2);
    const bad = idw('stored', '--project', 'Stored', '--task', '9,0.07');
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/task/);
  }, 120_000);

  it('idw sample --polished: the polished preset under the options given, its refinement merged', () => {
    const preset = sampleParams({ polished: true, task: [0.4, 0.07] });
    expect(JobParams.sample.parse({ modelId: 1, ...preset })).toMatchObject({ count: POLISHED_SAMPLING.count, simulator: 'learned', task: [0.4, 0.07], refine: POLISHED_SAMPLING.refine });
    expect(sampleParams({ polished: true, stored: 0, count: 64 })).toMatchObject({ count: 64, refine: { ...POLISHED_SAMPLING.refine, stored: 0 } });
    expect(sampleParams({ count: 64 })).toEqual({ count: 64 });
  });

  it('describeParticles says water and tool apart', () => {
    expect(describeParticles(585, [...Array(512).fill(5), ...Array(73).fill(3)])).toBe('585 particles (512 water + 73 tool)');
    expect(describeParticles(3, [5, 5, 5])).toBe('3 particles (water)');
  });

  it('a kept design is printed with both its ids, each named', () => {
    expect(describeIds({ queryId: 812, designId: 70 })).toBe('query 812 (kept as design 70)');
    expect(describeIds({ queryId: null, designId: 70 })).toBe('query — (kept as design 70)');
    expect(describeIds(null)).toBe('query —');
  });

  it("the README's idw doctor sample shows the current schema version", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const shown = [...readme.matchAll(/\(schema version (\d+)\)/g)].map((x) => Number(x[1]));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown).toEqual(shown.map(() => LATEST_SCHEMA_VERSION));
  });
});
