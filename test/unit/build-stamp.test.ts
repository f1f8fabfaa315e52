// `npm start` builds only when the sources changed: scripts/build-stamp.mjs fingerprints the
// build's inputs by content, and a build is current only when its stamp matches.
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs build script, without types
import { buildIsCurrent, sourceFingerprint, writeStamp } from '../../scripts/build-stamp.mjs';
import { tempDir } from './helpers';

describe('build stamp', () => {
  let dir: ReturnType<typeof tempDir>;
  const inputs = ['src-main', 'package.json'];
  beforeEach(() => {
    dir = tempDir();
    mkdirSync(join(dir.path, 'src-main', 'engine'), { recursive: true });
    writeFileSync(join(dir.path, 'src-main', 'engine', 'a.ts'), 'export const a = 1;\n');
    writeFileSync(join(dir.path, 'package.json'), '{}\n');
    for (const f of ['out/main/index.js', 'out/main/cli.js', 'out/renderer/index.html']) {
      mkdirSync(join(dir.path, f, '..'), { recursive: true });
      writeFileSync(join(dir.path, f), '');
    }
  });
  afterEach(() => dir.remove());

  it('is current after a build, stale after an edit, a new file or a missing output; a touch alone changes nothing', () => {
    expect(buildIsCurrent(dir.path, inputs)).toBe(false); // never built
    writeStamp(dir.path, inputs);
    expect(buildIsCurrent(dir.path, inputs)).toBe(true);
    const a = join(dir.path, 'src-main', 'engine', 'a.ts');
    utimesSync(a, new Date(2030, 0, 1), new Date(2030, 0, 1));
    expect(buildIsCurrent(dir.path, inputs)).toBe(true); // same content
    writeFileSync(a, 'export const a = 2;\n');
    expect(buildIsCurrent(dir.path, inputs)).toBe(false);
    writeStamp(dir.path, inputs);
    writeFileSync(join(dir.path, 'src-main', 'b.ts'), '');
    expect(buildIsCurrent(dir.path, inputs)).toBe(false);
    writeStamp(dir.path, inputs);
    expect(buildIsCurrent(dir.path, inputs)).toBe(true);
    writeFileSync(join(dir.path, 'package.json'), '{"x":1}\n');
    expect(buildIsCurrent(dir.path, inputs)).toBe(false);
  });

  it('a moved file changes the fingerprint (paths count, not only contents)', () => {
    const before = sourceFingerprint(dir.path, inputs).hash;
    mkdirSync(join(dir.path, 'src-main', 'other'));
    writeFileSync(join(dir.path, 'src-main', 'other', 'a.ts'), 'export const a = 1;\n');
    rmSync(join(dir.path, 'src-main', 'engine', 'a.ts'));
    expect(sourceFingerprint(dir.path, inputs).hash).not.toBe(before);
  });
});
