// Import fuzzing: hundreds of malformed and edge-case files (CSV, JSON, JSONL, NPZ trajectories and
// physics .npz), generated from a seed. Each must be refused with an error that names the problem
// (checked by keywords for its kind), as an invalid_argument (never an internal error or a stack),
// leaving no dataset or row behind and the database intact. Valid edge files must import.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import { createHandlers } from '../../src-main/api/handlers';
import { crc32 } from '../../src-main/engine/datasets/npz';
import { readRegularFile } from '../../src-main/engine/datasets/trajectory-source';
import { OptimizationDatasets } from '../../src-main/engine/datasets/trajectories';
import { seededRandom } from '../../src-main/engine/random';
import type { DatasetInfo, OptimizationDatasetInfo } from '../../src-shared/api';
import type { ApiEnvelope } from '../../src-shared/errors';
import { bytesOf, npyBytes, npyDict, npzBomb, zipBytes, type ZipMember } from '../fixtures/import-files';
import { countRows, ok, tempDir, testWorkbench } from './helpers';

const rand = seededRandom(20261206);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const between = (lo: number, hi: number): number => lo + (hi - lo) * rand();
const fixed = (v: number): string => v.toFixed(4);
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// the project: 4 joints, the default task range x 0.3–0.9, y 0.05–0.09
const D = 4;
const HEADER = ['run', 'optimizer', 'iteration', 'task_x', 'task_y', 'x0', 'x1', 'x2', 'x3', 'cost'];
const NUMERIC = [2, 3, 4, 5, 6, 7, 8, 9];

interface Case {
  id: string;
  kind: 'trajectory' | 'physics';
  file: string;
  bytes: Uint8Array;
  format?: 'csv' | 'json' | 'jsonl' | 'npz';
  /** every one must match the error message */
  expect: RegExp[];
}
const cases: Case[] = [];
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
function add(id: string, file: string, bytes: Uint8Array | string, expectations: RegExp[], kind: Case['kind'] = 'trajectory'): void {
  cases.push({ id: `${cases.length + 1} ${id}`, kind, file, bytes: typeof bytes === 'string' ? text(bytes) : bytes, expect: expectations });
}

// ---- CSV ----

function validRow(i: number): string[] {
  return [`r${i % 3}`, 'cem', String(Math.floor(i / 3)), fixed(between(0.35, 0.85)), fixed(between(0.055, 0.085)), ...Array.from({ length: D }, () => fixed(between(-0.9, 0.9))), fixed(between(0, 1))];
}
function validRows(n: number): string[][] {
  return Array.from({ length: n }, (_, i) => validRow(i));
}
const csv = (header: string[], rows: string[][], eol = '\n'): string => [header.join(','), ...rows.map((r) => r.join(','))].join(eol) + eol;

/** A CSV whose cell at a random row and numeric column says `value`; the message must name that row and column. */
function spoiledCsv(id: string, value: string | ((col: string) => string), keywords: RegExp[], columns: readonly number[] = NUMERIC): void {
  const rows = validRows(int(2, 40));
  const r = int(0, rows.length - 1);
  const c = pick(columns);
  rows[r]![c] = typeof value === 'function' ? value(HEADER[c]!) : value;
  add(`csv ${id} at row ${r + 1} ${HEADER[c]}`, `${id.replace(/\W+/g, '-')}.csv`, csv(HEADER, rows), [new RegExp(`row ${r + 1}, column ${escape(HEADER[c]!)}: `), ...keywords]);
}

for (let i = 0; i < 12; i++) {
  const v = int(2, 100000);
  spoiledCsv('hex', `${pick(['', '-', '+'])}0${pick(['x', 'X'])}${v.toString(16)}`, [/is a hexadecimal number; only decimal numbers are accepted/]);
  spoiledCsv('binary', `0${pick(['b', 'B'])}${v.toString(2)}`, [/is a binary number; only decimal/]);
  spoiledCsv('octal', `0${pick(['o', 'O'])}${v.toString(8)}`, [/is an octal number; only decimal/]);
}
for (const v of ['inf', '-inf', 'Infinity', '-Infinity', 'INF', '+inf', 'infinity', ' inf ', '-INFINITY', 'Inf', '+Infinity', 'iNf']) {
  spoiledCsv('infinite', v, [new RegExp(`value ${escape(JSON.stringify(v))} is infinite`)]);
}
for (let i = 0; i < 10; i++) {
  const v = pick([`1e${int(309, 9999)}`, `-${int(2, 9)}.5e${int(309, 400)}`, `1${'0'.repeat(int(309, 500))}`, `${int(2, 9)}E+${int(309, 999)}`]);
  spoiledCsv('huge', v, [new RegExp(`value "${escape(v.slice(0, 40))}.*is out of the float range`)]);
}
for (const v of ['nan', 'NaN', '-nan', 'NAN', '+NaN', ' nan', 'nAn', 'NaN ']) spoiledCsv('nan', v, [/value is NaN/]);
for (let i = 0; i < 12; i++) {
  const v = (rand() < 0.5 ? -1 : 1) * between(1.001, 100);
  spoiledCsv('design out of range', fixed(v), [/is outside \[-1, 1\] \(designs are normalized\)/], [5, 6, 7, 8]);
}
for (let i = 0; i < 10; i++) {
  spoiledCsv('task out of range', pick(['5', '-3', '0.95', '0.2', '1e3', '0.10']), [/is outside the project's task range [xy] /], [3, 4]);
}
for (const v of ['abc', '1..2', '--1', '0x', '1e', 'e5', '.', '1 2', '١٢', 'one']) spoiledCsv('text', v, [/is not a number/]);
for (let i = 0; i < 8; i++) spoiledCsv('empty cell', pick(['', ' ', '   ']), [/is empty/]);

for (let i = 0; i < 10; i++) {
  // the last row cut after k fields, as a truncated file ends
  const rows = validRows(int(2, 30));
  const k = int(1, HEADER.length - 1);
  rows[rows.length - 1] = rows[rows.length - 1]!.slice(0, k);
  const body = csv(HEADER, rows).replace(/\n$/, '');
  add(`csv truncated after ${k} fields`, 'cut.csv', body, [new RegExp(`row ${rows.length}, column ${escape(HEADER[k]!)}: has ${k} fields; the header has 10 \\(is the file truncated\\?\\)`)]);
}
for (let i = 0; i < 6; i++) {
  const rows = validRows(int(2, 30));
  const r = int(0, rows.length - 1);
  const extra = int(1, 3);
  rows[r]!.push(...Array.from({ length: extra }, () => '1'));
  add('csv extra fields', 'extra.csv', csv(HEADER, rows), [new RegExp(`row ${r + 1}, column field ${10 + extra}: has ${10 + extra} fields; the header has 10`)]);
}
for (const [drop, keyword] of [
  ['cost', /no cost column/],
  ['task_y', /no task columns/],
  ['task_x', /no task columns/],
  ['x2', /design columns skip index 2/],
  ['x0', /design columns start at index 1.*|this project's designs have 4/],
  ['x3', /has 3 design columns .*designs have 4/],
] as const) {
  for (let i = 0; i < (drop === 'cost' ? 3 : 1); i++) {
    const c = HEADER.indexOf(drop);
    const rows = validRows(int(2, 10)).map((r) => r.filter((_, j) => j !== c));
    add(`csv without column ${drop}`, 'nocol.csv', csv(HEADER.filter((h) => h !== drop), rows), [keyword]);
  }
}
for (let i = 0; i < 4; i++) {
  const dup = pick(['x1', 'cost', 'task_x', 'run']);
  const header = [...HEADER, dup];
  const rows = validRows(int(2, 10)).map((r) => [...r, '0.5']);
  add(`csv duplicate column ${dup}`, 'dup.csv', csv(header, rows), [new RegExp(`both (named|look like)`)]);
}
for (const d of [3, 5, 8]) {
  const header = ['run', 'task_x', 'task_y', ...Array.from({ length: d }, (_, k) => `x${k}`), 'cost'];
  const rows = Array.from({ length: 3 }, () => ['r', '0.5', '0.07', ...Array.from({ length: d }, () => '0.1'), '0.3']);
  add(`csv with ${d} design columns`, 'dim.csv', csv(header, rows), [new RegExp(`has ${d} design columns .*this project's designs have 4`)]);
}
function utf16(s: string, bigEndian: boolean, bom: boolean): Uint8Array {
  const out = new Uint8Array((s.length + (bom ? 1 : 0)) * 2);
  const view = new DataView(out.buffer);
  let at = 0;
  if (bom) {
    view.setUint16(0, 0xfeff, !bigEndian);
    at = 2;
  }
  for (let i = 0; i < s.length; i++, at += 2) view.setUint16(at, s.charCodeAt(i), !bigEndian);
  return out;
}
for (let i = 0; i < 3; i++) {
  for (const be of [false, true]) {
    const s = csv(HEADER, validRows(int(2, 20)));
    add(`csv utf-16 ${be ? 'BE' : 'LE'} without BOM`, 'utf16.csv', utf16(s, be, false), [new RegExp(`looks like UTF-16 \\(${be ? 'big' : 'little'}-endian, without a byte-order mark.*save it as UTF-8`)]);
    add(`csv utf-16 ${be ? 'BE' : 'LE'} with BOM`, 'utf16bom.csv', utf16(s, be, true), [/is UTF-16 text \(it starts with a UTF-16 byte-order mark\); save it as UTF-8/]);
  }
}
for (let i = 0; i < 10; i++) {
  const s = text(csv(HEADER, validRows(int(3, 40))));
  const at = int(HEADER.join(',').length + 1, s.length - 2);
  const bad = pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0x80], [0xfe, 0xfe]]);
  const out = new Uint8Array(s.length + bad.length);
  out.set(s.subarray(0, at));
  out.set(bad, at);
  out.set(s.subarray(at), at + bad.length);
  add('csv invalid utf-8', 'bad.csv', out, [/is not valid UTF-8 \(bad bytes at line \d+/]);
}
for (let i = 0; i < 2; i++) {
  const s = text(csv(HEADER, validRows(3)).trimEnd() + ',é');
  add('csv ending inside a multi-byte character', 'cut-utf8.csv', s.subarray(0, s.length - 1), [/ends inside a multi-byte character \(truncated\?\)/]);
}
for (let i = 0; i < 10; i++) {
  const garbage = Uint8Array.from({ length: int(64, 4000) }, () => int(0, 255));
  const name = pick(['garbage.csv', 'garbage.json', 'garbage.jsonl']);
  add(`binary garbage as ${name}`, name, garbage, [/binary file|not valid UTF-8|looks like UTF-16/]);
}
for (let i = 0; i < 4; i++) {
  const s = text(csv(HEADER, validRows(5)));
  s[int(HEADER.join(',').length + 2, s.length - 2)] = 0;
  add('csv with a NUL byte', 'nul.csv', s, [/holds a NUL byte at byte \d+ \(line \d+\): it looks like a binary file/]);
}
for (const name of ['empty.csv', 'empty.json', 'empty.jsonl', 'empty.npz']) add(`empty ${name}`, name, '', [new RegExp(`"${escape(name)}" is empty`)]);
add('csv header only', 'header.csv', HEADER.join(',') + '\n', [/has a header but no rows/]);
add('csv header only, CRLF', 'header.csv', HEADER.join(',') + '\r\n\r\n', [/has a header but no rows/]);
add('csv blank lines only', 'blank.csv', '\n\n  \n', [/has no header row/]);
add('csv spaces only', 'blank.csv', '   ', [/has no header row/]);
add('csv line over 1 MB', 'long.csv', `${HEADER.join(',')}\nr,${'9'.repeat(1_100_000)}\n`, [/line 2 is longer than 1 MB without a line break/]);
add('jsonl line over 1 MB', 'long.jsonl', `{"cost": 1, "pad": "${'a'.repeat(1_100_000)}"}\n`, [/line 1 is longer than 1 MB without a line break/]);
for (const depth of [65, 5000]) {
  const rows = [['r', '0.5', '0.07', '['.repeat(depth) + ']'.repeat(depth), '0.3']];
  add(`csv design cell nested ${depth} deep`, 'deep.csv', csv(['run', 'task_x', 'task_y', 'design', 'cost'], rows), [/row 1, column design: nested more than 64 levels deep/]);
}
for (let i = 0; i < 3; i++) {
  const rows = validRows(int(2, 10));
  const body = csv(HEADER, rows) + `"r${i},cem,9,0.5`;
  add('csv unterminated quote', 'quote.csv', body, [/CSV syntax: .*(Quoted field unterminated|quote).*is the file truncated/i]);
}

// ---- JSON and JSONL ----

function validRecord(i: number): Record<string, unknown> {
  return { run: `r${i % 3}`, optimizer: 'cem', iteration: Math.floor(i / 3), task: [Number(fixed(between(0.35, 0.85))), Number(fixed(between(0.055, 0.085)))], design: Array.from({ length: D }, () => Number(fixed(between(-0.9, 0.9)))), cost: Number(fixed(between(0, 1))) };
}
/** Records as JSON text, record k (0-based) replaced by `spoil` (raw JSON text). */
function jsonRecords(n: number, k: number, spoil: string | null): string[] {
  return Array.from({ length: n }, (_, i) => (i === k && spoil !== null ? spoil : JSON.stringify(validRecord(i))));
}
const SPOILS: [string, (r: Record<string, unknown>) => string, RegExp][] = [
  ['hex string', (r) => JSON.stringify({ ...r, design: ['0x1F', 0, 0, 0] }), /column design\[0\]: value "0x1F" is a hexadecimal number/],
  ['1e400 cost', (r) => JSON.stringify({ ...r, cost: 0 }).replace('"cost":0', '"cost":1e400'), /column cost: value 1e400 is out of the float range/],
  ['-1e999 in design', (r) => JSON.stringify({ ...r, design: [0, 0, 7, 0] }).replace(',7,', ',-1e999,'), /column design\[2\]: value -1e999 is out of the float range/],
  ['null cost', (r) => JSON.stringify({ ...r, cost: null }), /column cost: is null \(missing\)/],
  ['short design', (r) => JSON.stringify({ ...r, design: [0, 0, 0] }), /column design: has 3 values; this project's designs have 4/],
  ['task far outside', (r) => JSON.stringify({ ...r, task: [5, -3] }), /column task\[0\]: value 5 is outside the project's task range x 0.3–0.9/],
  ['text cost', (r) => JSON.stringify({ ...r, cost: 'abc' }), /column cost: value "abc" is not a number/],
  ['design out of range', (r) => JSON.stringify({ ...r, design: [0, 1.5, 0, 0] }), /column design\[1\]: value 1.5 is outside \[-1, 1\]/],
  ['design is an object', (r) => JSON.stringify({ ...r, design: { a: 1 } }), /column design: value \{"a":1\} is not a list of numbers/],
  ['not valid JSON', (r) => JSON.stringify(r).replace('"cost"', 'cost'), /not valid JSON/],
];
for (const [what, spoil, keyword] of SPOILS) {
  for (let i = 0; i < 3; i++) {
    const n = int(2, 60);
    const k = int(1, n - 1); // the first record sets the columns
    const body = `[${jsonRecords(n, k, spoil(validRecord(k))).join(',')}]`;
    add(`json one line, ${what}, record ${k + 1}`, 'spoiled.json', body, [new RegExp(`row ${k + 1}\\b`), keyword]);
    if (i === 0) {
      const lines = jsonRecords(n, k, spoil(validRecord(k))).join('\n');
      add(`jsonl ${what}, record ${k + 1}`, 'spoiled.jsonl', lines, [new RegExp(`row ${k + 1}\\b`), keyword]);
    }
  }
}
for (const depth of [65, 1000, 100_000]) {
  const n = int(2, 20);
  const k = int(0, n - 1);
  const deep = JSON.stringify({ ...validRecord(k), unused: 0 }).replace('"unused":0', `"unused":${'['.repeat(depth)}${']'.repeat(depth)}`);
  add(`json unused key nested ${depth} deep`, 'deep.json', `[${jsonRecords(n, k, deep).join(',')}]`, [new RegExp(`row ${k + 1} .*nested more than 64 levels deep`)]);
  add(`jsonl unused key nested ${depth} deep`, 'deep.jsonl', jsonRecords(n, k, deep).join('\n'), [new RegExp(`row ${k + 1} \\(line ${k + 1}\\): nested more than 64 levels deep`)]);
}
for (const [top, kind] of [
  ['{}', 'an object'],
  ['{"cost": 1}', 'an object'],
  ['null', 'null'],
  ['42', 'a number'],
  ['"text"', 'a string'],
  ['true', 'a boolean'],
] as const) {
  add(`json top level ${kind}`, 'top.json', top, [new RegExp(`expected a JSON array of records .*got ${kind}`)]);
}
for (const [item, kind] of [
  ['1', 'a number'],
  ['null', 'null'],
  ['[1,2]', 'an array'],
  ['"s"', 'a string'],
  ['false', 'a boolean'],
] as const) {
  const n = int(2, 10);
  const k = int(0, n - 1);
  add(`json record ${k + 1} is ${kind}`, 'items.json', `[${jsonRecords(n, k, item).join(',')}]`, [new RegExp(`row ${k + 1} .*expected a JSON object .*got ${kind}`)]);
  add(`jsonl line ${k + 1} is ${kind}`, 'items.jsonl', jsonRecords(n, k, item).join('\n') + '\n', [new RegExp(`row ${k + 1} \\(line ${k + 1}\\): expected a JSON object .*got ${kind}`)]);
}
for (let i = 0; i < 10; i++) {
  const body = `[${jsonRecords(int(2, 30), -1, null).join(',\n')}]`;
  add('json truncated', 'cut.json', body.slice(0, int(2, body.length - 1)), [/is not valid JSON \(it ends .*is it truncated\?\)/]);
}
add('json trailing comma', 'comma.json', `[${jsonRecords(3, -1, null).join(',')},]`, [/a trailing comma after record 3/]);
add('json trailing comma, spaced', 'comma.json', `[${jsonRecords(2, -1, null).join(',')} ,\n ]`, [/a trailing comma after record 2/]);
add('json two commas', 'commas.json', `[${jsonRecords(2, -1, null).join(',,')}]`, [/two commas in a row after record 1/]);
add('json empty array', 'empty-array.json', '[]', [/holds an empty array: no records/]);
add('json empty array, spaced', 'empty-array.json', ' [ \n ] ', [/holds an empty array: no records/]);
add('json text after the array', 'after.json', `[${jsonRecords(2, -1, null).join(',')}] x`, [/unexpected text after the array's closing "\]"/]);
add('json second array', 'after.json', `[${jsonRecords(2, -1, null).join(',')}][]`, [/unexpected text after the array's closing "\]"/]);
add('json white space only', 'ws.json', '  \n\t ', [/holds only white space: no JSON array/]);
add('json record over 1 MB', 'big.json', `[${JSON.stringify(validRecord(0))},{"cost":1,"pad":"${'a'.repeat(1_100_000)}"}]`, [/row 2 \(record 2 of the array\) is longer than 1 MB/]);
add('json unmatched brace', 'brace.json', `[${JSON.stringify(validRecord(0))}}]`, [/not valid JSON/]);
add('jsonl null line', 'null.jsonl', `${JSON.stringify(validRecord(0))}\nnull\n`, [/row 2 \(line 2\): expected a JSON object .*got null/]);
add('jsonl missing key', 'missing.jsonl', `${JSON.stringify(validRecord(0))}\n${JSON.stringify({ ...validRecord(1), design: undefined })}\n`, [/row 2, column design: is missing/]);
add('jsonl only blank lines', 'blank.jsonl', '\n \n\n', [/holds no records \(only blank lines\)/]);
add('jsonl "0b101" in design', 'bin.jsonl', JSON.stringify({ ...validRecord(0), design: [0, '0b101', 0, 0] }), [/row 1, column design\[1\]: value "0b101" is a binary number/]);

// ---- NPZ: optimization trajectories (design [R, 4], task [R, 2], cost [R]) ----

const f32 = (n: number, f: () => number): Float32Array => Float32Array.from({ length: n }, f);
interface Arrays {
  [name: string]: { descr: string; shape: number[]; data: Uint8Array; fortran?: boolean };
}
function trajectoryArrays(rows: number): Arrays {
  return {
    design: { descr: '<f4', shape: [rows, D], data: bytesOf(f32(rows * D, () => between(-0.9, 0.9))) },
    task: { descr: '<f4', shape: [rows, 2], data: bytesOf(Float32Array.from({ length: rows * 2 }, (_, i) => (i % 2 ? between(0.055, 0.085) : between(0.35, 0.85)))) },
    cost: { descr: '<f8', shape: [rows], data: bytesOf(Float64Array.from({ length: rows }, () => rand())) },
  };
}
function npzOf(arrays: Arrays, deflate = false, patch: (m: ZipMember[]) => void = () => {}): Uint8Array {
  const members = Object.entries(arrays).map(([name, a]) => ({ name: `${name}.npy`, data: npyBytes(npyDict(a.descr, a.shape, a.fortran), a.data), deflate }));
  patch(members);
  return zipBytes(members);
}
const addNpz = (id: string, bytes: Uint8Array, keywords: RegExp[]): void => add(`npz ${id}`, 'data.npz', bytes, keywords);

for (let i = 0; i < 6; i++) {
  const arrays = trajectoryArrays(int(2, 20));
  const name = pick(Object.keys(arrays));
  addNpz(`bad CRC in ${name}`, npzOf(arrays, i % 2 === 1, (ms) => (ms.find((m) => m.name === `${name}.npy`)!.crc = int(1, 2 ** 31))), [new RegExp(`"${name}\\.npy" fails its CRC-32 check .*damaged`)]);
}
for (let i = 0; i < 4; i++) {
  // a flipped byte in a stored entry's data: the CRC in the headers no longer matches
  const bytes = npzOf(trajectoryArrays(int(2, 20)));
  bytes[int(200, 260)]! ^= 1 << int(0, 7);
  addNpz('flipped data byte', bytes, [/fails its CRC-32 check/]);
}
for (let i = 0; i < 3; i++) {
  const bytes = npzOf(trajectoryArrays(3));
  bytes[0] = pick([0, 0x51, 0x7f]);
  addNpz('wrong magic', bytes, [/is not an \.npz file: it is not a zip archive/]);
}
addNpz('a single .npy', npyBytes(npyDict('<f4', [2]), new Uint8Array(8)), [/is a single \.npy array, not an \.npz archive/]);
for (let i = 0; i < 6; i++) {
  const bytes = npzOf(trajectoryArrays(int(2, 30)), i % 2 === 0);
  addNpz('truncated', bytes.subarray(0, int(30, bytes.length - 1)), [/could not be read .*truncated or damaged/]);
}
for (const header of ["{'descr': '<f8', 'fortran_order': False, 'shape': (3,", '[1, 2]', "{'descr': '<f8', 'fortran_order': False}", "{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }"]) {
  const arrays = trajectoryArrays(3);
  const members = Object.entries(arrays).map(([name, a]) => ({ name: `${name}.npy`, data: npyBytes(name === 'cost' ? header : npyDict(a.descr, a.shape), a.data) }));
  addNpz('cost with a bad header', zipBytes(members), [/no cost column/, /cost: array skipped: /]);
}
{
  const arrays = trajectoryArrays(3);
  const members = Object.entries(arrays).map(([name, a]) => ({ name: `${name}.npy`, data: name === 'cost' ? text('not numpy at all') : npyBytes(npyDict(a.descr, a.shape), a.data) }));
  addNpz('cost without the npy magic', zipBytes(members), [/cost: array skipped: not a \.npy array/]);
}
for (let i = 0; i < 2; i++) {
  const arrays = trajectoryArrays(int(3, 9));
  arrays.cost!.data = arrays.cost!.data.subarray(0, arrays.cost!.data.length - 8);
  addNpz('cost data shorter than its shape', npzOf(arrays), [/array cost: data has \d+ bytes, but shape \[\d+\] of float64 needs \d+/]);
}
for (let i = 0; i < 2; i++) {
  const rows = int(2, 9);
  const arrays = trajectoryArrays(rows);
  arrays.design = { descr: '<f4', shape: [rows, 3], data: bytesOf(f32(rows * 3, () => 0.1)) };
  addNpz('design [R, 3]', npzOf(arrays), [/row 1, column design: has 3 values; this project's designs have 4/]);
  const b = trajectoryArrays(rows);
  b.cost = { descr: '<f8', shape: [rows, 2], data: bytesOf(new Float64Array(rows * 2)) };
  addNpz('cost [R, 2]', npzOf(b), [/row 1, column cost: holds 2 values \[0, 0\] where one number is expected/]);
}
{
  const a = trajectoryArrays(4);
  a.design = { descr: '<f4', shape: [5, D], data: bytesOf(new Float32Array(5 * D)) };
  addNpz('design with more rows than cost', npzOf(a), [/no design columns .*design: array skipped: shape \[5, 4\] is neither \[4\] nor \[4, k\]/]);
  const b = trajectoryArrays(4);
  b.design = { descr: '<f4', shape: [4, 2, 2], data: bytesOf(new Float32Array(16)) };
  addNpz('design 3-D', npzOf(b), [/no design columns .*design: array skipped: shape \[4, 2, 2\]/]);
  const c = trajectoryArrays(4);
  c.design = { descr: '>f4', shape: [4, D], data: bytesOf(new Float32Array(16)) };
  addNpz('big-endian design', npzOf(c), [/no design columns .*design: array skipped: big-endian dtype '>f4' is not supported/]);
}
for (let i = 0; i < 2; i++) {
  const rows = int(3, 9);
  const r = int(0, rows - 1);
  const a = trajectoryArrays(rows);
  new Float64Array(a.cost!.data.buffer)[r] = Number.NaN;
  addNpz('NaN cost', npzOf(a), [new RegExp(`row ${r + 1}, column cost: value is NaN`)]);
  const b = trajectoryArrays(rows);
  b.design = { descr: '<f8', shape: [rows, D], data: bytesOf(Float64Array.from({ length: rows * D }, (_, j) => (j === r * D + 1 ? -Infinity : 0.1))) };
  addNpz('-inf in a float64 design', npzOf(b), [new RegExp(`row ${r + 1}, column design\\[1\\]: value -Infinity is infinite`)]);
  const c = trajectoryArrays(rows);
  new Float32Array(c.design!.data.buffer)[r * D + 2] = 3;
  addNpz('design out of range', npzOf(c), [new RegExp(`row ${r + 1}, column design\\[2\\]: value 3 is outside \\[-1, 1\\]`)]);
  const e = trajectoryArrays(rows);
  new Float32Array(e.task!.data.buffer)[r * 2] = 5;
  addNpz('task out of range', npzOf(e), [new RegExp(`row ${r + 1}, column task\\[0\\]: value 5 is outside the project's task range x 0.3–0.9`)]);
}
addNpz('no members', zipBytes([]), [/holds no readable arrays/]);
addNpz('unknown compression method', (() => {
  const bytes = npzOf(trajectoryArrays(2));
  const view = new DataView(bytes.buffer);
  // every central-directory entry says method 12 (bzip2)
  for (let p = 0; p + 4 <= bytes.length; p++) if (view.getUint32(p, true) === 0x02014b50) view.setUint16(p + 10, 12, true);
  return bytes;
})(), [/uses zip compression method 12; only stored and deflated entries/]);

const MiB = 2 ** 20;
const bombs: [string, () => Uint8Array, RegExp][] = [
  ['honest 1 GiB bomb', () => npzBomb(1024 * MiB), /unpacks to 1 GiB .*more than the import limit of 256 MiB unpacked/],
  ['300 MiB bomb whose headers claim 4 KiB', () => npzBomb(300 * MiB, { declared: 4096 }), /unpacks to more than the 4 KiB its header declares .*import limit is 256 MiB/],
  ['.npy header of shape [2^30] float64', () => npzBomb(4096, { shape: [2 ** 30] }), /shape \[1073741824\] of float64 needs 8 GiB, more than the import limit of 256 MiB/],
  ['central directory declaring 300 MiB', () => zipBytes([{ name: 'cost.npy', data: npyBytes(npyDict('<f8', [1]), new Uint8Array(8)), size: 300 * MiB }]), /more than the import limit of 256 MiB/],
];
for (const [what, make, keyword] of bombs) addNpz(what, make(), [keyword]);

// ---- physics .npz (positions [T, N, 2], particle_type [N], design [4], task [2]) ----

function physicsArrays(task: [number, number] = [0.6, 0.07]): Arrays {
  return {
    positions: { descr: '<f4', shape: [3, 4, 2], data: bytesOf(f32(24, () => between(0, 1))) },
    particle_type: { descr: '<i8', shape: [4], data: bytesOf(BigInt64Array.from([5n, 5n, 5n, 3n])) },
    design: { descr: '<f4', shape: [D], data: bytesOf(f32(D, () => between(-0.9, 0.9))) },
    task: { descr: '<f4', shape: [2], data: bytesOf(Float32Array.from(task)) },
  };
}
const addPhysics = (id: string, bytes: Uint8Array, keywords: RegExp[]): void => add(`physics ${id}`, 'physics.npz', bytes, keywords, 'physics');
addPhysics('task [5, -3]', npzOf(physicsArrays([5, -3])), [/^task: value 5 is outside the project's task range x 0.3–0.9 \(index \[0\]\)/]);
addPhysics('task y -3', npzOf(physicsArrays([0.5, -3])), [/^task: value -3 is outside the project's task range y 0.05–0.09 \(index \[1\]\)/]);
addPhysics('task y 0.35', npzOf(physicsArrays([0.5, 0.35])), [/task range y 0.05–0.09/]);
for (let i = 0; i < 3; i++) {
  const a = physicsArrays();
  const name = pick(Object.keys(a));
  addPhysics(`bad CRC in ${name}`, npzOf(a, i === 1, (ms) => {
    const m = ms.find((x) => x.name === `${name}.npy`)!;
    m.crc = (crc32(m.data) ^ 0x5a5a) >>> 0;
  }), [new RegExp(`"${name}\\.npy" fails its CRC-32 check`)]);
}
for (const [what, make, keyword] of bombs) addPhysics(what, make(), [keyword]);
addPhysics('empty file', new Uint8Array(0), [/the file is empty/]);
for (let i = 0; i < 2; i++) {
  const bytes = npzOf(physicsArrays());
  bytes[1] = 0x00;
  addPhysics('wrong magic', bytes, [/not an \.npz file: it is not a zip archive/]);
  const t = npzOf(physicsArrays(), true);
  addPhysics('truncated', t.subarray(0, int(30, t.length - 1)), [/could not be read .*truncated or damaged/]);
}
{
  const a = physicsArrays();
  a.positions = { descr: '<f4', shape: [3, 4, 3], data: bytesOf(new Float32Array(36)) };
  addPhysics('positions [T, N, 3]', npzOf(a), [/positions: expected shape \[T, N, 2\], got \[3, 4, 3\]/]);
  const b = physicsArrays();
  new Float32Array(b.positions!.data.buffer)[int(0, 23)] = Number.NaN;
  addPhysics('NaN position', npzOf(b), [/positions: value NaN at index \[\d+, \d+, \d+\] is not finite/]);
  const c = physicsArrays();
  c.particle_type = { descr: '<f4', shape: [4], data: bytesOf(new Float32Array(4)) };
  addPhysics('float particle types', npzOf(c), [/particle_type: expected an integer array, got float32/]);
  const d = physicsArrays();
  delete d.particle_type;
  addPhysics('no particle types', npzOf(d), [/particle_type: missing/]);
  const e = physicsArrays();
  new Float32Array(e.design!.data.buffer)[1] = -1.5;
  addPhysics('design out of range', npzOf(e), [/design: value -1.5 at index \[1\] is outside \[-1, 1\]/]);
  const f = physicsArrays();
  f.velocity = f.design!;
  addPhysics('unknown array', npzOf(f), [/velocity: unexpected array/]);
}

/** A workbench with one project of D joints and a scratch folder, calling the API as the CLI does (paths allowed). */
function importBench(name: string): { t: ReturnType<typeof testWorkbench>; dir: ReturnType<typeof tempDir>; call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>; projectId: number } {
  const t = testWorkbench();
  const dir = tempDir();
  const handlers = createHandlers(t.wb, { filePaths: true });
  const projectId = t.wb.projects.create({ name, environment: 'fluidtool-2d', settings: { joints: D } }).id;
  return { t, dir, call: (m, a) => dispatch(handlers, m, a), projectId };
}

describe('import fuzz: malformed files are refused by name, leaving nothing behind', () => {
  let t: ReturnType<typeof testWorkbench>;
  let dir: ReturnType<typeof tempDir>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  beforeAll(() => void ({ t, dir, call, projectId } = importBench('Fuzz')));
  afterAll(async () => {
    await t.dispose();
    dir.remove();
  });
  // a case that wrongly imports must not fail every case after it
  afterEach(() => void t.wb.db.exec('DELETE FROM datasets'));

  it('generates at least 300 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_, c) => {
    let result: ApiEnvelope<unknown>;
    if (c.kind === 'trajectory') {
      const sub = join(dir.path, String(cases.indexOf(c)));
      mkdirSync(sub);
      const path = join(sub, c.file);
      writeFileSync(path, c.bytes);
      result = await call('datasets.importOptimization', { projectId, name: 'fuzz', source: { path }, ...(c.format ? { format: c.format } : {}) });
    } else {
      result = await call('datasets.importPhysics', { projectId, name: 'fuzz', npzBase64: Buffer.from(c.bytes).toString('base64'), fileName: c.file });
    }
    expect(result.ok, 'the import must fail').toBe(false);
    if (result.ok) return;
    const message = result.error.message;
    expect(result.error.code, message).toBe('invalid_argument');
    for (const re of c.expect) expect(message).toMatch(re);
    expect(message).not.toMatch(/RangeError|call stack|\n\s+at /);
    expect(message.length).toBeLessThan(1000);
    // nothing left behind, and the database is intact
    expect(countRows(t.wb, 'datasets')).toBe(0);
    expect(countRows(t.wb, 'optimization_records')).toBe(0);
    expect(countRows(t.wb, 'physics_trajectories')).toBe(0);
    expect(t.wb.db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
  });
});

describe('import edge files that must import', () => {
  let t: ReturnType<typeof testWorkbench>;
  let dir: ReturnType<typeof tempDir>;
  let call: (m: string, a: unknown) => Promise<ApiEnvelope<unknown>>;
  let projectId: number;
  beforeAll(() => void ({ t, dir, call, projectId } = importBench('Edges')));
  afterAll(async () => {
    await t.dispose();
    dir.remove();
  });
  const importBytes = async (file: string, bytes: Uint8Array | string): Promise<OptimizationDatasetInfo> => {
    const path = join(dir.path, file);
    writeFileSync(path, bytes);
    return ok<OptimizationDatasetInfo>(await call('datasets.importOptimization', { projectId, name: file, source: { path } }));
  };
  const records = (id: number) => [...new OptimizationDatasets(t.wb.db).records(id)];

  it('a CSV with a UTF-8 byte-order mark and CRLF line ends', async () => {
    const rows = validRows(5);
    const ds = await importBytes('bom-crlf.csv', '\ufeff' + csv(HEADER, rows, '\r\n'));
    expect(ds.stats.rows).toBe(5);
    const r = records(ds.id);
    expect(r[4]!.cost).toBeCloseTo(Number(rows[4]![9]), 6);
    expect(r[0]!.run).toBe('r0');
    expect(Array.from(r[2]!.design)).toEqual(Array.from(Float32Array.from(rows[2]!.slice(5, 9).map(Number))));
  });

  it('decimal numbers in every form: signs, exponents, leading dots, spaces', async () => {
    const rows = [['r', 'cem', '0', '6e-1', '+.07', '-1', '1.', '.5E0', ' -0.25 ', '1e-3']];
    const ds = await importBytes('decimal.csv', csv(HEADER, rows));
    const r = records(ds.id)[0]!;
    expect(Array.from(r.design)).toEqual([-1, 1, 0.5, -0.25]);
    expect(r.cost).toBe(0.001);
    expect(Array.from(r.task)).toEqual(Array.from(Float32Array.of(0.6, 0.07)));
  });

  it('an NPZ of float64 arrays in Fortran order, with cost of shape [R, 1]', async () => {
    const R = 6;
    const design = Float64Array.from({ length: R * D }, (_, i) => (i - 12) / 16); // C order [R, D]
    const fortran = new Float64Array(R * D);
    for (let r = 0; r < R; r++) for (let k = 0; k < D; k++) fortran[k * R + r] = design[r * D + k]!;
    const task = Float64Array.from({ length: R * 2 }, (_, i) => (i % 2 ? 0.07 : 0.5));
    const taskF = new Float64Array(R * 2);
    for (let r = 0; r < R; r++) for (let k = 0; k < 2; k++) taskF[k * R + r] = task[r * 2 + k]!;
    const cost = Float64Array.from({ length: R }, (_, i) => i / 10);
    const bytes = npzOf(
      {
        design: { descr: '<f8', shape: [R, D], data: bytesOf(fortran), fortran: true },
        task: { descr: '<f8', shape: [R, 2], data: bytesOf(taskF), fortran: true },
        cost: { descr: '<f8', shape: [R, 1], data: bytesOf(cost) },
      },
      true,
    );
    const ds = await importBytes('fortran.npz', bytes);
    const r = records(ds.id);
    expect(r).toHaveLength(R);
    for (let i = 0; i < R; i++) {
      expect(Array.from(r[i]!.design)).toEqual(Array.from(design.subarray(i * D, (i + 1) * D)));
      expect(r[i]!.cost).toBeCloseTo(i / 10, 12);
    }
  });

  it('a 20,000-record JSON array written on one line (as json.dump and JSON.stringify write it)', async () => {
    const list = Array.from({ length: 20_000 }, (_, i) => validRecord(i));
    const body = JSON.stringify(list);
    expect(body.includes('\n')).toBe(false);
    expect(body.length).toBeGreaterThan(2 * 2 ** 20);
    const ds = await importBytes('one-line.json', body);
    expect(ds.stats.rows).toBe(20_000);
    const r = records(ds.id);
    expect(r[19_999]!.cost).toBe(list[19_999]!.cost);
    expect(r[123]!.run).toBe(list[123]!.run);
    // strings holding brackets, commas and escaped quotes do not confuse the record scanner
    const tricky = [{ ...validRecord(0), run: 'a],[{"b\\"' }, { ...validRecord(1), run: '}{' }];
    const ds2 = await importBytes('tricky.json', JSON.stringify(tricky, null, 1));
    expect(records(ds2.id).map((x) => x.run)).toEqual(['a],[{"b\\"', '}{']);
  });

  it('a one-line JSON that fails after the first 20,000 rows were written leaves nothing behind', async () => {
    const list: unknown[] = Array.from({ length: 24_000 }, (_, i) => validRecord(i));
    list[23_456] = { ...validRecord(0), design: [0, 0, '0x10', 0] };
    const path = join(dir.path, 'late.json');
    writeFileSync(path, JSON.stringify(list));
    const before = countRows(t.wb, 'datasets');
    const e = await call('datasets.importOptimization', { projectId, name: 'late', source: { path } });
    expect(e.ok).toBe(false);
    if (!e.ok) expect(e.error.message).toMatch(/^row 23457, column design\[2\]: value "0x10" is a hexadecimal number/);
    expect(countRows(t.wb, 'datasets')).toBe(before);
    expect(t.wb.db.prepare("SELECT COUNT(*) FROM optimization_records WHERE dataset_id NOT IN (SELECT id FROM datasets)").pluck().get()).toBe(0);
    expect(t.wb.db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
  });

  it('a physics .npz with float64 positions in Fortran order', async () => {
    const T = 3;
    const N = 4;
    const c = Float64Array.from({ length: T * N * 2 }, (_, i) => i / 64);
    const f = new Float64Array(c.length);
    for (let a = 0; a < T; a++) for (let b = 0; b < N; b++) for (let k = 0; k < 2; k++) f[a + T * (b + N * k)] = c[(a * N + b) * 2 + k]!;
    const arrays = physicsArrays();
    arrays.positions = { descr: '<f8', shape: [T, N, 2], data: bytesOf(f), fortran: true };
    const ds = ok<DatasetInfo>(await call('datasets.importPhysics', { projectId, name: 'F', npzBase64: Buffer.from(npzOf(arrays, true)).toString('base64'), fileName: 'f.npz' }));
    const [traj] = t.wb.datasets.trajectories(ds.id);
    expect(Array.from(traj!.positions)).toEqual(Array.from(Float32Array.from(c)));
  });

  it('refuses what is not a regular file before reading it: a device, a FIFO, a directory', async () => {
    expect(() => readRegularFile('/dev/urandom', 2 ** 20, 'the limit')).toThrow(/it is a device, not a regular file/);
    expect(() => readRegularFile(dir.path, 2 ** 20, 'the limit')).toThrow(/it is a directory, not a regular file/);
    const e = await call('datasets.importOptimization', { projectId, name: 'dev', source: { path: '/dev/urandom' }, format: 'csv' });
    expect(e.ok).toBe(false);
    if (!e.ok) expect(e.error.message).toMatch(/Cannot read \/dev\/urandom: it is a device, not a regular file/);
    const fifo = join(dir.path, 'pipe.npz');
    execFileSync('mkfifo', [fifo]);
    // would block forever if it were opened for a blocking read
    expect(() => readRegularFile(fifo, 2 ** 20, 'the limit')).toThrow(/it is a FIFO \(named pipe\), not a regular file/);
    const f = await call('datasets.importOptimization', { projectId, name: 'fifo', source: { path: fifo } });
    expect(f.ok).toBe(false);
    if (!f.ok) expect(f.error.message).toMatch(/FIFO/);
    const big = join(dir.path, 'big.npz');
    writeFileSync(big, new Uint8Array(4096));
    expect(() => readRegularFile(big, 1000, 'the import limit of 1000 bytes')).toThrow(/more than the import limit of 1000 bytes/);
  });

  it('argument messages: an array where an object belongs, infinity where a number belongs, an empty upload', async () => {
    const a = await call('projects.create', []);
    expect(a.ok).toBe(false);
    if (!a.ok) expect(a.error.message).toMatch(/must be an object, got an array/);
    const b = await call('projects.create', { name: 'x', settings: { frames: Infinity } });
    expect(b.ok).toBe(false);
    if (!b.ok) expect(b.error.message).toMatch(/settings\.frames: must be a number, got Infinity \(a number beyond the float range/);
    const c = await call('datasets.importPhysics', { projectId, name: 'e', npzBase64: '', fileName: 'e.npz' });
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.error.message).toMatch(/npzBase64: the file is empty/);
  });
});
