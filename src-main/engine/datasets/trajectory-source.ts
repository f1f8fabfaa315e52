// Where an optimization-trajectory import reads from: a file on this machine, or uploaded bytes
// written to a temporary file first, so both are streamed the same way; and the file's text as
// UTF-8 chunks, checked for bad encoding and overlong lines before any parser sees them.
import { closeSync, constants, createReadStream, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import type { TrajectoryFormat, TrajectorySource } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';

/** Longest line a CSV or JSONL file may have, and longest JSON record: a longer one is refused rather than buffered. */
export const MAX_LINE_BYTES = 1 << 20;
/** Deepest nesting of arrays and objects in a JSON or JSONL record (a record needs 2). */
export const MAX_JSON_DEPTH = 64;

export interface OpenedSource {
  path: string;
  fileName: string;
  format: TrajectoryFormat;
  bytes: number;
  /** removes the temporary copy of uploaded bytes */
  dispose(): void;
}

/** An import problem that concerns the whole file (encoding, format, header): `path` is the path. */
export function fileError(message: string, path = 'source'): ApiError {
  return new ApiError('invalid_argument', message, [{ path, message }]);
}

/** An import problem at one row and column of the file: both named in the message and the issue path. */
export class RowError extends ApiError {
  constructor(
    readonly row: number,
    readonly column: string,
    readonly problem: string,
  ) {
    super('invalid_argument', `row ${row}, column ${column}: ${problem}`, [{ path: `row ${row} / ${column}`, message: problem }]);
  }
}

export function rowError(row: number, column: string, message: string): RowError {
  return new RowError(row, column, message);
}

const EXTENSIONS: Record<string, TrajectoryFormat> = { '.csv': 'csv', '.tsv': 'csv', '.txt': 'csv', '.json': 'json', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.npz': 'npz' };

export function formatFromName(fileName: string): TrajectoryFormat | null {
  return EXTENSIONS[extname(fileName).toLowerCase()] ?? null;
}

/** Opens the source; the caller must call dispose() when done. */
export function openSource(source: TrajectorySource, format?: TrajectoryFormat): OpenedSource {
  let path: string;
  let fileName: string;
  let dispose = (): void => {};
  if ('path' in source) {
    path = source.path;
    fileName = basename(path);
  } else {
    fileName = source.fileName;
    const dir = mkdtempSync(join(tmpdir(), 'idw-import-'));
    path = join(dir, 'upload');
    writeFileSync(path, Buffer.from(source.base64, 'base64'));
    dispose = () => rmSync(dir, { recursive: true, force: true });
  }
  try {
    let bytes: number;
    try {
      bytes = regularFileSize(path);
    } catch (err) {
      throw fileError(`Cannot read ${path}: ${(err as Error).message}`, 'source.path');
    }
    const detected = format ?? formatFromName(fileName);
    if (!detected) {
      throw fileError(`Cannot tell the format of "${fileName}" from its name; name it .csv, .json, .jsonl or .npz, or give the format.`, 'format');
    }
    if (bytes === 0) throw fileError(`"${fileName}" is empty.`);
    return { path, fileName, format: detected, bytes, dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}

function assertRegular(st: Stats): void {
  if (st.isFile()) return;
  const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'something else';
  throw new Error(`it is ${kind}, not a regular file; give a file`);
}

/**
 * The size of a regular file; throws (with a reason) for anything else: a directory, a device such
 * as /dev/urandom, a FIFO or socket. Opens with O_NONBLOCK so a FIFO cannot block, then fstats the
 * open file, so what is checked is what would be read.
 */
export function regularFileSize(path: string): number {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    assertRegular(st);
    return st.size;
  } finally {
    closeSync(fd);
  }
}

/**
 * A regular file's bytes, refusing anything that is not a regular file (see regularFileSize), an
 * empty file and one larger than maxBytes (named with `limitWhy`), before reading any of it.
 */
export function readRegularFile(path: string, maxBytes: number, limitWhy: string): Buffer {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    assertRegular(st);
    if (st.size === 0) throw new Error('the file is empty');
    if (st.size > maxBytes) throw new Error(`the file is ${(st.size / 2 ** 20).toFixed(1)} MiB, more than ${limitWhy}`);
    const out = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < st.size) {
      const n = readSync(fd, out, at, st.size - at, null);
      if (n === 0) break;
      at += n;
    }
    return at === st.size ? out : out.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/** UTF-16 without a byte-order mark: most bytes at even (big-endian) or odd (little-endian) offsets of the start are NUL. */
function utf16Order(chunk: Uint8Array): 'little-endian' | 'big-endian' | null {
  const n = Math.min(chunk.length, 4096) & ~1;
  if (n < 4) return null;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (chunk[i] === 0) even++;
    if (chunk[i + 1] === 0) odd++;
  }
  const half = n / 2;
  if (odd > 0.4 * half && even < 0.1 * half) return 'little-endian';
  if (even > 0.4 * half && odd < 0.1 * half) return 'big-endian';
  return null;
}

/**
 * The file's text in chunks, decoded as strict UTF-8 (a UTF-8 byte-order mark is dropped). Refuses
 * UTF-16 (with or without a byte-order mark), invalid UTF-8, NUL bytes (a binary file) and, unless
 * `maxLine` is null (JSON, whose records are bounded by its own reader), any line longer than
 * MAX_LINE_BYTES, naming the line.
 */
export async function* textChunks(path: string, fileName: string, maxLine: number | null = MAX_LINE_BYTES): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let lineChars = 0;
  let offset = 0;
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (offset === 0 && chunk.length >= 2 && ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff))) {
        throw fileError(`"${fileName}" is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8.`, 'encoding');
      }
      if (offset === 0) {
        const order = utf16Order(chunk);
        if (order) throw fileError(`"${fileName}" looks like UTF-16 (${order}, without a byte-order mark: every other byte is NUL); save it as UTF-8.`, 'encoding');
      }
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        throw fileError(`"${fileName}" holds a NUL byte at byte ${offset + nul} (line ${line + countNewlines(new TextDecoder().decode(chunk.subarray(0, nul)))}): it looks like a binary file, not ${extname(fileName).slice(1).toUpperCase() || 'text'} text.`, 'encoding');
      }
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw fileError(`"${fileName}" is not valid UTF-8 (bad bytes at line ${line + countNewlines(badPrefix(chunk))}, within bytes ${offset}–${offset + chunk.length}); save it as UTF-8.`, 'encoding');
      }
      offset += chunk.length;
      // track the current line's length so an endless line fails here, not in a parser's buffer
      let from = 0;
      const tooLong = (): ApiError =>
        fileError(`"${fileName}": line ${line} is longer than ${maxLine! / 2 ** 20} MB without a line break; is it really CSV or JSONL? (JSON arrays may be on one line: name the file .json)`, `line ${line}`);
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
        // a line that ends in this chunk counts too, not only the one still open at its end
        if (maxLine !== null && lineChars + nl - from > maxLine) throw tooLong();
        line++;
        from = nl + 1;
        lineChars = 0;
      }
      lineChars += text.length - from;
      if (maxLine !== null && lineChars > maxLine) throw tooLong();
      if (text) yield text;
    }
    try {
      const rest = decoder.decode();
      if (rest) yield rest;
    } catch {
      throw fileError(`"${fileName}" is not valid UTF-8: it ends inside a multi-byte character (truncated?); save it as UTF-8.`, 'encoding');
    }
  } finally {
    stream.destroy();
  }
}

/** The valid UTF-8 part of a chunk before its first bad byte, to place the error on a line. */
function badPrefix(chunk: Buffer): string {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(chunk.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return new TextDecoder('utf-8').decode(chunk.subarray(0, lo));
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
