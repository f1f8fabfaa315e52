// Benchmark results shipped with the app: `npm run bench:paper` and `bench:diffusion` copy their
// JSON (and the paper's plot) into resources/benchmarks/, which the app shows.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resourcesDir } from './models/default-model';

export const BENCHMARKS_DIR = 'benchmarks';

export function readBenchmark(name: 'paper' | 'diffusion', res: string | null = resourcesDir()): { name: string; results: unknown; svg: string | null; measuredAt: string | null } {
  const dir = res ? join(res, BENCHMARKS_DIR) : null;
  const json = dir ? join(dir, `${name}.json`) : null;
  const svg = dir ? join(dir, `${name}.svg`) : null;
  if (!json || !existsSync(json)) return { name, results: null, svg: null, measuredAt: null };
  const results = JSON.parse(readFileSync(json, 'utf8')) as { date?: string };
  return { name, results, svg: svg && existsSync(svg) ? readFileSync(svg, 'utf8') : null, measuredAt: results.date ?? null };
}
