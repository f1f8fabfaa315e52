// Where an optimization-trajectory import reads from: a file on this machine, or uploaded bytes
// written to a temporary file first, so both are streamed the same way; and the file's text as
// UTF-8 chunks, checked for bad encoding and overlong lines before any parser sees them.
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import type { TrajectoryFormat, TrajectorySource } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';

/** Longest line a text file may have: a longer one is refused rather than buffered. */
export const MAX_LINE_BYTES = 1 << 20;
/** JSON (an array) is parsed whole, so it has a size limit; JSONL and CSV are streamed and have none. */
export const MAX_JSON_BYTES = 200 * 2 ** 20;

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
      const st = statSync(path);
      if (!st.isFile()) throw new Error('not a regular file');
      bytes = st.size;
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

/**
 * The file's text in chunks, decoded as strict UTF-8 (a UTF-8 byte-order mark is dropped). Refuses
 * UTF-16, invalid UTF-8 and any line longer than MAX_LINE_BYTES, naming the line.
 */
export async function* textChunks(path: string, fileName: string): AsyncGenerator<string> {
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
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw fileError(`"${fileName}" is not valid UTF-8 (bad bytes at line ${line + countNewlines(badPrefix(chunk))}, within bytes ${offset}–${offset + chunk.length}); save it as UTF-8.`, 'encoding');
      }
      offset += chunk.length;
      // track the current line's length so an endless line fails here, not in a parser's buffer
      let from = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
        line++;
        from = nl + 1;
        lineChars = 0;
      }
      lineChars += text.length - from;
      if (lineChars > MAX_LINE_BYTES) {
        throw fileError(`"${fileName}": line ${line} is longer than ${MAX_LINE_BYTES / 2 ** 20} MB without a line break; is it really CSV or JSONL?`, `line ${line}`);
      }
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
