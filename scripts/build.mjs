#!/usr/bin/env node
// Builds main, preload and renderer with electron-vite. electron-vite reads electron/package.json
// for its build targets; where the optional electron package is absent (no internet at install
// time), we tell it the major version we declare so the build still works.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const env = { ...process.env };
try {
  require.resolve('electron/package.json');
} catch {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const range = pkg.optionalDependencies?.electron ?? '40';
  env.ELECTRON_MAJOR_VER ??= String(range.match(/\d+/)?.[0] ?? '40');
  console.log(`[build] electron package not installed; building for Electron ${env.ELECTRON_MAJOR_VER} (ELECTRON_MAJOR_VER).`);
}
const bin = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
const r = spawnSync(process.execPath, [bin, 'build', ...process.argv.slice(2)], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
