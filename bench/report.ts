import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samples: number[]): { n: number; median: number; p99: number; min: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number): number => Number(x.toFixed(4));
  return { n: s.length, median: r(quantile(s, 0.5)), p99: r(quantile(s, 0.99)), min: r(s[0]!), max: r(s[s.length - 1]!) };
}

/** Writes bench/results/<name>.json with the machine it ran on. */
export function writeResults(name: string, command: string, figures: unknown): string {
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.versions.node, platform: `${process.platform}-${process.arch}` };
  writeFileSync(file, JSON.stringify({ name, command, date: new Date().toISOString(), machine, figures }, null, 2) + '\n');
  return file;
}

/** Median and IQR over runs of the best cost so far, at every query count any run reports (curves: [queries, best cost] steps). */
export function band(curves: [number, number][][]): { queries: number; median: number; q25: number; q75: number }[] {
  const at = (curve: [number, number][], q: number): number => curve.filter((p) => p[0] <= q).at(-1)?.[1] ?? Number.NaN;
  const points = [...new Set(curves.flatMap((c) => c.map((p) => p[0])))].sort((a, b) => a - b);
  const r = (x: number): number => Number(x.toPrecision(5));
  return points.map((q) => {
    const v = curves.map((c) => at(c, q)).filter(Number.isFinite).sort((a, b) => a - b);
    return { queries: q, median: r(quantile(v, 0.5)), q25: r(quantile(v, 0.25)), q75: r(quantile(v, 0.75)) };
  });
}
