// .npz archives: a zip of .npy files, one per array, as np.savez and np.savez_compressed write them.
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { parseNpy, writeNpy, type NpyArray, type NpyArrayLike } from './npy';

/** A file that is not a readable .npz archive at all (as opposed to one malformed array in it). */
export class NpzFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpzFormatError';
  }
}

// fflate's zip writer has no zip64: sizes and offsets must stay below 4 GiB
const ZIP32_LIMIT = 0xffff_ffff - 1024 * 1024;

/** The arrays of an .npz file, keyed by name without the `.npy` suffix, in archive order. */
export function readNpz(bytes: Uint8Array): Map<string, NpyArray> {
  const isZip = bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
  if (!isZip) {
    const npy = bytes[0] === 0x93 && bytes[1] === 0x4e;
    throw new NpzFormatError(
      npy
        ? 'This is a single .npy array, not an .npz archive; save the arrays together with np.savez(path, positions=..., particle_type=...).'
        : 'This is not an .npz file: it is not a zip archive. Save the arrays with np.savez(path, positions=..., particle_type=...).',
    );
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (err) {
    throw new NpzFormatError(`The .npz archive could not be read (${(err as Error).message}); it may be truncated or damaged.`);
  }
  const names = Object.keys(files).filter((n) => !n.endsWith('/'));
  if (!names.length) throw new NpzFormatError('The .npz archive is empty: it holds no arrays.');
  const foreign = names.filter((n) => !n.endsWith('.npy'));
  if (foreign.length) {
    throw new NpzFormatError(`The .npz archive holds entries that are not .npy arrays: ${foreign.slice(0, 5).map((n) => JSON.stringify(n)).join(', ')}${foreign.length > 5 ? `, and ${foreign.length - 5} more` : ''}.`);
  }
  const arrays = new Map<string, NpyArray>();
  for (const name of names) {
    const key = name.slice(0, -'.npy'.length);
    arrays.set(key, parseNpy(files[name]!, key));
    delete files[name]; // the decoded copy replaces the raw entry
  }
  return arrays;
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
