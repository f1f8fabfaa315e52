#!/usr/bin/env node
// npm start: build (only when the sources changed), then open the desktop app when Electron's binary is installed; otherwise say
// why and serve the same workbench to a browser on 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIsCurrent } from './build-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const args = process.argv.slice(2);

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });
  return r.status === 0;
}

// build only when the sources changed since the last build (scripts/build-stamp.mjs); --build forces it
if (args.includes('--build') || (!args.includes('--no-build') && !buildIsCurrent(root))) {
  console.log('[start] sources changed since the last build: building the workbench…');
  const started = Date.now();
  if (!run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'])) process.exit(1);
  console.log(`[start] built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
} else if (!args.includes('--no-build')) {
  console.log('[start] the build is up to date with the sources.');
}

function electronBinary() {
  try {
    const path = require('electron');
    if (typeof path === 'string' && existsSync(path)) return { path };
    return { why: 'the electron package is installed but its binary is missing' };
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND') return { why: 'the electron package is not installed (its download needs internet at install time)' };
    if (/failed to install correctly/.test(String(err.message))) return { why: 'the electron package is installed but its binary was never downloaded (no internet at install time, or ELECTRON_SKIP_BINARY_DOWNLOAD was set)' };
    return { why: `the electron package did not load: ${String(err.message).split('\n')[0]}` };
  }
}

/**
 * better-sqlite3 for Electron's ABI, built beside (not over) the Node build that the CLI and
 * tests use: a copy of the package is rebuilt for Electron and its .node file kept in
 * .native/electron-<abi>/, which the Electron main process loads (src-main/electron/native.ts).
 */
function ensureElectronSqlite(electron) {
  const probe = spawnSync(electron, ['-p', 'JSON.stringify({abi: process.versions.modules, version: process.versions.electron})'], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
  });
  if (probe.status !== 0) throw new Error(`could not run Electron to read its ABI: ${probe.stderr}`);
  const { abi, version } = JSON.parse(probe.stdout.trim().split('\n').pop());
  const target = join(root, '.native', `electron-${abi}`, 'better_sqlite3.node');
  if (existsSync(target)) return;
  console.log(`[start] building better-sqlite3 for Electron ${version} (ABI ${abi}); the Node build stays as it is…`);
  const work = join(root, '.native', 'build-better-sqlite3');
  rmSync(work, { recursive: true, force: true });
  cpSync(dirname(require.resolve('better-sqlite3/package.json')), work, {
    recursive: true,
    filter: (src) => !src.includes(`${join('better-sqlite3', 'build')}`),
  });
  // the package's own install script (prebuild-install, else node-gyp), aimed at Electron
  const env = {
    ...process.env,
    npm_config_runtime: 'electron',
    npm_config_target: version,
    npm_config_disturl: 'https://electronjs.org/headers',
    npm_config_nodedir: '',
  };
  if (!run('npm', ['run', 'install'], { cwd: work, env, shell: process.platform === 'win32' })) {
    throw new Error('building better-sqlite3 for Electron failed (it needs internet for a prebuilt binary or Electron headers, and a C++ toolchain for the fallback)');
  }
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(work, 'build', 'Release', 'better_sqlite3.node'), target);
  rmSync(work, { recursive: true, force: true });
}

const electron = electronBinary();
if (electron.path && !args.includes('--browser')) {
  try {
    ensureElectronSqlite(electron.path);
  } catch (err) {
    console.error(`[start] ${err.message}\n[start] falling back to browser mode.`);
    electron.why = err.message;
    electron.path = undefined;
  }
}
if (electron.path && !args.includes('--browser')) {
  console.log('[start] opening the desktop app (Electron)…');
  const child = spawn(electron.path, [root, ...args.filter((a) => a !== '--no-build' && a !== '--build')], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!args.includes('--browser')) console.log(`[start] Electron is not available: ${electron.why}.\n[start] Starting browser mode instead (the same workbench, served to your browser on 127.0.0.1).`);
  const serveArgs = args.filter((a) => a !== '--no-build' && a !== '--build' && a !== '--browser');
  const child = spawn(process.execPath, [join(root, 'bin', 'idw.mjs'), ...serveArgs.filter((a) => a.startsWith('--data-dir')), 'serve', ...serveArgs.filter((a) => !a.startsWith('--data-dir'))], { cwd: root, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
