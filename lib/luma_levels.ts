/**
 * The luminance of RGB(A) pictures as one byte per pixel, with the first pass's histogram and
 * row ranges (level_scan.ts) made on the way: the paper is read once.
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */
import type { PixelImage } from "./ink_map.ts";
import { LITTLE_ENDIAN, scanLevels } from "./level_scan.ts";

/**
 * Rec. 601 luma, rounded: (299 r + 587 g + 114 b + 500) / 1000 in integers, the division as
 * ((x >> 3) * 33555) >> 22, which is exact for every x these weights give (tested).
 */
export function luma(r: number, g: number, b: number): number {
  return (((299 * r + 587 * g + 114 * b + 500) >> 3) * 33555) >> 22;
}

/**
 * The luma of RGB or RGBA pixels, one byte per pixel, and how many pixels have alpha >= 128
 * (all of them without alpha). Adds each pixel's luma to `histogram` and sets each row's
 * range: no pixel outside `[rowStart[y], rowEnd[y])` differs from the first pixel (so neither
 * does its luma), as scanLevels promises.
 */
export function lumaLevels(
  image: PixelImage,
  histogram: Uint32Array,
  rowStart: Int32Array,
  rowEnd: Int32Array,
): { levels: Uint8Array; opaque: number } {
  const { width, height, channels = 4, data } = image;
  const count = width * height;
  if (channels !== 4 || data.byteOffset % 4 !== 0 || !LITTLE_ENDIAN || count === 0) {
    const levels = new Uint8Array(count);
    let opaque = channels === 4 ? 0 : count;
    for (let i = 0, p = 0; i < count; i++, p += channels) {
      levels[i] = luma(data[p], data[p + 1], data[p + 2]);
      if (channels === 4 && data[p + 3] >= 128) opaque++;
    }
    scanLevels({ width, height, bytes: levels, offset: 0, stride: 1 }, histogram, rowStart, rowEnd);
    return { levels, opaque };
  }
  // A pixel is one word, alpha its top byte: alpha >= 128 makes the word negative. A pixel
  // like the first (the paper, nearly always) costs one comparison.
  const pixels = new Int32Array(data.buffer, data.byteOffset, count);
  const paper = pixels[0];
  const paperLevel = luma(paper & 0xff, (paper >>> 8) & 0xff, (paper >>> 16) & 0xff);
  const levels = new Uint8Array(count).fill(paperLevel);
  let inked = 0, opaque = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let from = row, to = row + width;
    while (from < to && pixels[from] === paper) from++;
    while (to > from && pixels[to - 1] === paper) to--;
    rowStart[y] = from === to ? 0 : from - row;
    rowEnd[y] = from === to ? 0 : to - row;
    let previous = paper, level = paperLevel;
    for (let i = from; i < to; i++) {
      const pixel = pixels[i];
      if (pixel === paper) continue; // its level is set, it is counted with the paper
      if (pixel !== previous) {
        previous = pixel;
        level = luma(pixel & 0xff, (pixel >>> 8) & 0xff, (pixel >>> 16) & 0xff);
      }
      levels[i] = level;
      histogram[level]++;
      inked++;
      if (pixel < 0) opaque++;
    }
  }
  histogram[paperLevel] += count - inked;
  if (paper < 0) opaque += count - inked;
  return { levels, opaque };
}
