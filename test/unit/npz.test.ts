import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { NpyFormatError, parseNpy, toFloat32, toIntArray, writeNpy, writeNpyBytes, type NpyArray } from '../../src-main/engine/datasets/npy';
import { readNpz, writeNpz } from '../../src-main/engine/datasets/npz';

const FIXTURES = join(__dirname, '../fixtures/npz');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

/** The .npy bytes of a hand-written header dict (version 1.0) followed by `data`. */
function npyWithHeader(dict: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const header = new TextEncoder().encode(dict.padEnd(Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix - 1, ' ') + '\n');
  const out = new Uint8Array(prefix + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, prefix);
  out.set(data, prefix + header.length);
  return out;
}

/** The value of positions[f, p, c] in make_fixtures.py. */
const numpyPosition = (f: number, p: number, c: number, offset: number) => offset + f + p / 8 + c / 16;

function expectNpyError(fn: () => unknown, array: string, problem: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(NpyFormatError);
  expect((error as NpyFormatError).array).toBe(array);
  expect((error as Error).message.startsWith(`${array}: `)).toBe(true);
  expect((error as Error).message).toMatch(problem);
}

describe('npy codec', () => {
  const arrays: NpyArray[] = [
    { dtype: 'f4', shape: [2, 3], data: Float32Array.from([0.5, -1, 1e-7, 3.25, -0, 1e30]) },
    { dtype: 'f8', shape: [3], data: Float64Array.from([Math.PI, -1e300, 5e-324]) },
    { dtype: 'i1', shape: [2, 1, 2], data: Int8Array.from([-128, 127, 0, -1]) },
    { dtype: 'u1', shape: [4], data: Uint8Array.from([0, 3, 5, 255]) },
    { dtype: 'i2', shape: [2], data: Int16Array.from([-32768, 32767]) },
    { dtype: 'i4', shape: [1, 2], data: Int32Array.from([-2147483648, 2147483647]) },
    { dtype: 'i8', shape: [3], data: BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 5n]) },
    { dtype: 'u4', shape: [2], data: Uint32Array.from([0, 4294967295]) },
    { dtype: 'u8', shape: [2], data: BigUint64Array.from([0n, 2n ** 64n - 1n]) },
    { dtype: 'b1', shape: [3], data: Uint8Array.from([1, 0, 1]) },
    { dtype: 'f4', shape: [], data: Float32Array.from([7.5]) },
    { dtype: 'f4', shape: [0, 2], data: new Float32Array(0) },
  ];

  it.each(arrays.map((a) => [`${a.dtype} ${JSON.stringify(a.shape)}`, a] as const))('round-trips %s', (_label, a) => {
    const bytes = writeNpy(a);
    // numpy aligns the data to 64 bytes
    expect(new DataView(bytes.buffer).getUint16(8, true) + 10).toBe(Math.ceil((bytes.length - a.data.byteLength) / 64) * 64);
    // an odd offset: parseNpy must copy into aligned arrays
    const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
    unaligned.set(bytes);
    const back = parseNpy(unaligned, 'x');
    expect(back.dtype).toBe(a.dtype);
    expect(back.shape).toEqual(a.shape);
    expect(back.data.constructor).toBe(a.data.constructor);
    expect(Array.from(back.data as ArrayLike<number | bigint>)).toEqual(Array.from(a.data as ArrayLike<number | bigint>));
  });

  it("writes exactly np.save's bytes", () => {
    const ours = writeNpy({ dtype: 'f4', shape: [2, 3], data: Float32Array.from([0, 0.25, 0.5, 0.75, 1, 1.25]) });
    expect(Buffer.from(ours).equals(Buffer.from(fixture('numpy-f4-2x3.npy')))).toBe(true);
    expect(new TextDecoder().decode(ours.subarray(10, 128))).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} +\n$/);
    expect(new TextDecoder().decode(writeNpy({ dtype: 'u1', shape: [5], data: new Uint8Array(5) }).subarray(10, 128))).toContain("'descr': '|u1'");
    expect(new TextDecoder().decode(writeNpy({ dtype: 'u1', shape: [5], data: new Uint8Array(5) }).subarray(10, 128))).toContain("'shape': (5,)");
  });

  it('reads format versions 2.0 and 3.0 written by numpy', () => {
    for (const name of ['numpy-v2-i2.npy', 'numpy-v3-i2.npy']) {
      const a = parseNpy(fixture(name), name);
      expect(a.dtype).toBe('i2');
      expect(a.shape).toEqual([2, 2]);
      expect(Array.from(a.data as Int16Array)).toEqual([-3, 7, 1000, -32768]);
    }
  });

  it('refuses to write data that does not match its shape or dtype', () => {
    expect(() => writeNpyBytes('f4', [2], new Uint8Array(7))).toThrow(/needs 8 bytes, got 7/);
    expect(() => writeNpy({ dtype: 'f4', shape: [3], data: new Float32Array(2) })).toThrow(/holds 3 values, the data has 2/);
    expect(() => writeNpy({ dtype: 'f4', shape: [2], data: new Float64Array(2) })).toThrow(/float32 needs a Float32Array/);
  });

  it('refuses bad magic and truncated headers, naming the array', () => {
    expectNpyError(() => parseNpy(new TextEncoder().encode('PK\x03\x04 not numpy at all'), 'positions'), 'positions', /\\x93NUMPY magic/);
    expectNpyError(() => parseNpy(new Uint8Array([0x93, 0x4e, 0x55]), 'positions'), 'positions', /magic/);
    const full = writeNpy({ dtype: 'f4', shape: [2], data: new Float32Array(2) });
    expectNpyError(() => parseNpy(full.subarray(0, 9), 'positions'), 'positions', /truncated header: the file ends inside the header length/);
    expectNpyError(() => parseNpy(full.subarray(0, 40), 'positions'), 'positions', /truncated header: it declares 118 bytes but only 30 follow/);
    const badVersion = full.slice();
    badVersion[6] = 4;
    expectNpyError(() => parseNpy(badVersion, 'positions'), 'positions', /unsupported .npy format version 4\.0/);
  });

  it('refuses headers that are not a dict or lack entries', () => {
    expectNpyError(() => parseNpy(npyWithHeader('[1, 2]'), 'design'), 'design', /header is not a dict/);
    expectNpyError(() => parseNpy(npyWithHeader("{'descr': '<f4', 'fortran_order': False"), 'design'), 'design', /header is not a Python dict literal/);
    expectNpyError(() => parseNpy(npyWithHeader("{'descr': '<f4', 'shape': (2,), }"), 'design'), 'design', /no 'fortran_order' entry/);
    expectNpyError(() => parseNpy(npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }"), 'design'), 'design', /shape is not a tuple of non-negative integers/);
  });

  it('reads Fortran order into C order; refuses big-endian and pickled object arrays written by numpy', () => {
    // np.asfortranarray(np.arange(6).reshape(2, 3)): the same values as the C-order array
    const f = parseNpy(fixture('numpy-fortran.npy'), 'positions');
    expect(f.shape).toEqual([2, 3]);
    expect(Array.from(f.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expectNpyError(() => parseNpy(fixture('numpy-big-endian.npy'), 'positions'), 'positions', /big-endian dtype '>f4' is not supported; save a\.astype\('<f4'\)/);
    expectNpyError(() => parseNpy(fixture('numpy-object.npy'), 'traj0_positions'), 'traj0_positions', /pickled object arrays are not supported; save plain numeric arrays instead, e\.g\. np\.savez\(/);
  });

  it('refuses unsupported dtypes and says which are supported', () => {
    expectNpyError(() => parseNpy(npyWithHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), 'task'), 'task', /unsupported dtype '<c8'; supported dtypes are float32, float64/);
    expectNpyError(() => parseNpy(npyWithHeader("{'descr': '<U4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(16)), 'task'), 'task', /unsupported dtype '<U4'/);
    expectNpyError(() => parseNpy(npyWithHeader("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)), 'task'), 'task', /structured dtype/);
    expectNpyError(() => parseNpy(npyWithHeader("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)), 'task'), 'task', /gives no byte order/);
    // a byte-order-less bool in a version 2.0 header
    const b = parseNpy(npyWithHeader("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", Uint8Array.from([1, 0]), 2), 'mask');
    expect(b.dtype).toBe('b1');
    expect(Array.from(b.data as Uint8Array)).toEqual([1, 0]);
  });

  it('refuses data whose length does not match the shape', () => {
    const full = writeNpy({ dtype: 'f4', shape: [3, 4, 2], data: new Float32Array(24) });
    expectNpyError(() => parseNpy(full.subarray(0, full.length - 4), 'traj2_positions'), 'traj2_positions', /data has 92 bytes, but shape \[3, 4, 2\] of float32 needs 96/);
    const longer = new Uint8Array(full.length + 1);
    longer.set(full);
    expectNpyError(() => parseNpy(longer, 'traj2_positions'), 'traj2_positions', /data has 97 bytes/);
  });

  it('converts float arrays to float32 and names the first value that is not finite', () => {
    const f8: NpyArray = { dtype: 'f8', shape: [2], data: Float64Array.from([0.1, -2]) };
    expect(Array.from(toFloat32(f8, 'task'))).toEqual([Math.fround(0.1), -2]);
    const f4 = Float32Array.from([1, 2, 3, 4, 5, Number.NaN]);
    expectNpyError(() => toFloat32({ dtype: 'f4', shape: [3, 1, 2], data: f4 }, 'traj1_positions'), 'traj1_positions', /value NaN at index \[2, 0, 1\] is not finite/);
    expectNpyError(() => toFloat32({ dtype: 'f8', shape: [2], data: Float64Array.from([0, 1e39]) }, 'design'), 'design', /value 1e\+39 at index \[1\] is outside the float32 range/);
    expectNpyError(() => toFloat32({ dtype: 'f8', shape: [2], data: Float64Array.from([-Infinity, 0]) }, 'design'), 'design', /value -Infinity at index \[0\] is not finite/);
    expectNpyError(() => toFloat32({ dtype: 'i4', shape: [1], data: Int32Array.from([1]) }, 'design'), 'design', /expected a float32 or float64 array, got int32/);
  });

  it('converts integer arrays to int32 when the values fit', () => {
    expect(Array.from(toIntArray({ dtype: 'i8', shape: [3], data: BigInt64Array.from([5n, -3n, 2147483647n]) }, 'particle_type'))).toEqual([5, -3, 2147483647]);
    expect(Array.from(toIntArray({ dtype: 'u8', shape: [2], data: BigUint64Array.from([3n, 5n]) }, 'particle_type'))).toEqual([3, 5]);
    expect(Array.from(toIntArray({ dtype: 'u1', shape: [2], data: Uint8Array.from([3, 255]) }, 'particle_type'))).toEqual([3, 255]);
    expectNpyError(() => toIntArray({ dtype: 'i8', shape: [2], data: BigInt64Array.from([1n, 2n ** 40n]) }, 'particle_type'), 'particle_type', /value 1099511627776 at index \[1\] does not fit in a 32-bit integer/);
    expectNpyError(() => toIntArray({ dtype: 'u4', shape: [1], data: Uint32Array.from([4294967295]) }, 'particle_type'), 'particle_type', /value 4294967295 at index \[0\]/);
    expectNpyError(() => toIntArray({ dtype: 'f4', shape: [1], data: Float32Array.from([5]) }, 'particle_type'), 'particle_type', /expected an integer array, got float32/);
  });
});

describe('npz archives', () => {
  it('round-trips arrays, keys without the .npy suffix, in order', () => {
    const bytes = writeNpz({
      traj0_positions: { dtype: 'f4', shape: [2, 1, 2], data: Float32Array.from([0.1, 0.2, 0.3, 0.4]) },
      traj0_particle_type: { dtype: 'i8', shape: [1], data: BigInt64Array.from([5n]) },
    });
    const arrays = readNpz(bytes);
    expect([...arrays.keys()]).toEqual(['traj0_positions', 'traj0_particle_type']);
    expect(arrays.get('traj0_positions')!.shape).toEqual([2, 1, 2]);
    expect(Array.from(arrays.get('traj0_positions')!.data as Float32Array)).toEqual(Array.from(Float32Array.from([0.1, 0.2, 0.3, 0.4])));
    expect(arrays.get('traj0_particle_type')!.data).toEqual(BigInt64Array.from([5n]));
  });

  it('reads an np.savez archive with one unprefixed trajectory', () => {
    const arrays = readNpz(fixture('numpy-single.npz'));
    expect([...arrays.keys()].sort()).toEqual(['design', 'particle_type', 'positions', 'task']);
    const positions = arrays.get('positions')!;
    expect(positions.dtype).toBe('f8');
    expect(positions.shape).toEqual([3, 4, 2]);
    expect(positions.data[(2 * 4 + 3) * 2 + 1]).toBe(numpyPosition(2, 3, 1, 0));
    expect(arrays.get('particle_type')!.data).toEqual(BigInt64Array.from([5n, 5n, 3n, 3n]));
    expect(Array.from(arrays.get('design')!.data as Float32Array)).toEqual([-1, -0.5, 0, 0.25, 0.5, 0.75, 1, 0.125]);
    expect(Array.from(arrays.get('task')!.data as Float64Array)).toEqual([0.5, 0.2]);
  });

  it('reads an np.savez_compressed archive (deflated, zip64 headers) with prefixed trajectories', () => {
    const arrays = readNpz(fixture('numpy-multi-compressed.npz'));
    expect([...arrays.keys()]).toEqual(['traj0_positions', 'traj0_particle_type', 'traj0_design', 'traj0_task', 'traj1_positions', 'traj1_particle_type']);
    const p1 = arrays.get('traj1_positions')!;
    expect(p1.dtype).toBe('f4');
    expect(p1.shape).toEqual([2, 5, 2]);
    expect(p1.data[(1 * 5 + 4) * 2 + 0]).toBe(numpyPosition(1, 4, 0, 10));
    expect(arrays.get('traj0_particle_type')!.dtype).toBe('i4');
    expect(Array.from(arrays.get('traj1_particle_type')!.data as Uint8Array)).toEqual([3, 3, 5, 5, 5]);
  });

  it('reads an archive written by this writer and earlier exports (numpy reads it too)', () => {
    // made by writeNpz; np.load gives the same arrays
    const arrays = readNpz(fixture('workbench-export.npz'));
    expect([...arrays.keys()]).toEqual(['traj0_positions', 'traj0_particle_type', 'traj0_design', 'traj0_task', 'traj1_positions', 'traj1_particle_type']);
    const p1 = arrays.get('traj1_positions')!;
    expect(p1.shape).toEqual([2, 3, 2]);
    // value of [f, p, c] = f * 0.5 + p * 0.25 + c * 0.125 + trajectory
    expect(p1.data[(1 * 3 + 2) * 2 + 1]).toBe(0.5 + 0.5 + 0.125 + 1);
    expect(arrays.get('traj1_particle_type')!.data).toEqual(BigInt64Array.from([3n, 5n, 5n]));
    expect(Array.from(arrays.get('traj0_task')!.data as Float32Array)).toEqual([0.5, 0.25]);
  });

  it('refuses files that are not zip archives, and says when it got a single .npy', () => {
    expect(() => readNpz(new TextEncoder().encode('positions,particle_type\n1,2\n'))).toThrow(/not an \.npz file: it is not a zip archive/);
    expect(() => readNpz(writeNpy({ dtype: 'f4', shape: [1], data: new Float32Array(1) }))).toThrow(/single \.npy array, not an \.npz archive/);
    expect(() => readNpz(new Uint8Array(0))).toThrow(/not a zip archive/);
    const good = writeNpz({ a: { dtype: 'f4', shape: [64], data: new Float32Array(64) } });
    expect(() => readNpz(good.subarray(0, 100))).toThrow(/could not be read .*truncated or damaged/);
  });

  it('refuses an empty archive and entries that are not .npy arrays', () => {
    expect(() => readNpz(zipSync({}))).toThrow(/archive is empty: it holds no arrays/);
    const npy = writeNpy({ dtype: 'f4', shape: [1], data: new Float32Array(1) });
    expect(() => readNpz(zipSync({ 'positions.npy': npy, 'README.txt': new TextEncoder().encode('hi') }))).toThrow(/entries that are not \.npy arrays: "README.txt"/);
  });

  it('names the key of a malformed array inside the archive', () => {
    const bad = writeNpy({ dtype: 'f4', shape: [4], data: new Float32Array(4) }).subarray(0, 128 + 6);
    const bytes = zipSync({ 'traj0_positions.npy': writeNpy({ dtype: 'f4', shape: [1], data: new Float32Array(1) }), 'traj0_design.npy': bad });
    expectNpyError(() => readNpz(bytes), 'traj0_design', /data has 6 bytes, but shape \[4\] of float32 needs 16/);
  });
});
