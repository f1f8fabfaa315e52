// textChunks reads pure-ASCII chunks without the UTF-8 decoder: the text must be the decoder's
// whatever falls on a chunk boundary (chunks are 256 KiB), and invalid UTF-8 must still be refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { textChunks } from '../../src-main/engine/datasets/trajectory-source';

const dir = mkdtempSync(join(tmpdir(), 'idw-text-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CHUNK = 256 * 1024;

async function read(bytes: Buffer): Promise<string> {
  const path = join(dir, `f${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(path, bytes);
  let text = '';
  for await (const t of textChunks(path, 'f.csv')) text += t;
  return text;
}
const line = (n: number): string => 'a,b\n'.repeat(Math.ceil(n / 4)).slice(0, n);

describe('textChunks', () => {
  it('decodes a character split across a chunk boundary, between ASCII chunks', async () => {
    // ASCII up to 1 byte before the boundary, then é (2 bytes) across it, then ASCII chunks
    const text = line(CHUNK - 1) + 'é\n' + line(2 * CHUNK) + 'ü€\n' + line(CHUNK);
    expect(await read(Buffer.from(text, 'utf8'))).toBe(text);
  });

  it('drops the byte-order mark at the start only, and keeps U+FEFF inside the file', async () => {
    const body = line(CHUNK + 10) + '\ufeffx\n' + line(100);
    expect(await read(Buffer.from('\ufeff' + body, 'utf8'))).toBe(body);
    // U+FEFF at the very start of a later chunk, after ASCII chunks
    const later = line(CHUNK) + '\ufeffy\n';
    expect(await read(Buffer.from(later, 'utf8'))).toBe(later);
  });

  it('refuses a multi-byte character cut off by an ASCII chunk', async () => {
    const bytes = Buffer.concat([Buffer.from(line(CHUNK - 1)), Buffer.from([0xc3]), Buffer.from(line(CHUNK))]);
    await expect(read(bytes)).rejects.toThrow(/not valid UTF-8/);
  });

  it('refuses invalid UTF-8 at the end of the file', async () => {
    await expect(read(Buffer.concat([Buffer.from(line(CHUNK + 5)), Buffer.from([0xe2, 0x82])]))).rejects.toThrow(/not valid UTF-8/);
  });
});
