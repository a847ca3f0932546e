/**
 * Byte-array helpers shared by the PNG decoder, request bodies, downloads and the tests that
 * craft PNGs.
 *
 * @module
 */

/** `parts` joined into one new array. */
export function concatBytes(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
