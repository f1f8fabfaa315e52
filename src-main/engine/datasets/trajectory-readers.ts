// Reading a trajectory file row by row, whatever its format: CSV (papaparse over a stream),
// JSONL (line by line), JSON (an array, streamed record by record, on any number of lines) and NPZ (arrays with
// one row per record). Each reader hands the column names once, then each row's cells.
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import Papa from 'papaparse';
import { NpyFormatError, formatShape, parseNpy, type NpyArray } from './npy';
import { MAX_UNPACKED_BYTES, NpzFormatError, formatBytes, npzEntries } from './npz';
import type { MappingProblem } from './trajectory-mapping';
import { jsonDepth, keepHugeLiterals } from './json-records';
import { MAX_JSON_DEPTH, MAX_LINE_BYTES, fileError, rowError, textChunks, type OpenedSource } from './trajectory-source';

export interface RowVisitor {
  /** the column names, once, before any row; notes: what was skipped (e.g. NPZ string arrays) */
  columns(names: string[], notes: MappingProblem[]): void;
  /** one data row; `row` counts data rows from 1 (the header is not a row); throw to stop */
  row(cells: readonly unknown[], row: number): void;
  /**
   * Between chunks of a streamed file: a promise to wait on before reading on (the rows are
   * written by another thread that is behind), or null; a rejection stops the reading with it.
   */
  drain?(): Promise<void> | null;
}

/** Reads up to maxRows rows of the file into the visitor; returns how many it read. */
export function readRows(src: OpenedSource, visit: RowVisitor, maxRows = Infinity): Promise<number> {
  switch (src.format) {
    case 'csv':
      return readCsv(src, visit, maxRows);
    case 'jsonl':
      return readJsonl(src, visit, maxRows);
    case 'json':
      return readJson(src, visit, maxRows);
    case 'npz':
      return Promise.resolve(readNpzRows(src, visit, maxRows));
  }
}

function readCsv(src: OpenedSource, visit: RowVisitor, maxRows: number): Promise<number> {
  const input = Readable.from(textChunks(src.path, src.fileName));
  let header: string[] | null = null;
  let rows = 0;
  return new Promise<number>((resolve, reject) => {
    let settled = false;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else if (!header) reject(fileError(`"${src.fileName}" has no header row (it holds only blank lines).`));
      else resolve(rows);
    };
    Papa.parse<string[]>(input, {
      // 'greedy' would join every row to test it; whitespace-only lines are skipped below instead
      skipEmptyLines: true,
      chunk(results, parser) {
        const stop = (err?: unknown): void => {
          settle(err);
          parser.abort();
          input.destroy();
        };
        try {
          const data = results.data;
          let i = 0;
          if (!header) {
            while (i < data.length && data[i]!.length === 1 && !data[i]![0]!.trim()) i++;
            if (i === data.length) return;
            header = data[i]!.map((c) => c.trim());
            visit.columns(header, []);
            i++;
          }
          const quote = results.errors.find((e) => e.type === 'Quotes');
          const end = quote?.row !== undefined ? Math.min(quote.row, data.length) : data.length;
          for (; i < end; i++) {
            const cells = data[i]!;
            if (cells.length === 1 && !cells[0]!.trim()) continue;
            rows++;
            if (cells.length !== header.length) {
              const column = cells.length < header.length ? header[cells.length]! : `field ${cells.length}`;
              throw rowError(rows, column, `has ${cells.length} fields; the header has ${header.length}${cells.length < header.length ? ' (is the file truncated?)' : ''}`);
            }
            visit.row(cells, rows);
            if (rows >= maxRows) return stop();
          }
          if (quote) throw fileError(`row ${rows + 1}: CSV syntax: ${quote.message}${quote.code === 'MissingQuotes' ? ' (is the file truncated?)' : ''}`, `row ${rows + 1}`);
          const wait = visit.drain?.();
          if (wait) {
            parser.pause();
            wait.then(() => parser.resume(), stop);
          }
        } catch (err) {
          stop(err);
        }
      },
      complete: () => settle(),
      error: (err) => settle(err),
    });
  });
}

async function readJsonl(src: OpenedSource, visit: RowVisitor, maxRows: number): Promise<number> {
  let columns: string[] | null = null;
  let rows = 0;
  let line = 0;
  const handle = (text: string): void => {
    line++;
    if (!text.trim()) return;
    const record = parseRecord(text, rows + 1, `row ${rows + 1} (line ${line})`);
    if (!columns) {
      columns = Object.keys(record);
      visit.columns(columns, []);
    }
    rows++;
    visit.row(columns.map((k) => record[k]), rows);
  };
  let rest = '';
  for await (const chunk of textChunks(src.path, src.fileName)) {
    const text = rest ? rest + chunk : chunk;
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      handle(text.slice(from, nl));
      from = nl + 1;
      if (rows >= maxRows) return rows;
    }
    rest = text.slice(from);
    await visit.drain?.();
  }
  if (rest) handle(rest);
  if (!columns) throw fileError(`"${src.fileName}" holds no records (only blank lines).`);
  return rows;
}

/** A JSON value's kind for a message: "null", "an array", "a string", "a number", "an object". */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return t === 'object' ? 'an object' : `a ${t}`;
}

/** The kind of the JSON value that starts with character `c`. */
function kindAt(c: string): string {
  if (c === '{') return 'an object';
  if (c === '"') return 'a string';
  if (c === 'n') return 'null';
  if (c === 't' || c === 'f') return 'a boolean';
  if (/[-0-9]/.test(c)) return 'a number';
  return `the character ${JSON.stringify(c)}`;
}

/** One record (a JSONL line, an element of a JSON array): a JSON object, nested at most MAX_JSON_DEPTH deep. */
function parseRecord(text: string, row: number, where: string): Record<string, unknown> {
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw fileError(`${where}: nested more than ${MAX_JSON_DEPTH} levels deep; a record is an object of numbers, strings and arrays of numbers`, `row ${row}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw fileError(`${where}: not valid JSON (${(err as Error).message})`, `row ${row}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fileError(`${where}: expected a JSON object {"cost": …, "design": […], …}, got ${kindOf(value)}`, `row ${row}`);
  }
  keepHugeLiterals(value as Record<string, unknown>, text);
  return value as Record<string, unknown>;
}

/**
 * JSON: a top-level array of records, streamed: each element's text is cut out by a small scanner
 * (strings, nesting) and parsed on its own, so the file may be one line of any length while each
 * record stays under MAX_LINE_BYTES and MAX_JSON_DEPTH.
 */
async function readJson(src: OpenedSource, visit: RowVisitor, maxRows: number): Promise<number> {
  const name = `"${src.fileName}"`;
  let columns: string[] | null = null;
  let rows = 0;
  // 0: before '['; 1: before an element (after '[' or a comma); 2: inside an element; 4: after ']'
  let phase = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: string[] = [];
  let partChars = 0;
  let line = 1;
  let done = false;
  const finish = (): void => {
    const text = parts.join('');
    parts = [];
    partChars = 0;
    rows++;
    if (text.length > MAX_LINE_BYTES) {
      throw fileError(`${name}: row ${rows} (record ${rows} of the array) is longer than ${MAX_LINE_BYTES / 2 ** 20} MB; a record holds one iterate (a run, a task, a design and a cost)`, `row ${rows}`);
    }
    const record = parseRecord(text, rows, `row ${rows} (record ${rows} of the array, line ${line})`);
    if (!columns) {
      columns = Object.keys(record);
      visit.columns(columns, []);
    }
    visit.row(columns.map((k) => record[k]), rows);
    if (rows >= maxRows) done = true;
  };
  for await (const chunk of textChunks(src.path, src.fileName, null)) {
    await visit.drain?.();
    let from = -1; // where the current element's text starts in this chunk
    if (phase === 2) from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) line++;
      if (phase === 2) {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92) escaped = true;
          else if (c === 34) inString = false;
          continue;
        }
        if (c === 34) inString = true;
        else if (c === 91 || c === 123) {
          if (++depth > MAX_JSON_DEPTH) {
            throw fileError(`${name}: row ${rows + 1} (record ${rows + 1} of the array, line ${line}): nested more than ${MAX_JSON_DEPTH} levels deep; a record is an object of numbers, strings and arrays of numbers`, `row ${rows + 1}`);
          }
        } else if (c === 93 || c === 125) {
          if (depth > 0) depth--;
          else if (c === 93) {
            // the array's closing bracket ends the last element
            parts.push(chunk.slice(from, i));
            finish();
            phase = 4;
            if (done) return rows;
          } else throw fileError(`${name}: row ${rows + 1}: not valid JSON (an unmatched "}" at line ${line})`, `row ${rows + 1}`);
        } else if (c === 44 && depth === 0) {
          parts.push(chunk.slice(from, i));
          finish();
          if (done) return rows;
          phase = 1;
        }
        continue;
      }
      // outside elements: only whitespace and the array's punctuation
      if (c === 32 || c === 10 || c === 13 || c === 9) continue;
      const ch = chunk[i]!;
      if (phase === 0) {
        if (c !== 91) throw fileError(`${name}: expected a JSON array of records [{"cost": …, "design": […], …}, …], got ${kindAt(ch)}.`);
        phase = 1;
      } else if (phase === 1) {
        if (c === 93) {
          if (rows === 0) throw fileError(`${name} holds an empty array: no records.`);
          throw fileError(`${name}: not valid JSON: a comma before the closing "]" at line ${line} (a trailing comma after record ${rows})`, `row ${rows}`);
        }
        if (c === 44) throw fileError(`${name}: not valid JSON: two commas in a row after record ${rows} (line ${line})`, `row ${rows}`);
        phase = 2;
        from = i;
        depth = 0;
        inString = false;
        escaped = false;
        i--; // scan this character as the element's first
      } else if (phase === 4) {
        throw fileError(`${name}: not valid JSON: unexpected text after the array's closing "]" at line ${line}`);
      }
    }
    if (phase === 2) {
      const piece = chunk.slice(from);
      partChars += piece.length;
      if (partChars > MAX_LINE_BYTES) {
        throw fileError(`${name}: row ${rows + 1} (record ${rows + 1} of the array) is longer than ${MAX_LINE_BYTES / 2 ** 20} MB; a record holds one iterate (a run, a task, a design and a cost)`, `row ${rows + 1}`);
      }
      parts.push(piece);
    }
  }
  if (phase === 0) throw fileError(`${name} holds only white space: no JSON array.`);
  if (phase !== 4) {
    throw fileError(`${name} is not valid JSON (it ends ${phase === 2 ? `inside record ${rows + 1}` : `after record ${rows} without the closing "]"`}; is it truncated?)`, `row ${rows + 1}`);
  }
  return rows;
}

/** NPZ: each array is a column; [R] gives one value per row, [R, k] a vector per row, anything else is the same for every row (e.g. task [2]). */
function readNpzRows(src: OpenedSource, visit: RowVisitor, maxRows: number): number {
  if (src.bytes > MAX_UNPACKED_BYTES + 2 ** 20) {
    throw fileError(`"${src.fileName}" is ${formatBytes(src.bytes)}; an .npz is read whole, up to the import limit of ${formatBytes(MAX_UNPACKED_BYTES)} unpacked. Split it, or write CSV or JSONL, which are streamed.`);
  }
  const bytes = readFileSync(src.path);
  let files: Map<string, Uint8Array>;
  try {
    files = npzEntries(bytes, `"${src.fileName}"`, 'design=..., task=..., cost=...');
  } catch (err) {
    if (err instanceof NpzFormatError) throw fileError(err.message.replace('The .npz archive', `The .npz archive "${src.fileName}"`));
    if (err instanceof NpyFormatError) throw fileError(`"${src.fileName}": array ${err.array}: ${err.problem}`, err.array);
    throw err;
  }
  const arrays = new Map<string, NpyArray>();
  const notes: MappingProblem[] = [];
  for (const [name, data] of files) {
    if (!name.endsWith('.npy')) continue;
    const key = name.slice(0, -4);
    try {
      arrays.set(key, parseNpy(data, key));
    } catch (err) {
      // e.g. an optimizer array of strings: the optimizer name comes from the request instead
      if (err instanceof NpyFormatError) notes.push({ row: null, column: key, message: `array skipped: ${err.problem}` });
      else throw err;
    }
  }
  if (!arrays.size) throw fileError(`The .npz archive "${src.fileName}" holds no readable arrays${notes.length ? ` (${notes.map((n) => `${n.column}: ${n.message}`).join('; ')})` : ''}.`);
  // rows: the length of the cost array, else of the design array, else the longest first axis
  const lead = (k: string): number | undefined => {
    const a = arrays.get(k);
    return a && a.shape.length ? a.shape[0] : undefined;
  };
  const keys = [...arrays.keys()];
  const lower = new Map(keys.map((c) => [c.toLowerCase(), c]));
  const named = ['cost', 'energy', 'e', 'design', 'x'].map((k) => lower.get(k)).find((k) => k !== undefined && lead(k) !== undefined);
  const total = named ? lead(named)! : Math.max(...keys.map((c) => lead(c) ?? 0));
  const columns: string[] = [];
  const cell: ((r: number) => unknown)[] = [];
  for (const c of keys) {
    const a = arrays.get(c)!;
    // [R] and [R, 1] (e.g. a cost saved as a column) give one value per row
    if ((a.shape.length === 1 || (a.shape.length === 2 && a.shape[1] === 1)) && a.shape[0] === total) cell.push((r) => a.data[r]);
    else if (a.shape.length === 2 && a.shape[0] === total) {
      const k = a.shape[1]!;
      cell.push((r) => a.data.subarray(r * k, (r + 1) * k));
    } else if (a.shape.length <= 1) cell.push(a.shape.length === 0 ? () => a.data[0] : () => a.data);
    else {
      notes.push({ row: null, column: c, message: `array skipped: shape ${formatShape(a.shape)} is neither [${total}] nor [${total}, k] (${total} rows)` });
      continue;
    }
    columns.push(c);
  }
  visit.columns(columns, notes);
  if (total === 0) throw fileError(`The .npz archive "${src.fileName}" has no rows (${named ?? 'its arrays'} has shape ${formatShape(arrays.get(named ?? keys[0]!)!.shape)}).`);
  const n = Math.min(total, maxRows);
  const cells: unknown[] = new Array(columns.length);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < cell.length; j++) cells[j] = cell[j]!(r);
    visit.row(cells, r + 1);
  }
  return n;
}
