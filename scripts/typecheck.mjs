#!/usr/bin/env node
// tsc over the Node side (main, preload, engine, shared, tests, benches) and vue-tsc over the renderer.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const bin = (pkg, file) => join(dirname(require.resolve(`${pkg}/package.json`)), file);
const node = ['tsc', ['-p', 'tsconfig.json']];
try {
  require.resolve('electron/package.json');
} catch {
  console.error('typecheck: the electron package is not installed, so its types are missing. Install it without the binary:\n  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm install');
  process.exit(1);
}
let failed = false;
for (const [name, args, path] of [
  [...node, bin('typescript', 'bin/tsc')],
  ['tsc (e2e)', ['-p', 'test/e2e/tsconfig.json'], bin('typescript', 'bin/tsc')],
  ['vue-tsc', ['--noEmit', '-p', 'src-renderer/tsconfig.json'], bin('vue-tsc', 'bin/vue-tsc.js')],
]) {
  const r = spawnSync(process.execPath, [path, ...args], { cwd: root, stdio: 'inherit' });
  console.log(`typecheck: ${name} ${r.status === 0 ? 'ok' : 'failed'}`);
  failed ||= r.status !== 0;
}
process.exit(failed ? 1 : 0);
