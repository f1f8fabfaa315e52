// .npz archives: a zip of .npy files, one per array, as np.savez and np.savez_compressed write them.
// Reading is guarded against decompression bombs: the sizes in the zip's central directory and
// each .npy header's shape are checked against MAX_UNPACKED_BYTES before anything is inflated,
// inflation is streamed and stops at the declared size (in case the headers lie), and each
// entry's CRC-32 is checked.
import * as zlib from 'node:zlib';
import { Inflate, zipSync, type Zippable } from 'fflate';
import { NpyFormatError, npyDataBytes, parseNpy, writeNpy, type NpyArray, type NpyArrayLike } from './npy';

/** A file that is not a readable .npz archive at all (as opposed to one malformed array in it). */
export class NpzFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpzFormatError';
  }
}

// fflate's zip writer has no zip64: sizes and offsets must stay below 4 GiB
const ZIP32_LIMIT = 0xffff_ffff - 1024 * 1024;

/** Most bytes an imported .npz may unpack to, all its arrays together. */
export const MAX_UNPACKED_BYTES = 256 * 2 ** 20;

/** "256 MiB", the way sizes are written in messages. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${+(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${+(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

export interface NpzReadOptions {
  /** most unpacked bytes, all entries together (default MAX_UNPACKED_BYTES) */
  maxUnpackedBytes?: number;
}

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (the zip polynomial): node's zlib where it has one, else a table. */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (native) return native(data) >>> 0;
  let c = -1;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function damaged(problem: string): NpzFormatError {
  return new NpzFormatError(`The .npz archive could not be read (${problem}); it may be truncated or damaged.`);
}

/** The entries listed in the zip's central directory (zip64 sizes included), without reading their data. */
function centralDirectory(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= 0 && i >= bytes.length - 22 - 0xffff; i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw damaged('no end-of-central-directory record');
  let count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || offset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== 0x07064b50) throw damaged('a zip64 archive without its zip64 locator');
    const z = Number(view.getBigUint64(locator + 8, true));
    if (z + 56 > bytes.length || view.getUint32(z, true) !== 0x06064b50) throw damaged('the zip64 end-of-central-directory record is missing');
    count = Number(view.getBigUint64(z + 32, true));
    offset = Number(view.getBigUint64(z + 48, true));
  }
  const entries: ZipEntry[] = [];
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) throw damaged(`central directory entry ${i + 1} of ${count} is missing`);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    if (p + 46 + nameLength + extraLength > bytes.length) throw damaged(`central directory entry ${i + 1} is cut short`);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    const e: ZipEntry = {
      name,
      flags: view.getUint16(p + 8, true),
      method: view.getUint16(p + 10, true),
      crc: view.getUint32(p + 16, true),
      compressedSize: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true),
      localOffset: view.getUint32(p + 42, true),
    };
    // zip64 extra field: the 64-bit values of the fields set to 0xffffffff, in this order
    if (e.size === 0xffffffff || e.compressedSize === 0xffffffff || e.localOffset === 0xffffffff) {
      let x = p + 46 + nameLength;
      const end = x + extraLength;
      while (x + 4 <= end) {
        const id = view.getUint16(x, true);
        const len = view.getUint16(x + 2, true);
        if (id === 1) {
          let f = x + 4;
          const next = (): number => {
            if (f + 8 > x + 4 + len) throw damaged(`entry "${name}" has a short zip64 field`);
            const v = Number(view.getBigUint64(f, true));
            f += 8;
            return v;
          };
          if (e.size === 0xffffffff) e.size = next();
          if (e.compressedSize === 0xffffffff) e.compressedSize = next();
          if (e.localOffset === 0xffffffff) e.localOffset = next();
          break;
        }
        x += 4 + len;
      }
    }
    entries.push(e);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The entries of a zip as bytes, keyed by name (directories left out), in archive order. Refuses
 * before inflating when the declared sizes add up to more than the cap, when `head` (given the
 * first bytes of an entry and its declared size) objects, and while inflating when an entry
 * unpacks to more than it declared; checks every entry's CRC-32.
 */
export function unzipLimited(
  bytes: Uint8Array,
  opts: NpzReadOptions & { head?: (name: string, first: Uint8Array, size: number) => void } = {},
): Map<string, Uint8Array> {
  const cap = opts.maxUnpackedBytes ?? MAX_UNPACKED_BYTES;
  const entries = centralDirectory(bytes).filter((e) => !e.name.endsWith('/'));
  const total = entries.reduce((a, e) => a + e.size, 0);
  if (total > cap) {
    const big = entries.reduce((a, e) => (e.size > a.size ? e : a));
    throw new NpzFormatError(
      `The .npz archive unpacks to ${formatBytes(total)} (${JSON.stringify(big.name)} alone to ${formatBytes(big.size)}), more than the import limit of ${formatBytes(cap)} unpacked; split the data into smaller files.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, Uint8Array>();
  for (const e of entries) {
    if (e.flags & 1) throw new NpzFormatError(`The .npz archive's entry ${JSON.stringify(e.name)} is encrypted; save it without a password.`);
    const at = e.localOffset;
    if (at + 30 > bytes.length || view.getUint32(at, true) !== 0x04034b50) throw damaged(`the local header of ${JSON.stringify(e.name)} is missing`);
    const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
    if (start + e.compressedSize > bytes.length) throw damaged(`${JSON.stringify(e.name)} is cut short: ${formatBytes(bytes.length - start)} of its ${formatBytes(e.compressedSize)}`);
    const packed = bytes.subarray(start, start + e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) throw damaged(`stored entry ${JSON.stringify(e.name)} declares ${e.size} bytes but holds ${e.compressedSize}`);
      if (opts.head) opts.head(e.name, packed.subarray(0, 4096), e.size);
      data = packed;
    } else if (e.method === 8) {
      data = inflateLimited(packed, e, cap, opts.head);
    } else {
      throw new NpzFormatError(`The .npz archive's entry ${JSON.stringify(e.name)} uses zip compression method ${e.method}; only stored and deflated entries (what np.savez and np.savez_compressed write) are read.`);
    }
    if (crc32(data) !== e.crc) {
      throw new NpzFormatError(`The .npz archive's entry ${JSON.stringify(e.name)} fails its CRC-32 check (the data does not match its checksum): the file is damaged.`);
    }
    out.set(e.name, data);
  }
  return out;
}

/** Inflates one entry into a buffer of its declared size, refusing as soon as it would unpack to more. */
function inflateLimited(packed: Uint8Array, e: ZipEntry, cap: number, head?: (name: string, first: Uint8Array, size: number) => void): Uint8Array {
  const data = new Uint8Array(e.size);
  let filled = 0;
  let headChecked = !head;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    if (filled + chunk.length > e.size) {
      throw new NpzFormatError(
        `The .npz archive's entry ${JSON.stringify(e.name)} unpacks to more than the ${formatBytes(e.size)} its header declares (a decompression bomb, or a damaged file); refused (the import limit is ${formatBytes(cap)} unpacked).`,
      );
    }
    data.set(chunk, filled);
    filled += chunk.length;
    if (!headChecked && (filled >= Math.min(4096, e.size) || final)) {
      headChecked = true;
      head!(e.name, data.subarray(0, filled), e.size);
    }
    if (final) ended = true;
  });
  // small steps: zeros deflate about 1000:1, so one step unpacks to at most a few MiB past the limit
  const STEP = 4 * 1024;
  try {
    for (let i = 0; i < packed.length; i += STEP) inflater.push(packed.subarray(i, i + STEP), i + STEP >= packed.length);
    if (!packed.length) inflater.push(packed, true);
  } catch (err) {
    if (err instanceof NpzFormatError || err instanceof NpyFormatError) throw err;
    throw damaged(`${JSON.stringify(e.name)}: ${(err as Error).message}`);
  }
  if (!ended || filled !== e.size) throw damaged(`${JSON.stringify(e.name)} unpacks to ${formatBytes(filled)}, not the ${formatBytes(e.size)} its header declares`);
  return data;
}

/** Checks an .npy entry's header against its declared size before the rest is inflated. */
function npyHead(cap: number): (name: string, first: Uint8Array, size: number) => void {
  return (name, first, size) => {
    if (!name.endsWith('.npy')) return;
    const key = name.slice(0, -'.npy'.length);
    let need: ReturnType<typeof npyDataBytes>;
    try {
      need = npyDataBytes(first, key);
    } catch (err) {
      // a malformed or unsupported header: parseNpy reports it (a reader may skip such an array)
      if (err instanceof NpyFormatError) return;
      throw err;
    }
    if (need === null) return; // the header goes on past these bytes: parseNpy checks it whole
    if (need.total > cap) throw new NpyFormatError(key, `shape ${need.shape} of ${need.label} needs ${formatBytes(need.total)}, more than the import limit of ${formatBytes(cap)} unpacked`);
    if (need.total !== size) throw new NpyFormatError(key, `data has ${size - need.dataStart} bytes, but shape ${need.shape} of ${need.label} needs ${need.total - need.dataStart}`);
  };
}

/** The arrays of an .npz file, keyed by name without the `.npy` suffix, in archive order. */
export function readNpz(bytes: Uint8Array, opts: NpzReadOptions = {}): Map<string, NpyArray> {
  const files = npzEntries(bytes, 'This', 'positions=..., particle_type=...', opts);
  const names = [...files.keys()];
  if (!names.length) throw new NpzFormatError('The .npz archive is empty: it holds no arrays.');
  const foreign = names.filter((n) => !n.endsWith('.npy'));
  if (foreign.length) {
    throw new NpzFormatError(`The .npz archive holds entries that are not .npy arrays: ${foreign.slice(0, 5).map((n) => JSON.stringify(n)).join(', ')}${foreign.length > 5 ? `, and ${foreign.length - 5} more` : ''}.`);
  }
  const arrays = new Map<string, NpyArray>();
  for (const name of names) {
    const key = name.slice(0, -'.npy'.length);
    arrays.set(key, parseNpy(files.get(name)!, key));
    files.delete(name); // the decoded copy replaces the raw entry
  }
  return arrays;
}

/**
 * The raw entries of an .npz (zip magic checked, sizes capped, CRCs checked). `subject` begins
 * the not-a-zip message ("This", or the file's name quoted); `example` the np.savez hint's arrays.
 */
export function npzEntries(bytes: Uint8Array, subject: string, example: string, opts: NpzReadOptions = {}): Map<string, Uint8Array> {
  const isZip = bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
  if (!isZip) {
    const npy = bytes[0] === 0x93 && bytes[1] === 0x4e;
    throw new NpzFormatError(
      npy
        ? `${subject} is a single .npy array, not an .npz archive; save the arrays together with np.savez(path, ${example}).`
        : `${subject} is not an .npz file: it is not a zip archive. Save the arrays with np.savez(path, ${example}).`,
    );
  }
  const cap = opts.maxUnpackedBytes ?? MAX_UNPACKED_BYTES;
  return unzipLimited(bytes, { maxUnpackedBytes: cap, head: npyHead(cap) });
}

/** Writes arrays as an uncompressed .npz (as np.savez does); keys become `<key>.npy`. */
export function writeNpz(arrays: Record<string, NpyArrayLike>): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [key, array] of Object.entries(arrays)) files[key] = writeNpy(array);
  return zipNpyFiles(files);
}

/** Zips already-encoded .npy files (key → bytes of one .npy) into an uncompressed .npz. */
export function zipNpyFiles(files: Record<string, Uint8Array>): Uint8Array {
  const entries: Zippable = {};
  let total = 0;
  for (const [key, npy] of Object.entries(files)) {
    if (!key || key.includes('/')) throw new Error(`writeNpz: invalid array name ${JSON.stringify(key)}`);
    total += npy.byteLength + 2 * (key.length + 100);
    entries[`${key}.npy`] = [npy, { level: 0 }];
  }
  if (total > ZIP32_LIMIT) {
    throw new Error(`The arrays take ${(total / 2 ** 30).toFixed(2)} GiB; an .npz written here must stay below 4 GiB. Export fewer trajectories.`);
  }
  return zipSync(entries);
}
