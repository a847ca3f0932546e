/**
 * Turns pixels into ink: one value per pixel in 0..1 where 1 is full ink and 0 is background,
 * whatever the source looked like (a transparent canvas, black on white paper, white on black
 * like MNIST, a grey photo).
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */
import { type LevelPlane, scanLevels } from "./level_scan.ts";
import { lumaLevels } from "./luma_levels.ts";

export { luma } from "./luma_levels.ts";

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
  if (channels === 3 || (channels === 4 && data[3] >= 128)) {
    // Likely opaque (paper, a photo): the luma pass counts see-through pixels on its way.
    const { levels, opaque } = lumaLevels(image, histogram, rowStart, rowEnd);
    luma = levels;
    fromAlpha = channels === 4 && count - opaque >= count / 2;
  } else if (channels === 2 || channels === 4) {
    scanLevels(alpha, histogram, rowStart, rowEnd);
    alphaScanned = true;
    let seeThrough = 0;
    for (let value = 0; value < 128; value++) seeThrough += histogram[value];
    fromAlpha = seeThrough >= count / 2;
  }
  let plane: LevelPlane = alpha;
  if (fromAlpha) {
    if (!alphaScanned) {
      histogram.fill(0);
      scanLevels(alpha, histogram, rowStart, rowEnd);
    }
  } else if (channels <= 2) {
    // Grey is its own luminance: the weights sum to 1.
    histogram.fill(0);
    plane = { width, height, bytes: data, offset: 0, stride: channels };
    scanLevels(plane, histogram, rowStart, rowEnd);
  } else {
    if (luma === null) {
      histogram.fill(0);
      luma = lumaLevels(image, histogram, rowStart, rowEnd).levels;
    }
    plane = { width, height, bytes: luma, offset: 0, stride: 1 };
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
