// Model files store float32 arrays as raw bytes.

/** Float32Array → bytes of a file, and back (little-endian, as every platform we ship on). */
export function floatBytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
export function bytesToFloats(b: Uint8Array): Float32Array {
  if (b.byteLength % 4 !== 0) throw new Error(`a float32 file has ${b.byteLength} bytes, not a multiple of 4`);
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}
