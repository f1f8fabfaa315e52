#!/usr/bin/env node
// Builds main, preload and renderer with electron-vite. electron-vite reads electron/package.json
// for its build targets; where the optional electron package is absent (no internet at install
// time), we tell it the major version we declare so the build still works. A successful build
// records the fingerprint of its sources (scripts/build-stamp.mjs), so `npm start` can skip it.
// `--quiet`: only warnings and errors (npm start uses it).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeStamp } from './build-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const env = { ...process.env };
const quiet = process.argv.includes('--quiet');
const passed = process.argv.slice(2).filter((a) => a !== '--quiet');
try {
  require.resolve('electron/package.json');
} catch {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const range = pkg.optionalDependencies?.electron ?? '40';
  env.ELECTRON_MAJOR_VER ??= String(range.match(/\d+/)?.[0] ?? '40');
  if (!quiet) console.log(`[build] electron package not installed; building for Electron ${env.ELECTRON_MAJOR_VER} (ELECTRON_MAJOR_VER).`);
}
const bin = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
const r = spawnSync(process.execPath, [bin, 'build', ...(quiet ? ['--logLevel', 'warn'] : []), ...passed], { cwd: root, env, stdio: 'inherit' });
if (r.status === 0) writeStamp(root);
process.exit(r.status ?? 1);
