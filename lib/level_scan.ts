/**
 * The first pass over a picture's ink bytes: their histogram (where the background and the
 * strongest ink are read from) and, per row, the range of pixels that differ from the
 * background, so every later pass skips the blank paper.
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */
import type { InkLevels } from "./ink_map.ts";

/** One byte per pixel at `offset + i * stride` of `bytes`. */
export type LevelPlane = Pick<InkLevels, "width" | "height" | "bytes" | "offset" | "stride">;

/** Whether this machine stores the first byte of a word in its low bits. */
export const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Adds every pixel's byte to `histogram` and sets each row's range of pixels whose byte
 * differs from the first pixel's (the background, nearly always; empty rows get 0..0).
 * Reads four bytes at a time where the rows allow: a word of background is one comparison.
 */
export function scanLevels(
  { width, height, bytes, offset, stride }: LevelPlane,
  histogram: Uint32Array,
  rowStart: Int32Array,
  rowEnd: Int32Array,
): void {
  const quiet = bytes[offset];
  const rowBytes = width * stride;
  if (bytes.byteOffset % 4 !== 0 || rowBytes % 4 !== 0) {
    for (let y = 0, p = offset; y < height; y++) {
      let first = -1, last = -1;
      for (let x = 0; x < width; x++, p += stride) {
        const byte = bytes[p];
        histogram[byte]++;
        if (byte === quiet) continue;
        if (first < 0) first = x;
        last = x;
      }
      rowStart[y] = first < 0 ? 0 : first;
      rowEnd[y] = last + 1;
    }
    return;
  }
  // The pixels' bytes within a word, as shifts, and a mask keeping only them.
  const lanes = 4 / stride;
  const shifts: number[] = [];
  let mask = 0;
  for (let lane = 0; lane < lanes; lane++) {
    const byte = offset + lane * stride;
    const shift = LITTLE_ENDIAN ? 8 * byte : 24 - 8 * byte;
    shifts.push(shift);
    mask |= 0xff << shift;
  }
  // Int32 throughout: words with the top bit set stay small integers for the JIT.
  const quietWord = quiet * 0x01010101 & mask;
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, (rowBytes >> 2) * height);
  const rowWords = rowBytes >> 2;
  let quietWords = 0;
  for (let y = 0, j = 0; y < height; y++) {
    let first = -1, last = -1;
    for (let k = 0; k < rowWords; k++, j++) {
      const word = words[j] & mask;
      if (word === quietWord) {
        quietWords++;
        continue;
      }
      if (lanes === 4) { // grey: every byte is a pixel
        histogram[word & 0xff]++;
        histogram[(word >>> 8) & 0xff]++;
        histogram[(word >>> 16) & 0xff]++;
        histogram[word >>> 24]++;
      } else {
        for (let lane = 0; lane < lanes; lane++) histogram[(word >>> shifts[lane]) & 0xff]++;
      }
      if (first < 0) first = k;
      last = k;
    }
    // Whole words: the range may include a few quiet pixels at its ends.
    rowStart[y] = first < 0 ? 0 : first * lanes;
    rowEnd[y] = (last + 1) * lanes;
  }
  histogram[quiet] += quietWords * lanes;
}
