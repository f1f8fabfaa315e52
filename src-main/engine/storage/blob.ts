/** Float32 vectors (designs, tasks, positions) are stored as little-endian float32 BLOBs. */
export function toFloat32Blob(values: ArrayLike<number>): Buffer {
  const f = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
}

export function fromFloat32Blob(blob: Uint8Array): Float32Array {
  if (blob.byteLength % 4 !== 0) throw new Error(`float32 BLOB has ${blob.byteLength} bytes, not a multiple of 4`);
  // copy: the Buffer may not be 4-byte aligned
  const out = new Float32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}
