// Whether out/ was built from the sources as they are now: a SHA-256 over the path and content of
// every file the build reads (src-main, src-shared, src-renderer, the build config and the
// package manifests), written to out/.build-stamp.json after a successful build. `npm start`
// builds only when the stamp is missing or differs. Content, not mtimes: a checkout or a copy
// that touches files without changing them does not force a rebuild, and an edit always does.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** What the build reads, relative to the repository root. */
export const BUILD_INPUTS = ['src-main', 'src-shared', 'src-renderer', 'electron.vite.config.ts', 'package.json', 'package-lock.json', 'tsconfig.json', 'scripts/build.mjs'];
export const STAMP = join('out', '.build-stamp.json');

function files(root, path, out) {
  const full = join(root, path);
  if (!existsSync(full)) return;
  if (statSync(full).isDirectory()) {
    for (const name of readdirSync(full).sort()) files(root, join(path, name), out);
  } else out.push(path);
}

/** The fingerprint of the build's inputs under root. */
export function sourceFingerprint(root, inputs = BUILD_INPUTS) {
  const list = [];
  for (const input of inputs) files(root, input, list);
  const hash = createHash('sha256');
  for (const path of list) {
    hash.update(relative(root, join(root, path)).split(sep).join('/'));
    hash.update('\0');
    hash.update(readFileSync(join(root, path)));
    hash.update('\0');
  }
  return { hash: hash.digest('hex'), files: list.length };
}

/** The stamp of the last successful build, or null. */
export function readStamp(root) {
  try {
    return JSON.parse(readFileSync(join(root, STAMP), 'utf8'));
  } catch {
    return null;
  }
}

/** Whether out/ holds a build of the current sources (its stamp matches, and its entry points exist). */
export function buildIsCurrent(root, inputs = BUILD_INPUTS) {
  const stamp = readStamp(root);
  if (!stamp || typeof stamp.hash !== 'string') return false;
  for (const entry of ['out/main/index.js', 'out/main/cli.js', 'out/renderer/index.html']) if (!existsSync(join(root, entry))) return false;
  return stamp.hash === sourceFingerprint(root, inputs).hash;
}

export function writeStamp(root, inputs = BUILD_INPUTS) {
  const { hash, files: count } = sourceFingerprint(root, inputs);
  writeFileSync(join(root, STAMP), `${JSON.stringify({ hash, files: count, builtAt: new Date().toISOString() })}\n`);
}
