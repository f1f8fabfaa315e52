// Reading a trajectory file row by row, whatever its format: CSV (papaparse over a stream),
// JSONL (line by line), JSON (an array, parsed whole up to MAX_JSON_BYTES) and NPZ (arrays with
// one row per record). Each reader hands the column names once, then each row's cells.
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { unzipSync } from 'fflate';
import Papa from 'papaparse';
import { NpyFormatError, formatShape, parseNpy, type NpyArray } from './npy';
import type { MappingProblem } from './trajectory-mapping';
import { MAX_JSON_BYTES, fileError, rowError, textChunks, type OpenedSource } from './trajectory-source';

export interface RowVisitor {
  /** the column names, once, before any row; notes: what was skipped (e.g. NPZ string arrays) */
  columns(names: string[], notes: MappingProblem[]): void;
  /** one data row; `row` counts data rows from 1 (the header is not a row); throw to stop */
  row(cells: readonly unknown[], row: number): void;
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
    const record = parseRecord(text, rows + 1, line);
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
  }
  if (rest) handle(rest);
  if (!columns) throw fileError(`"${src.fileName}" holds no records (only blank lines).`);
  return rows;
}

function parseRecord(text: string, row: number, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw fileError(`row ${row} (line ${line}): not valid JSON (${(err as Error).message})`, `row ${row}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fileError(`row ${row} (line ${line}): expected a JSON object {"cost": …, "design": […], …}, got ${Array.isArray(value) ? 'an array' : typeof value}`, `row ${row}`);
  }
  return value as Record<string, unknown>;
}

async function readJson(src: OpenedSource, visit: RowVisitor, maxRows: number): Promise<number> {
  if (src.bytes > MAX_JSON_BYTES) {
    throw fileError(
      `"${src.fileName}" is ${(src.bytes / 2 ** 20).toFixed(0)} MB; a JSON array is read whole, up to ${MAX_JSON_BYTES / 2 ** 20} MB. Write it as JSONL (one record per line) or CSV, which are streamed without a limit.`,
    );
  }
  const parts: string[] = [];
  for await (const chunk of textChunks(src.path, src.fileName)) parts.push(chunk);
  let value: unknown;
  try {
    value = JSON.parse(parts.join(''));
  } catch (err) {
    throw fileError(`"${src.fileName}" is not valid JSON (${(err as Error).message}); is it truncated?`);
  }
  parts.length = 0;
  if (!Array.isArray(value)) throw fileError(`"${src.fileName}": expected a JSON array of records [{"cost": …, "design": […], …}, …], got ${value === null ? 'null' : typeof value}.`);
  if (!value.length) throw fileError(`"${src.fileName}" holds an empty array: no records.`);
  let columns: string[] | null = null;
  let rows = 0;
  for (const item of value) {
    rows++;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw fileError(`row ${rows}: expected a JSON object {"cost": …, "design": […], …}, got ${Array.isArray(item) ? 'an array' : item === null ? 'null' : typeof item}`, `row ${rows}`);
    }
    const record = item as Record<string, unknown>;
    if (!columns) {
      columns = Object.keys(record);
      visit.columns(columns, []);
    }
    visit.row(columns.map((k) => record[k]), rows);
    if (rows >= maxRows) break;
  }
  return rows;
}

/** NPZ: each array is a column; [R] gives one value per row, [R, k] a vector per row, anything else is the same for every row (e.g. task [2]). */
function readNpzRows(src: OpenedSource, visit: RowVisitor, maxRows: number): number {
  const bytes = readFileSync(src.path);
  if (!(bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b)) throw fileError(`"${src.fileName}" is not an .npz file: it is not a zip archive. Save the arrays with np.savez(path, design=..., task=..., cost=...).`);
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (err) {
    throw fileError(`The .npz archive "${src.fileName}" could not be read (${(err as Error).message}); it may be truncated or damaged.`);
  }
  const arrays = new Map<string, NpyArray>();
  const notes: MappingProblem[] = [];
  for (const [name, data] of Object.entries(files)) {
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
    if (a.shape.length === 1 && a.shape[0] === total) cell.push((r) => a.data[r]);
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
