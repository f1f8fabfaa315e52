// Binary payloads (rollouts, NPZ files) cross the API as base64 strings.

/** 3 bytes → 4 characters, so chunks of a multiple of 3 bytes encode independently and join cleanly. */
const ENCODE_CHUNK = 3 * 8192;

/** Bytes → base64, chunk by chunk: no per-byte string concatenation, no argument-list overflow. */
export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let start = 0; start < bytes.length; start += ENCODE_CHUNK) {
    const chunk = bytes.subarray(start, start + ENCODE_CHUNK);
    parts.push(btoa(String.fromCharCode.apply(null, chunk as unknown as number[])));
  }
  return parts.join('');
}

/** base64 → bytes; throws a readable error on malformed input. */
export function base64ToBytes(base64: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    throw new Error('The server sent binary data that is not valid base64.');
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
