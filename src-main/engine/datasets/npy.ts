// NumPy .npy codec: format versions 1.0, 2.0 and 3.0, little-endian numeric dtypes, C order
// (Fortran-order arrays are read and reordered).
// Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html

export type NpyDtype = 'f4' | 'f8' | 'i1' | 'u1' | 'i2' | 'i4' | 'i8' | 'u4' | 'u8' | 'b1';

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint32Array
  | BigUint64Array;

/** One array: `data` is C-order, its length is the product of `shape` (1 for a scalar). */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

/** Something `writeNpy` can write: the shape may be read-only. */
export interface NpyArrayLike {
  dtype: NpyDtype;
  shape: readonly number[];
  data: NpyData;
}

/** A malformed or unsupported array; `array` is the array's name, `problem` what is wrong with it. */
export class NpyFormatError extends Error {
  constructor(
    readonly array: string,
    readonly problem: string,
  ) {
    super(`${array}: ${problem}`);
    this.name = 'NpyFormatError';
  }
}

type TypedArrayConstructor = { new (length: number): NpyData; readonly BYTES_PER_ELEMENT: number };

const DTYPES: Record<NpyDtype, { ctor: TypedArrayConstructor; label: string }> = {
  f4: { ctor: Float32Array, label: 'float32' },
  f8: { ctor: Float64Array, label: 'float64' },
  i1: { ctor: Int8Array, label: 'int8' },
  u1: { ctor: Uint8Array, label: 'uint8' },
  i2: { ctor: Int16Array, label: 'int16' },
  i4: { ctor: Int32Array, label: 'int32' },
  i8: { ctor: BigInt64Array, label: 'int64' },
  u4: { ctor: Uint32Array, label: 'uint32' },
  u8: { ctor: BigUint64Array, label: 'uint64' },
  b1: { ctor: Uint8Array, label: 'bool' },
};
const SUPPORTED = 'float32, float64, int8, uint8, int16, int32, int64, uint32, uint64, bool';

export function isNpyDtype(s: string): s is NpyDtype {
  return Object.prototype.hasOwnProperty.call(DTYPES, s);
}

/** numpy's name of a dtype, for messages ("float32", "int64"). */
export function dtypeLabel(dtype: NpyDtype): string {
  return DTYPES[dtype].label;
}

export function isFloatDtype(dtype: NpyDtype): dtype is 'f4' | 'f8' {
  return dtype === 'f4' || dtype === 'f8';
}

export function isIntegerDtype(dtype: NpyDtype): boolean {
  return dtype !== 'f4' && dtype !== 'f8' && dtype !== 'b1';
}

/** `[50, 256, 2]`, the way shapes are written in messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

// Typed arrays use the platform's byte order; every platform the workbench runs on is little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error('The .npy codec needs a little-endian platform.');
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Longest .npy header read: numpy writes a few hundred bytes (and itself reads at most 10,000 by default). */
const MAX_HEADER_BYTES = 65536;

interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  fortran: boolean;
  dataStart: number;
  /** bytes of the whole file the header describes (header + data) */
  total: number;
}

/**
 * The header of a .npy file; with `partial`, null when `bytes` (the file's first bytes) end
 * before the header does. Errors are `NpyFormatError`s naming `name` and the problem.
 */
function readHeader(bytes: Uint8Array, name: string, partial: boolean): NpyHeader | null {
  const fail = (problem: string): never => {
    throw new NpyFormatError(name, problem);
  };
  const have = Math.min(bytes.byteLength, MAGIC.length);
  if (MAGIC.slice(0, have).some((b, i) => bytes[i] !== b) || (!partial && have < MAGIC.length)) {
    fail('not a .npy array (the file does not start with the \\x93NUMPY magic string)');
  }
  if (bytes.byteLength < 8) return partial ? null : fail('truncated header: the file ends inside the format version');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (![1, 2, 3].includes(major) || minor !== 0) fail(`unsupported .npy format version ${major}.${minor} (1.0, 2.0 and 3.0 are read)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.byteLength < 8 + lengthBytes) return partial ? null : fail('truncated header: the file ends inside the header length');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES) fail(`header declares ${headerLength} bytes; a .npy header is at most ${MAX_HEADER_BYTES} bytes here (numpy writes a few hundred)`);
  const dataStart = 8 + lengthBytes + headerLength;
  if (dataStart > bytes.byteLength) {
    if (partial) return null;
    fail(`truncated header: it declares ${headerLength} bytes but only ${bytes.byteLength - 8 - lengthBytes} follow`);
  }
  const headerBytes = bytes.subarray(8 + lengthBytes, dataStart);
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);

  let header: PyValue;
  try {
    header = parsePyLiteral(headerText);
  } catch (err) {
    return fail(`header is not a Python dict literal (${(err as Error).message}): ${JSON.stringify(headerText.trim().slice(0, 80))}`);
  }
  if (!(header instanceof Map)) return fail(`header is not a dict: ${JSON.stringify(headerText.trim().slice(0, 80))}`);
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!header.has(key)) fail(`header has no '${key}' entry`);
  }
  const descr = header.get('descr');
  const fortran = header.get('fortran_order');
  const shapeValue = header.get('shape');

  const dtype = parseDescr(descr, fail);
  if (typeof fortran !== 'boolean') fail(`header's fortran_order is not True or False`);
  if (!Array.isArray(shapeValue) || !shapeValue.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    return fail(`header's shape is not a tuple of non-negative integers`);
  }
  const shape = shapeValue as number[];
  const count = shape.reduce((a, d) => a * d, 1);
  const expected = count * DTYPES[dtype].ctor.BYTES_PER_ELEMENT;
  if (!Number.isSafeInteger(expected)) fail(`shape ${formatShape(shape)} is too large`);
  return { dtype, shape, fortran: fortran as boolean, dataStart, total: dataStart + expected };
}

/**
 * From the first bytes of a .npy file, the size the whole file must have: null when the header
 * goes on past these bytes. Lets a reader refuse a huge shape before inflating the data.
 */
export function npyDataBytes(first: Uint8Array, name: string): { total: number; dataStart: number; shape: string; label: string } | null {
  const h = readHeader(first, name, true);
  return h && { total: h.total, dataStart: h.dataStart, shape: formatShape(h.shape), label: DTYPES[h.dtype].label };
}

/** Decodes one .npy file (C or Fortran order; the data comes back in C order). Errors are `NpyFormatError`s naming `name` and the problem. */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  assertLittleEndian();
  const { dtype, shape, fortran, dataStart, total } = readHeader(bytes, name, false)!;
  const { ctor } = DTYPES[dtype];
  const expected = total - dataStart;
  const got = bytes.byteLength - dataStart;
  if (got !== expected) {
    throw new NpyFormatError(name, `data has ${got} bytes, but shape ${formatShape(shape)} of ${DTYPES[dtype].label} needs ${expected}`);
  }
  const count = expected / ctor.BYTES_PER_ELEMENT;
  let data: NpyData;
  if ((bytes.byteOffset + dataStart) % ctor.BYTES_PER_ELEMENT === 0) {
    // aligned (numpy pads its header to 64 bytes; an inflated entry starts its own buffer): a view, no copy
    data = new (ctor as unknown as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => NpyData)(bytes.buffer, bytes.byteOffset + dataStart, count);
  } else {
    // copy into a fresh buffer: the data in a file or zip entry need not be aligned for its element size
    data = new ctor(count);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart));
  }
  if (fortran && shape.length > 1) return { dtype, shape, data: fortranToC(data, shape) };
  return { dtype, shape, data };
}

/** Column-major (Fortran order) data as row-major (C order). */
function fortranToC(data: NpyData, shape: readonly number[]): NpyData {
  const out = new (data.constructor as TypedArrayConstructor)(data.length);
  const n = shape.length;
  // strides of the Fortran layout, walked in C order with an odometer
  const fStride = new Array<number>(n);
  let s = 1;
  for (let k = 0; k < n; k++) {
    fStride[k] = s;
    s *= shape[k]!;
  }
  const index = new Array<number>(n).fill(0);
  let f = 0;
  for (let c = 0; c < data.length; c++) {
    (out as unknown as number[])[c] = (data as unknown as number[])[f]!;
    for (let k = n - 1; k >= 0; k--) {
      if (++index[k]! < shape[k]!) {
        f += fStride[k]!;
        break;
      }
      f -= fStride[k]! * (shape[k]! - 1);
      index[k] = 0;
    }
  }
  return out;
}

function parseDescr(descr: PyValue | undefined, fail: (problem: string) => never): NpyDtype {
  if (typeof descr !== 'string') {
    return fail(`structured dtype ${JSON.stringify(descr)} is not supported; save plain arrays of one of ${SUPPORTED}`);
  }
  const order = descr[0];
  const code = descr.slice(1);
  if (descr === '|O' || code === 'O' || descr === 'O') {
    return fail(
      "dtype 'O': pickled object arrays are not supported; save plain numeric arrays instead, " +
        "e.g. np.savez(path, positions=np.asarray(positions, dtype=np.float32), particle_type=np.asarray(types, dtype=np.int64))",
    );
  }
  if (order === '>') return fail(`big-endian dtype '${descr}' is not supported; save a.astype('<${code}') instead`);
  if ((order !== '<' && order !== '|') || !isNpyDtype(code)) {
    return fail(`unsupported dtype '${descr}'; supported dtypes are ${SUPPORTED}`);
  }
  if (order === '|' && DTYPES[code].ctor.BYTES_PER_ELEMENT > 1) {
    return fail(`dtype '${descr}' gives no byte order for a multi-byte type; save a.astype('<${code}') instead`);
  }
  return code;
}

/** Encodes an array as a version 1.0 .npy file (version 2.0 if the header needs it), as np.save does. */
export function writeNpy(array: NpyArrayLike): Uint8Array {
  const { ctor, label } = DTYPES[array.dtype];
  if (!(array.data instanceof ctor)) throw new Error(`writeNpy: dtype ${label} needs a ${ctor.name}, got a ${array.data.constructor.name}`);
  const count = array.shape.reduce((a, d) => a * d, 1);
  if (array.data.length !== count) {
    throw new Error(`writeNpy: shape ${formatShape(array.shape)} holds ${count} values, the data has ${array.data.length}`);
  }
  const d = array.data;
  return writeNpyBytes(array.dtype, array.shape, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
}

/** Encodes data that is already little-endian and in C order (e.g. a float32 BLOB) without decoding it. */
export function writeNpyBytes(dtype: NpyDtype, shape: readonly number[], data: Uint8Array): Uint8Array {
  assertLittleEndian();
  const { ctor } = DTYPES[dtype];
  if (!shape.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new Error(`writeNpy: invalid shape ${formatShape(shape)}`);
  const count = shape.reduce((a, n) => a * n, 1);
  if (data.byteLength !== count * ctor.BYTES_PER_ELEMENT) {
    throw new Error(`writeNpy: shape ${formatShape(shape)} of ${DTYPES[dtype].label} needs ${count * ctor.BYTES_PER_ELEMENT} bytes, got ${data.byteLength}`);
  }
  const order = ctor.BYTES_PER_ELEMENT === 1 ? '|' : '<';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${order}${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy pads the header with spaces and a newline so that the data starts on a 64-byte boundary
  let version = 1;
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    version = 2;
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  }
  const headerLength = total - prefix;
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  const text = dict.padEnd(headerLength - 1, ' ') + '\n';
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  out.set(data, total);
  return out;
}

/** `[3, 17, 0]`: the C-order index of flat element `flat` in `shape`. */
function indexIn(shape: readonly number[], flat: number): string {
  if (shape.length <= 1) return `[${flat}]`;
  const index: number[] = [];
  let rest = flat;
  for (let k = shape.length - 1; k >= 0; k--) {
    const n = shape[k]!;
    index.unshift(rest % n);
    rest = Math.floor(rest / n);
  }
  return formatShape(index);
}

/** The array as float32: float32 or float64 only, every value finite (and in float32 range). */
export function toFloat32(a: NpyArray, name: string): Float32Array {
  if (!isFloatDtype(a.dtype)) throw new NpyFormatError(name, `expected a float32 or float64 array, got ${DTYPES[a.dtype].label}`);
  const out = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as Float64Array);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) {
      const original = a.data[i] as number;
      const why = Number.isFinite(original) ? 'is outside the float32 range' : 'is not finite';
      throw new NpyFormatError(name, `value ${original} at index ${indexIn(a.shape, i)} ${why}`);
    }
  }
  return out;
}

/** The array as int32: integer dtypes only; 64-bit and uint32 values must fit in int32. */
export function toIntArray(a: NpyArray, name: string): Int32Array {
  if (!isIntegerDtype(a.dtype)) throw new NpyFormatError(name, `expected an integer array, got ${DTYPES[a.dtype].label}`);
  if (a.data instanceof Int32Array) return a.data;
  const out = new Int32Array(a.data.length);
  for (let i = 0; i < a.data.length; i++) {
    const v = a.data[i]!;
    const n = typeof v === 'bigint' ? (v >= -2147483648n && v <= 2147483647n ? Number(v) : Number.NaN) : v;
    if (!(n >= -2147483648 && n <= 2147483647)) {
      throw new NpyFormatError(name, `value ${String(v)} at index ${indexIn(a.shape, i)} does not fit in a 32-bit integer`);
    }
    out[i] = n;
  }
  return out;
}

// ---- the Python literal of a .npy header: dicts, tuples, lists, strings, integers, booleans, None ----

export type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

function parsePyLiteral(text: string): PyValue {
  let pos = 0;
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const error = (what: string): never => {
    throw new Error(`${what} at character ${pos}`);
  };
  let depth = 0;
  const value = (): PyValue => {
    skipSpace();
    if (depth > 16) error('nested more than 16 levels deep');
    const c = text[pos];
    if (c === undefined) return error('unexpected end');
    if (c === '{') {
      pos++;
      depth++;
      const map = new Map<string, PyValue>();
      for (;;) {
        skipSpace();
        if (text[pos] === '}') {
          pos++;
          depth--;
          return map;
        }
        const key = value();
        if (typeof key !== 'string') error('dict key is not a string');
        skipSpace();
        if (text[pos] !== ':') error("expected ':'");
        pos++;
        map.set(key as string, value());
        skipSpace();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== '}') error("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      pos++;
      depth++;
      const items: PyValue[] = [];
      for (;;) {
        skipSpace();
        if (text[pos] === close) {
          pos++;
          depth--;
          return items;
        }
        items.push(value());
        skipSpace();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== close) error(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, pos + 1);
      if (end < 0) error('unterminated string');
      const s = text.slice(pos + 1, end);
      pos = end + 1;
      return s;
    }
    const word = /^(?:-?\d+L?|True|False|None)/.exec(text.slice(pos));
    if (!word) return error(`unexpected ${JSON.stringify(c)}`);
    pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0].replace('L', ''));
  };
  const result = value();
  skipSpace();
  if (pos !== text.length) error('unexpected text after the literal');
  return result;
}
