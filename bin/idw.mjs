#!/usr/bin/env node
// The `idw` command runs the built engine (out/main/cli.js), the same code as the desktop app.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error(`idw: the workbench is not built yet. Run "npm run build" in ${root}.`);
  process.exit(1);
}
createRequire(import.meta.url)(cli);
