// npm run bench:optimize: import throughput and peak memory of a 1,000,000-row optimization
// trajectory CSV (d = 8) through the store, in a child process so its peak RSS is the import's
// alone. Prints figures, writes bench/results/optimize.json under the key "import".
import { fork } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { OptimizationDatasets } from '../src-main/engine/datasets/trajectories';
import { seededRandom } from '../src-main/engine/random';
import { Workbench } from '../src-main/engine/workbench';
import { writeResults } from './report';
import { bundleWorkers } from '../scripts/lib/bundle-workers';

const ROWS = 1_000_000;
const DIM = 8;
const TARGETS = { rowsPerSecond: 200_000, peakRssMB: 500 };

interface ChildFigures {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMB: number;
  baselineRssMB: number;
}

/** Writes the CSV a buffer at a time: 200 runs of 5,000 iterations, random tasks (in the default task range) and designs. */
async function writeCsv(path: string): Promise<void> {
  const rand = seededRandom(7);
  const out = createWriteStream(path);
  out.write(`run,optimizer,iteration,task_x,task_y,${Array.from({ length: DIM }, (_, k) => `x${k}`).join(',')},cost\n`);
  let lines: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const run = Math.floor(i / 5000);
    const design = Array.from({ length: DIM }, () => (2 * rand() - 1).toFixed(6));
    lines.push(`run-${run},${run % 2 ? 'cem' : 'random'},${i % 5000},${(0.3 + 0.6 * ((run * 37) % 100) / 100).toFixed(4)},${(0.05 + 0.04 * rand()).toFixed(4)},${design.join(',')},${rand().toFixed(8)}\n`);
    if (lines.length === 10_000) {
      if (!out.write(lines.join(''))) await once(out, 'drain');
      lines = [];
    }
  }
  out.end(lines.join(''));
  await once(out, 'finish');
}

/** In the child: a fresh workbench, one project with d = 8, one import, its inserts on a compute worker (as the app) or inline; figures on stdout. */
async function child(csv: string, dataDir: string, computeEntry: string, inserts: 'worker' | 'inline'): Promise<void> {
  const wb = new Workbench({ dataDir, mode: 'cli', compute: { entry: computeEntry } });
  try {
    const project = wb.projects.create({ name: 'bench', environment: 'fluidtool-2d', settings: { joints: DIM } });
    const baselineRssMB = process.memoryUsage().rss / 2 ** 20;
    const store = new OptimizationDatasets(wb.db);
    const t0 = performance.now();
    const ds = await store.importFile(project.id, 'bench', { path: csv }, { bounds: { designDim: DIM, taskRange: project.settings.taskRange }, owner: wb.ownership.token, inserter: inserts === 'worker' ? wb.recordInserter() : null });
    const seconds = (performance.now() - t0) / 1000;
    const rows = Number(ds.stats.rows ?? 0);
    // maxRSS is in kilobytes
    const figures: ChildFigures = { rows, seconds, rowsPerSecond: rows / seconds, peakRssMB: process.resourceUsage().maxRSS / 1024, baselineRssMB };
    process.send!(figures);
  } finally {
    await wb.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'idw-bench-optimize-'));
  try {
    const csv = join(dir, 'trajectories.csv');
    const t0 = performance.now();
    await writeCsv(csv);
    const mb = statSync(csv).size / 2 ** 20;
    console.log(`csv      ${ROWS.toLocaleString('en')} rows, d = ${DIM}, ${mb.toFixed(1)} MB written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const bundles = await bundleWorkers(join(__dirname, '..'));
    const r = (x: number, digits = 1): number => Number(x.toFixed(digits));
    const run = async (inserts: 'worker' | 'inline') => {
      const proc = fork(__filename, ['--child', csv, join(dir, `data-${inserts}`), bundles.computeWorker, inserts], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const [figures] = (await once(proc, 'message')) as [ChildFigures];
      const [code] = (await once(proc, 'exit')) as [number];
      if (code !== 0) throw new Error(`the import child exited with code ${code}`);
      if (figures.rows !== ROWS) throw new Error(`imported ${figures.rows} rows, expected ${ROWS}`);
      return {
        inserts,
        rows: figures.rows,
        designDim: DIM,
        fileMB: r(mb),
        seconds: r(figures.seconds, 2),
        rowsPerSecond: Math.round(figures.rowsPerSecond),
        mbPerSecond: r(mb / figures.seconds),
        peakRssMB: r(figures.peakRssMB),
        baselineRssMB: r(figures.baselineRssMB),
        targets: TARGETS,
        meetsTargets: figures.rowsPerSecond >= TARGETS.rowsPerSecond && figures.peakRssMB <= TARGETS.peakRssMB,
      };
    };
    // the app's import (inserts on a compute worker while this thread parses), then all in one thread
    let result: Awaited<ReturnType<typeof run>>;
    let inline: Awaited<ReturnType<typeof run>>;
    try {
      result = await run('worker');
      inline = await run('inline');
    } finally {
      bundles.remove();
    }
    console.log(`one thread: ${inline.rowsPerSecond.toLocaleString('en')} rows/s (${inline.seconds} s), peak RSS ${inline.peakRssMB} MB`);
    console.log(`import   ${result.rowsPerSecond.toLocaleString('en')} rows/s (${result.seconds} s, ${result.mbPerSecond} MB/s), target ≥ ${TARGETS.rowsPerSecond.toLocaleString('en')}`);
    console.log(`memory   peak RSS ${result.peakRssMB} MB (${result.baselineRssMB} MB before the import), target ≤ ${TARGETS.peakRssMB} MB`);
    // other figures (optimizers) may go under their own keys of this file later
    const file = writeResults('optimize', 'npm run bench:optimize', { import: result, importOneThread: inline });
    console.log(`wrote ${file}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') void child(process.argv[3]!, process.argv[4]!, process.argv[5]!, process.argv[6] as 'worker' | 'inline').catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
else void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
