/**
 * Turns RGBA pixels into an ink map: one value per pixel in 0..1 where 1 is full ink and 0 is
 * background, whatever the source looked like (a transparent canvas, black on white paper,
 * white on black like MNIST, a grey photo).
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */

/** Decoded pixels, four bytes (R, G, B, A) per pixel, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** An ink map and its size; values in 0..1, 1 = ink. */
export interface InkMap {
  width: number;
  height: number;
  ink: Float32Array;
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
export function inkMap(image: RgbaImage): InkMap | null {
  const { width, height, data } = image;
  const count = width * height;
  // Work in bytes with one histogram per pass: this runs on every request, on every pixel.
  const level = new Uint8Array(count);
  const histogram = new Uint32Array(256);
  // The median alpha is under 128 exactly when half the pixels are: a count, not a histogram.
  let seeThrough = 0;
  for (let i = 3; i < count * 4; i += 4) if (data[i] < 128) seeThrough++;
  if (seeThrough >= count / 2) {
    for (let i = 0; i < count; i++) {
      const alpha = data[i * 4 + 3];
      level[i] = alpha;
      histogram[alpha]++;
    }
  } else {
    for (let i = 0; i < count; i++) {
      const p = i * 4;
      const luminance = ((299 * data[p] + 587 * data[p + 1] + 114 * data[p + 2] + 500) / 1000) | 0;
      level[i] = luminance;
      histogram[luminance]++;
    }
    if (histogramMedian(histogram, count) >= 128) {
      for (let i = 0; i < count; i++) level[i] = 255 - level[i];
      histogram.reverse();
    }
  }
  // The top of the median's histogram bin, so the whole background maps to 0.
  const background = histogramMedian(histogram, count) + 0.5;
  let peak = 255;
  while (peak > 0 && histogram[peak] === 0) peak--;
  if ((peak - background) / 255 < MIN_CONTRAST) return null;
  const scale = 1 / (peak - background);
  const ink = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = (level[i] - background) * scale;
    ink[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return { width, height, ink };
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
