/**
 * Turns pixels into ink: one value per pixel in 0..1 where 1 is full ink and 0 is background,
 * whatever the source looked like (a transparent canvas, black on white paper, white on black
 * like MNIST, a grey photo).
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */

/**
 * Decoded pixels, row-major, `channels` bytes per pixel: 1 grey, 2 grey and alpha, 3 RGB,
 * 4 RGBA (the default, as a canvas's ImageData).
 */
export interface PixelImage {
  width: number;
  height: number;
  channels?: 1 | 2 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

/** Decoded pixels, four bytes (R, G, B, A) per pixel, row-major. */
export interface RgbaImage extends PixelImage {
  channels?: 4;
}

/** An ink map and its size; values in 0..1, 1 = ink. */
export interface InkMap {
  width: number;
  height: number;
  ink: Float32Array;
}

/**
 * The same ink as an `InkMap` without a float per pixel: pixel `i`'s ink is
 * `ink[bytes[offset + i * stride]]`. The bytes are the image's own alpha or grey channel when
 * one of them is the ink, so nothing per pixel is copied. Row `y` has no ink outside pixels
 * `[rowStart[y], rowEnd[y])`: later passes skip the blank background.
 */
export interface InkLevels {
  width: number;
  height: number;
  bytes: Uint8Array | Uint8ClampedArray;
  offset: number;
  stride: number;
  /** Ink for each of the 256 byte values. */
  ink: Float32Array;
  rowStart: Int32Array;
  rowEnd: Int32Array;
}

/**
 * Below this difference between the background and the strongest ink the image counts as
 * blank: JPEG noise and paper texture stay under it, the faintest pencil stays over it.
 */
export const MIN_CONTRAST = 0.12;

/**
 * The ink of every pixel, stretched so the background is 0 and the strongest ink is 1.
 * Returns null when the image is blank (no pixel stands out from the background).
 *
 * - Transparent background (most pixels see-through, as a canvas PNG): alpha is the ink,
 *   whatever colour the strokes were drawn in.
 * - Otherwise the luminance, inverted when the background is light (dark ink on paper).
 * The background level is the median, since a digit covers far less than half an image.
 */
export function inkLevels(image: PixelImage): InkLevels | null {
  const { width, height, data } = image;
  const channels = image.channels ?? 4;
  const count = width * height;
  // Work in bytes with one histogram: this runs on every request, on every pixel.
  const histogram = new Uint32Array(256);
  const rowStart = new Int32Array(height);
  const rowEnd = new Int32Array(height);
  const alpha = { width, height, bytes: data, offset: channels - 1, stride: channels };
  // The median alpha is under 128 exactly when half the pixels are: then alpha is the ink.
  let fromAlpha = false, alphaScanned = false;
  let luma: Uint8Array | null = null;
  if (channels === 4 && data[3] >= 128) {
    // Likely opaque (paper, a photo): the luma pass counts see-through pixels on its way.
    const { levels, opaque } = luminance(image);
    luma = levels;
    fromAlpha = count - opaque >= count / 2;
  } else if (channels === 2 || channels === 4) {
    scanLevels(alpha, histogram, rowStart, rowEnd);
    alphaScanned = true;
    let seeThrough = 0;
    for (let value = 0; value < 128; value++) seeThrough += histogram[value];
    fromAlpha = seeThrough >= count / 2;
  }
  let plane: Plane = alpha;
  if (fromAlpha) {
    if (!alphaScanned) scanLevels(alpha, histogram, rowStart, rowEnd);
  } else {
    histogram.fill(0);
    // Grey is its own luminance: the weights sum to 1.
    if (channels <= 2) plane = { width, height, bytes: data, offset: 0, stride: channels };
    else plane = { width, height, bytes: luma ?? luminance(image).levels, offset: 0, stride: 1 };
    scanLevels(plane, histogram, rowStart, rowEnd);
  }
  const { bytes, offset, stride } = plane;
  const inverted = !fromAlpha && histogramMedian(histogram, count) >= 128;
  if (inverted) histogram.reverse();
  // The top of the median's histogram bin, so the whole background maps to 0.
  const background = histogramMedian(histogram, count) + 0.5;
  let peak = 255;
  while (peak > 0 && histogram[peak] === 0) peak--;
  if ((peak - background) / 255 < MIN_CONTRAST) return null;
  const scale = 1 / (peak - background);
  const ink = new Float32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    const v = ((inverted ? 255 - byte : byte) - background) * scale;
    ink[byte] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  // The rows' ranges exclude pixels like the first one; those must have no ink.
  if (ink[bytes[offset]] !== 0) {
    rowStart.fill(0);
    rowEnd.fill(width);
  }
  return { width, height, bytes, offset, stride, ink, rowStart, rowEnd };
}

/** `inkLevels` spelled out as one float per pixel. */
export function inkMap(image: PixelImage): InkMap | null {
  const levels = inkLevels(image);
  if (levels === null) return null;
  const { width, height, bytes, offset, stride, ink } = levels;
  const map = new Float32Array(width * height);
  for (let i = 0, p = offset; i < map.length; i++, p += stride) map[i] = ink[bytes[p]];
  return { width, height, ink: map };
}

type Plane = Pick<InkLevels, "width" | "height" | "bytes" | "offset" | "stride">;

/** Whether this machine stores the first byte of a word in its low bits. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Adds every pixel's byte to `histogram` and sets each row's range of pixels whose byte
 * differs from the first pixel's (the background, nearly always; empty rows get 0..0).
 * Reads four bytes at a time where the rows allow: a word of background is one comparison.
 */
function scanLevels(
  { width, height, bytes, offset, stride }: Plane,
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

/**
 * Rec. 601 luma, rounded: (299 r + 587 g + 114 b + 500) / 1000 in integers, the division as
 * ((x >> 3) * 33555) >> 22, which is exact for every x these weights give (tested).
 */
export function luma(r: number, g: number, b: number): number {
  return (((299 * r + 587 * g + 114 * b + 500) >> 3) * 33555) >> 22;
}

/** The luma of RGB or RGBA pixels, one byte per pixel, and how many have alpha >= 128. */
function luminance(
  { width, height, channels = 4, data }: PixelImage,
): { levels: Uint8Array; opaque: number } {
  const count = width * height;
  const levels = new Uint8Array(count);
  if (channels !== 4 || data.byteOffset % 4 !== 0 || !LITTLE_ENDIAN) {
    let opaque = channels === 4 ? 0 : count;
    for (let i = 0, p = 0; i < count; i++, p += channels) {
      levels[i] = luma(data[p], data[p + 1], data[p + 2]);
      if (channels === 4 && data[p + 3] >= 128) opaque++;
    }
    return { levels, opaque };
  }
  // Alpha is the word's top byte: alpha >= 128 makes the word negative. Four pixels like the
  // one before them (most of a drawing's paper) cost four comparisons and one store.
  const pixels = new Int32Array(data.buffer, data.byteOffset, count);
  const quads = new Int32Array(levels.buffer, 0, count >> 2);
  let previous = pixels[0] ^ 1, level = 0, repeated = 0, opaque = 0;
  for (let i = 0; i < count; i += 4) {
    if (
      i + 4 <= count && pixels[i] === previous && pixels[i + 1] === previous &&
      pixels[i + 2] === previous && pixels[i + 3] === previous
    ) {
      if (previous < 0) opaque += 4;
      if (repeated !== 0) quads[i >> 2] = repeated;
      continue;
    }
    for (let k = i; k < i + 4 && k < count; k++) {
      const pixel = pixels[k];
      if (pixel < 0) opaque++;
      if (pixel !== previous) {
        previous = pixel;
        level = luma(data[k * 4], data[k * 4 + 1], data[k * 4 + 2]);
        repeated = Math.imul(level, 0x01010101);
      }
      levels[k] = level;
    }
  }
  return { levels, opaque };
}

/** The median of `count` byte values given their histogram. */
function histogramMedian(histogram: Uint32Array, count: number): number {
  const half = count / 2;
  let seen = 0;
  for (let value = 0; value < 256; value++) {
    seen += histogram[value];
    if (seen >= half) return value;
  }
  return 255;
}
