#!/usr/bin/env node
// npm test: unit and integration tests (vitest), then the end-to-end tests (Playwright in
// Debian's Chromium against browser mode, on a fresh build). Prints one closing count line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, 'test-results');
mkdirSync(results, { recursive: true });
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args, env = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;

const counts = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

// 1. vitest
const vitestJson = join(results, 'vitest.json');
rmSync(vitestJson, { force: true });
const unit = run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
if (existsSync(vitestJson)) {
  const r = JSON.parse(readFileSync(vitestJson, 'utf8'));
  counts.passed += r.numPassedTests;
  counts.failed += r.numFailedTests;
  counts.skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
if (unit !== 0) failures.push('unit tests');

// 2. Playwright e2e against a fresh build
const chromium = process.env.IDW_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(`\nE2E tests need Debian's Chromium at ${chromium}: apt-get install -y chromium (or set IDW_CHROMIUM).`);
  failures.push('e2e tests (no Chromium)');
  counts.failed += 1;
} else if (run(process.execPath, [join(root, 'scripts', 'build.mjs')]) !== 0) {
  failures.push('build');
  counts.failed += 1;
} else {
  const e2eJson = join(results, 'e2e.json');
  rmSync(e2eJson, { force: true });
  const e2e = run(bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: e2eJson });
  if (existsSync(e2eJson)) {
    const s = JSON.parse(readFileSync(e2eJson, 'utf8')).stats;
    counts.passed += s.expected;
    counts.failed += s.unexpected;
    counts.skipped += s.skipped;
  }
  if (e2e !== 0) failures.push('e2e tests');
}

console.log(`\n${failures.length ? `failed: ${failures.join(', ')}\n` : ''}tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(failures.length ? 1 : 0);
