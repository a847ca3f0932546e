/**
 * The WebAssembly binary format's encodings that the hand-assembled modules share
 * (wasm_adam.ts, wasm_gemm_module.ts): there is no wasm compiler on this machine.
 *
 * @module
 */

/** Unsigned LEB128 (sizes, indices, memory limits, offsets). */
export function leb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

/** Signed LEB128 (i32.const's immediate). */
export function sleb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

/** A section: its id, then its body's size and the body. */
export const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
/** A vector: its length, then the items. */
export const vector = (items: number[][]) => [...leb(items.length), ...items.flat()];
/** A name: UTF-8 bytes as a vector. */
export const name = (text: string) => vector([...new TextEncoder().encode(text)].map((b) => [b]));
