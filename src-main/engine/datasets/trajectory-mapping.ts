// Which columns of a trajectory file hold run, optimizer, iteration, task, design and cost:
// detected from the names (case-insensitive), corrected by the user, then applied to each row
// with the checks of the project's design space. Every problem names its row and column.
import type { TrajectoryMapping } from '../../../src-shared/api';
import type { TaskRange } from '../../../src-shared/environments';
import { jsonDepth, OutOfRangeNumber } from './json-records';
import { MAX_JSON_DEPTH, fileError, rowError } from './trajectory-source';
import { taskProblem } from './task-range';

export interface ProjectBounds {
  /** design dimension d: designs are d numbers in [-1, 1] */
  designDim: number;
  taskRange: TaskRange;
}

export interface MappingProblem {
  row: number | null;
  column: string | null;
  message: string;
  /** the mapping field a detection problem is about: the form clears it once that field is chosen by hand */
  field?: 'cost' | 'task' | 'design';
}

/** Run name given to every row of a file that has no run column. */
export const DEFAULT_RUN = '1';
/** Optimizer name of rows of a file without an optimizer column (NPZ never has one). */
export const DEFAULT_OPTIMIZER = 'imported';

const NAMES = {
  run: ['run', 'run_id', 'runid', 'run_name'],
  optimizer: ['optimizer', 'method', 'algorithm', 'sampler'],
  iteration: ['iteration', 'iter', 'step', 'it', 'eval', 'evaluation'],
  cost: ['cost', 'energy', 'e', 'loss', 'objective', 'value', 'obj'],
} as const;
/**
 * "trial": the iteration when nothing else is (optuna numbers each evaluation as a trial), the
 * run when an iteration column is already there (repeated trials of an experiment).
 */
const TRIAL = 'trial';
const TASK_PAIRS = [
  ['task_x', 'task_y'],
  ['tx', 'ty'],
  ['c0', 'c1'],
  ['c_0', 'c_1'],
  ['task_0', 'task_1'],
  ['task[0]', 'task[1]'],
  ['task0', 'task1'],
  ['cx', 'cy'],
  ['target_x', 'target_y'],
] as const;
/** one column (JSON key, NPZ array) holding the whole vector */
const TASK_VECTOR = ['task', 'c', 'target'];
const DESIGN_VECTOR = ['design', 'x', 'params'];
/** x0, x_1, design_0, design[0], design0, p0, param_0, params_3 */
const DESIGN_ENTRY = /^(?:x|design|p|param|params)(?:_|\[)?(\d+)\]?$/;
/** param_angle, params_a (optuna's export): named design entries, taken in the file's order */
const NAMED_PARAM = /^params?_(.+)$/;

/** The mapping the column names suggest; null with problems when cost, task or design is not found. */
export function detectMapping(columns: readonly string[]): { mapping: TrajectoryMapping | null; problems: MappingProblem[] } {
  const problems: MappingProblem[] = [];
  const lower = columns.map((c) => c.trim().toLowerCase());
  const seen = new Map<string, number>();
  lower.forEach((c, i) => {
    const first = seen.get(c);
    if (first !== undefined) problems.push({ row: null, column: columns[i]!, message: `columns ${first + 1} and ${i + 1} are both named "${columns[i]}"` });
    else seen.set(c, i);
  });
  const find = (names: readonly string[]): string | null => {
    for (const n of names) {
      const i = lower.indexOf(n);
      if (i >= 0) return columns[i]!;
    }
    return null;
  };

  const cost = find(NAMES.cost);
  if (!cost) problems.push({ row: null, column: null, field: 'cost', message: `no cost column (looked for ${NAMES.cost.join(', ')})` });

  let task: string[] | null = null;
  for (const [a, b] of TASK_PAIRS) {
    const x = find([a]);
    const y = find([b]);
    if (x && y) {
      task = [x, y];
      break;
    }
  }
  if (!task) {
    const v = find(TASK_VECTOR);
    if (v) task = [v];
  }
  if (!task) problems.push({ row: null, column: null, field: 'task', message: 'no task columns (looked for task_x,task_y or target_x,target_y or tx,ty or c0,c1, or one task column holding [x, y])' });

  const entries = new Map<number, string>();
  lower.forEach((c, i) => {
    const m = DESIGN_ENTRY.exec(c);
    if (!m) return;
    const k = Number(m[1]);
    const other = entries.get(k);
    if (other !== undefined) problems.push({ row: null, column: columns[i]!, field: 'design', message: `columns "${other}" and "${columns[i]}" both look like design entry ${k}` });
    else entries.set(k, columns[i]!);
  });
  let design: string[] | null = null;
  if (entries.size) {
    const indices = [...entries.keys()].sort((a, b) => a - b);
    const start = indices[0]!;
    const gap = indices.findIndex((k, i) => k !== start + i);
    if (start > 1) problems.push({ row: null, column: entries.get(start)!, field: 'design', message: `design columns start at index ${start}; expected 0 (x0, x1, …) or 1 (x_1, x_2, …)` });
    else if (gap >= 0) problems.push({ row: null, column: null, field: 'design', message: `design columns skip index ${start + gap} (found ${indices.map((k) => entries.get(k)).join(', ')})` });
    else design = indices.map((k) => entries.get(k)!);
  } else {
    const named = columns.filter((_, i) => NAMED_PARAM.test(lower[i]!));
    const v = find(DESIGN_VECTOR);
    if (named.length) design = named;
    else if (v) design = [v];
    else problems.push({ row: null, column: null, field: 'design', message: 'no design columns (looked for x0, x1, … or x_1, design_0, design[0], p0, param_0, param_<name>, or one design column holding an array)' });
  }

  const byName = find(NAMES.iteration);
  const trial = find([TRIAL]);
  const run = find(NAMES.run) ?? (byName && trial ? trial : null);
  const iteration = byName ?? (trial && trial !== run ? trial : null);
  return {
    mapping: !problems.length && cost && task && design ? { run, optimizer: find(NAMES.optimizer), iteration, cost, task, design } : null,
    problems,
  };
}

/** A mapping as column indexes, checked against the file's columns and the project's design dimension. */
export interface ResolvedMapping {
  columns: readonly string[];
  run: number;
  optimizer: number;
  iteration: number;
  cost: number;
  /** two columns, or one holding [x, y] */
  task: number[];
  /** d columns, or one holding d values */
  design: number[];
}

export function resolveMapping(mapping: TrajectoryMapping, columns: readonly string[], bounds: ProjectBounds): ResolvedMapping {
  const used = new Map<string, string>();
  const index = (field: string, name: string): number => {
    const i = columns.indexOf(name);
    if (i < 0) throw fileError(`mapping.${field}: there is no column "${name}" in the file (columns: ${listColumns(columns)})`, `mapping.${field}`);
    if (columns.indexOf(name, i + 1) >= 0) throw fileError(`mapping.${field}: the file has more than one column named "${name}"; rename one`, `mapping.${field}`);
    const other = used.get(name);
    if (other) throw fileError(`mapping.${field}: column "${name}" is already mapped to ${other}`, `mapping.${field}`);
    used.set(name, field);
    return i;
  };
  const optional = (field: 'run' | 'optimizer' | 'iteration'): number => (mapping[field] === null ? -1 : index(field, mapping[field]));
  const resolved: ResolvedMapping = {
    columns,
    run: optional('run'),
    optimizer: optional('optimizer'),
    iteration: optional('iteration'),
    cost: index('cost', mapping.cost),
    task: mapping.task.map((c, k) => index(`task[${k}]`, c)),
    design: mapping.design.map((c, k) => index(`design[${k}]`, c)),
  };
  const d = bounds.designDim;
  if (mapping.design.length !== 1 && mapping.design.length !== d) {
    const names = mapping.design.length > 4 ? `${mapping.design.slice(0, 2).join(', ')}, …, ${mapping.design.at(-1)}` : mapping.design.join(', ');
    throw fileError(`The file has ${mapping.design.length} design columns (${names}); this project's designs have ${d} (one per joint).`, 'mapping.design');
  }
  return resolved;
}

function listColumns(columns: readonly string[]): string {
  return columns.length > 20 ? `${columns.slice(0, 20).join(', ')}, …` : columns.join(', ');
}

/** Describes a cell for a message: strings quoted, long ones cut, numbers as JavaScript writes them. */
function show(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof OutOfRangeNumber) return v.text;
  if (ArrayBuffer.isView(v)) {
    const a = Array.from(v as unknown as ArrayLike<number | bigint>);
    return `[${a.slice(0, 6).map(String).join(', ')}${a.length > 6 ? ', …' : ''}]`;
  }
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : JSON.stringify(v) ?? String(v);
  } catch {
    s = '(a deeply nested value)';
  }
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** A decimal number: digits, an optional fraction and exponent; no hex, octal, binary or Infinity. */
const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const RADIX = /^\s*[+-]?0([xob])[0-9a-f]/i;

/** "0x1F", " -0b1": a sign and a 0 followed by x, o or b (the only non-decimal text Number() reads as finite). */
function hasRadixPrefix(v: string): boolean {
  let i = 0;
  // Number() skips the white space \s matches, Unicode spaces included
  while (i < v.length && (v.charCodeAt(i) <= 32 || (v.charCodeAt(i) > 127 && /\s/.test(v[i]!)))) i++;
  if (v[i] === '+' || v[i] === '-') i++;
  if (v.charCodeAt(i) !== 48) return false;
  const c = v.charCodeAt(i + 1) | 32;
  return c === 120 || c === 111 || c === 98;
}

/** Why text is not a decimal number, for a message. */
function notDecimal(v: string): string {
  if (/^\s*[+-]?(?:inf|infinity)\s*$/i.test(v)) return `value ${show(v)} is infinite`;
  const radix = RADIX.exec(v);
  if (radix) {
    const kind = { x: 'hexadecimal', o: 'octal', b: 'binary' }[radix[1]!.toLowerCase() as 'x' | 'o' | 'b'];
    return `value ${show(v)} is ${kind === 'octal' ? 'an' : 'a'} ${kind} number; only decimal numbers are accepted (e.g. 31, -0.5, 1.2e-3)`;
  }
  return `value ${show(v)} is not a number`;
}

/** One cell as a finite number; `row` and `column` name it in the error. Text must be a decimal number. */
export function cellNumber(v: unknown, row: number, column: string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint') n = Number(v);
  else if (typeof v === 'string') {
    // fast path: Number() reads decimal text, and of what else it reads only radix literals
    // (0x, 0o, 0b) come out finite; Infinity, empty text and everything else are looked at below
    n = Number(v);
    if (Number.isFinite(n)) {
      if (n === 0 && v.trim() === '') throw rowError(row, column, 'is empty');
      if (hasRadixPrefix(v)) throw rowError(row, column, notDecimal(v));
    } else if (Number.isNaN(n)) {
      if (v.trim() === '') throw rowError(row, column, 'is empty');
      if (/^\s*[+-]?nan\s*$/i.test(v)) throw rowError(row, column, 'value is NaN');
      throw rowError(row, column, notDecimal(v));
    } else if (DECIMAL.test(v)) throw rowError(row, column, `value ${show(v)} is out of the float range (beyond ±1.8e308 it reads as infinity)`);
    else throw rowError(row, column, notDecimal(v));
  } else if (v instanceof OutOfRangeNumber) {
    throw rowError(row, column, `value ${v.text} is out of the float range (beyond ±1.8e308 it reads as infinity)`);
  } else if (v === null || v === undefined) throw rowError(row, column, v === null ? 'is null (missing)' : 'is missing');
  else if (ArrayBuffer.isView(v) || Array.isArray(v)) {
    const k = (v as ArrayLike<unknown>).length;
    throw rowError(row, column, `holds ${k} value${k === 1 ? '' : 's'} ${show(v)} where one number is expected`);
  } else throw rowError(row, column, `value ${show(v)} is not a number`);
  if (Number.isNaN(n)) throw rowError(row, column, 'value is NaN');
  if (!Number.isFinite(n)) throw rowError(row, column, `value ${show(v)} is infinite`);
  return n;
}

/** One cell holding a vector (JSON array, NPZ row, or "[…]" text in a CSV cell). */
function cellVector(v: unknown, row: number, column: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>);
  if (typeof v === 'string' && v.trimStart().startsWith('[')) {
    if (jsonDepth(v, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw rowError(row, column, `nested more than ${MAX_JSON_DEPTH} levels deep; expected a list of numbers`);
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // reported below as not a list
    }
  }
  if (v === null || v === undefined) throw rowError(row, column, 'is missing');
  throw rowError(row, column, `value ${show(v)} is not a list of numbers`);
}

function cellText(v: unknown, row: number, column: string): string {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v !== 'string') throw rowError(row, column, v === null || v === undefined ? 'is missing' : `value ${show(v)} is not text`);
  // trim only when an end is blank: most names are not, and trim() would copy every one
  const s = v.length && v.charCodeAt(0) > 32 && v.charCodeAt(v.length - 1) > 32 ? v : v.trim();
  if (!s) throw rowError(row, column, 'is empty');
  if (s.length > 100) throw rowError(row, column, 'is longer than 100 characters');
  return s;
}

/**
 * Turns rows of cells into optimization records, checking every value against the project's
 * design space and task range. After read(), the fields hold the row (task and design are reused).
 */
export class RecordReader {
  run = '';
  optimizer = '';
  iteration = 0;
  cost = 0;
  readonly task = new Float32Array(2);
  readonly design: Float32Array;
  /** the bytes of task and design, for writing them as BLOBs */
  readonly taskBytes = new Uint8Array(this.task.buffer);
  readonly designBytes: Uint8Array;
  private readonly nextIteration = new Map<string, number>();
  private readonly names: readonly string[];

  constructor(
    private readonly m: ResolvedMapping,
    private readonly bounds: ProjectBounds,
    private readonly defaultOptimizer = DEFAULT_OPTIMIZER,
  ) {
    this.design = new Float32Array(bounds.designDim);
    this.designBytes = new Uint8Array(this.design.buffer);
    this.names = m.columns;
  }

  /** `row` is the 1-based data row (the header is row 0). */
  read(cells: readonly unknown[], row: number): void {
    const m = this.m;
    const name = this.names;
    // an empty run cell (e.g. a query exported without a run) joins the default run
    const run = m.run < 0 ? null : cells[m.run];
    this.run = run === null || run === undefined || run === '' ? DEFAULT_RUN : cellText(run, row, name[m.run]!);
    this.optimizer = m.optimizer < 0 ? this.defaultOptimizer : cellText(cells[m.optimizer], row, name[m.optimizer]!);
    if (m.iteration < 0) {
      const next = this.nextIteration.get(this.run) ?? 0;
      this.iteration = next;
      this.nextIteration.set(this.run, next + 1);
    } else {
      const c = name[m.iteration]!;
      const it = cellNumber(cells[m.iteration], row, c);
      if (!Number.isSafeInteger(it) || it < 0) throw rowError(row, c, `value ${it} is not a whole number ≥ 0 (iterations count from 0)`);
      this.iteration = it;
    }
    this.cost = cellNumber(cells[m.cost], row, name[m.cost]!);

    this.readVector(cells, row, m.task, this.task);
    this.readVector(cells, row, m.design, this.design);
  }

  /** null when v may be entry k of the vector, else why not: designs in [-1, 1], tasks by the shared task-range rule */
  private outside(out: Float32Array, k: number, v: number): string | null {
    if (out === this.design) return v < -1 || v > 1 ? `value ${v} is outside [-1, 1] (designs are normalized)` : null;
    return taskProblem(this.bounds.taskRange, k, v);
  }

  private readVector(cells: readonly unknown[], row: number, cols: number[], out: Float32Array): void {
    if (cols.length === out.length) {
      for (let k = 0; k < cols.length; k++) {
        const v = cellNumber(cells[cols[k]!], row, this.names[cols[k]!]!);
        const problem = this.outside(out, k, v);
        if (problem) throw rowError(row, this.names[cols[k]!]!, problem);
        out[k] = v;
      }
      return;
    }
    const c = this.names[cols[0]!]!;
    const values = cellVector(cells[cols[0]!], row, c);
    if (values.length !== out.length) {
      throw rowError(row, c, `has ${values.length} values; ${out.length === 2 ? 'a task is a point (x, y)' : `this project's designs have ${out.length} (one per joint)`}`);
    }
    for (let k = 0; k < out.length; k++) {
      const v = cellNumber(values[k], row, `${c}[${k}]`);
      const problem = this.outside(out, k, v);
      if (problem) throw rowError(row, `${c}[${k}]`, problem);
      out[k] = v;
    }
  }
}
