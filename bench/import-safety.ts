// npm run bench:import-safety: decompression bombs through both .npz imports, each in its own
// child process so that its peak RSS is the import's alone. The physics import goes the CLI's way
// (`idw dataset import-physics`: the file read as a regular file, sent base64 through the API);
// the trajectory import the way of `idw dataset import` (a path). Every bomb must be refused, with
// the import limit in the message, and peak RSS must stay under 500 MB. Writes
// bench/results/import-safety.json.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch } from '../src-main/api/dispatch';
import { createHandlers } from '../src-main/api/handlers';
import { MAX_UNPACKED_BYTES, formatBytes } from '../src-main/engine/datasets/npz';
import { readRegularFile } from '../src-main/engine/datasets/trajectory-source';
import { Workbench } from '../src-main/engine/workbench';
import { npzBomb } from '../test/fixtures/import-files';
import { writeResults } from './report';

const GiB = 2 ** 30;
const TARGET_PEAK_RSS_MB = 500;

interface Bomb {
  name: string;
  file: string;
  via: 'import-physics' | 'dataset import';
  make: () => Uint8Array;
  /** false: a bomb that stays under the cap, refused for what it holds after it is unpacked */
  overCap?: boolean;
}

const BOMBS: Bomb[] = [
  { name: '2 GiB of zeros, honest zip headers (the audit’s 2 MB import-physics bomb)', file: 'honest-2g.npz', via: 'import-physics', make: () => npzBomb(2 * GiB) },
  { name: '2 GiB of zeros, zip headers claim 4 KiB', file: 'lying-2g.npz', via: 'import-physics', make: () => npzBomb(2 * GiB, { declared: 4096 }) },
  { name: '.npy header of shape [2^31] float64 in a 4 KiB entry', file: 'shape.npz', via: 'import-physics', make: () => npzBomb(4096, { declared: 4096, shape: [2 ** 31] }) },
  { name: '255 MiB of zeros, just under the cap (unpacked, then refused: no particle_type)', file: 'under-cap.npz', via: 'import-physics', make: () => npzBomb(255 * 2 ** 20), overCap: false },
  { name: '1 GiB of zeros, honest zip headers (the audit’s dataset import bomb)', file: 'honest-1g.npz', via: 'dataset import', make: () => npzBomb(GiB) },
  { name: '1 GiB of zeros, zip headers claim 4 KiB', file: 'lying-1g.npz', via: 'dataset import', make: () => npzBomb(GiB, { declared: 4096 }) },
];

interface ChildFigures {
  refused: boolean;
  code: string | null;
  message: string;
  seconds: number;
  peakRssMB: number;
  baselineRssMB: number;
}

async function child(index: number, path: string, dataDir: string): Promise<void> {
  const bomb = BOMBS[index]!;
  const wb = new Workbench({ dataDir, mode: 'cli' });
  try {
    const handlers = createHandlers(wb, { filePaths: true }); // paths, as the CLI sends them
    const project = wb.projects.create({ name: 'bench', environment: 'fluidtool-2d', settings: {} });
    const baselineRssMB = process.memoryUsage().rss / 2 ** 20;
    const t0 = performance.now();
    let result;
    if (bomb.via === 'import-physics') {
      // what `idw dataset import-physics` does
      const bytes = readRegularFile(path, MAX_UNPACKED_BYTES + 2 ** 20, `the import limit of ${formatBytes(MAX_UNPACKED_BYTES)}`);
      result = await dispatch(handlers, 'datasets.importPhysics', { projectId: project.id, name: 'bomb', npzBase64: bytes.toString('base64'), fileName: bomb.file });
    } else {
      result = await dispatch(handlers, 'datasets.importOptimization', { projectId: project.id, name: 'bomb', source: { path } });
    }
    const seconds = (performance.now() - t0) / 1000;
    const figures: ChildFigures = {
      refused: !result.ok,
      code: result.ok ? null : result.error.code,
      message: result.ok ? 'imported' : result.error.message,
      seconds,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      baselineRssMB,
    };
    process.send!(figures);
  } finally {
    await wb.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'idw-bench-bombs-'));
  const r = (x: number, digits = 1): number => Number(x.toFixed(digits));
  try {
    const results = [];
    for (let i = 0; i < BOMBS.length; i++) {
      const bomb = BOMBS[i]!;
      const path = join(dir, bomb.file);
      writeFileSync(path, bomb.make());
      const fileKiB = statSync(path).size / 1024;
      const proc = fork(__filename, ['--child', String(i), path, join(dir, `data-${i}`)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const [figures] = (await once(proc, 'message')) as [ChildFigures];
      const [code] = (await once(proc, 'exit')) as [number];
      if (code !== 0) throw new Error(`the import child exited with code ${code}`);
      const namesCap = bomb.overCap === false || figures.message.includes(formatBytes(MAX_UNPACKED_BYTES));
      const row = {
        bomb: bomb.name,
        via: bomb.via,
        fileKiB: r(fileKiB),
        overCap: bomb.overCap !== false,
        refused: figures.refused && figures.code === 'invalid_argument',
        namesCap,
        message: figures.message,
        seconds: r(figures.seconds, 3),
        peakRssMB: r(figures.peakRssMB),
        baselineRssMB: r(figures.baselineRssMB),
      };
      results.push(row);
      console.log(`${bomb.via.padEnd(14)} ${bomb.name}`);
      console.log(`               ${row.fileKiB} KiB file: ${row.refused ? 'refused' : 'NOT REFUSED'} in ${row.seconds} s, peak RSS ${row.peakRssMB} MB (${row.baselineRssMB} MB before)`);
      console.log(`               ${row.message}`);
    }
    const peak = Math.max(...results.map((x) => x.peakRssMB));
    const meets = results.every((x) => x.refused && x.namesCap) && peak <= TARGET_PEAK_RSS_MB;
    console.log(`peak RSS over all bombs ${peak} MB (target ≤ ${TARGET_PEAK_RSS_MB} MB); every bomb refused, those over it naming the ${formatBytes(MAX_UNPACKED_BYTES)} cap: ${results.every((x) => x.refused && x.namesCap)}`);
    const file = writeResults('import-safety', 'npm run bench:import-safety', {
      unpackedCap: formatBytes(MAX_UNPACKED_BYTES),
      bombs: results,
      peakRssMB: peak,
      targets: { peakRssMB: TARGET_PEAK_RSS_MB },
      meetsTargets: meets,
    });
    console.log(`wrote ${file}`);
    if (!meets) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  void child(Number(process.argv[3]), process.argv[4]!, process.argv[5]!).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  void main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
