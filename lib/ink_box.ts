/**
 * The bounding box of a digit's ink, ignoring faint pixels and small specks away from it.
 *
 * @module
 */
import type { InkLevels } from "./ink_map.ts";

/** A rectangle in pixels: top-left corner and size. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface InkBoxOptions {
  /** Pixels fainter than this do not count (anti-aliasing haze, paper texture). */
  threshold?: number;
  /**
   * Share of the total ink each side may shed: clusters of rows or columns at the edges,
   * apart from the rest and holding less than this together, are specks, not the digit.
   */
  speckFraction?: number;
}

/**
 * The smallest box holding the ink (values >= `threshold`), after trimming from each side the
 * rows and columns that together hold less than `speckFraction` of the ink. Null when no pixel
 * reaches the threshold.
 *
 * @example
 * ```ts
 * const ink = new Float32Array(5 * 5);
 * ink[2 * 5 + 1] = ink[2 * 5 + 2] = 1;
 * inkBoundingBox(ink, 5, 5); // { x: 1, y: 2, width: 2, height: 1 }
 * ```
 */
export function inkBoundingBox(
  ink: Float32Array,
  width: number,
  height: number,
  { threshold = 0.2, speckFraction = 0.02 }: InkBoxOptions = {},
): Box | null {
  const columns = new Float64Array(width);
  const rows = new Float64Array(height);
  let total = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const v = ink[row + x];
      if (v < threshold) continue;
      columns[x] += v;
      rows[y] += v;
      total += v;
    }
  }
  return trimmedBox(columns, rows, total, speckFraction);
}

/** `inkBoundingBox` of the ink that `levels` describe, reading each pixel's byte once. */
export function inkLevelsBoundingBox(
  levels: InkLevels,
  { threshold = 0.2, speckFraction = 0.02 }: InkBoxOptions = {},
): Box | null {
  const { width, height, bytes, offset, stride, ink, rowStart, rowEnd } = levels;
  // Ink by byte with the faint levels zeroed: one lookup per pixel.
  const counted = new Float64Array(256);
  for (let byte = 0; byte < 256; byte++) if (ink[byte] >= threshold) counted[byte] = ink[byte];
  const columns = new Float64Array(width);
  const rows = new Float64Array(height);
  let total = 0;
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = rowStart[y], p = offset + (y * width + x) * stride; x < rowEnd[y]; x++) {
      const v = counted[bytes[p]];
      p += stride;
      if (v === 0) continue;
      columns[x] += v;
      row += v;
      total += v;
    }
    rows[y] = row;
  }
  return trimmedBox(columns, rows, total, speckFraction);
}

/** The box of the ink profiles once the specks at their ends are trimmed. */
function trimmedBox(
  columns: Float64Array,
  rows: Float64Array,
  total: number,
  speckFraction: number,
): Box | null {
  if (total === 0) return null;
  const allowance = total * speckFraction;
  const [x0, x1] = trimmedExtent(columns, allowance);
  const [y0, y1] = trimmedExtent(rows, allowance);
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * First and last index with mass, after dropping from each end the clusters (runs of indices
 * with mass, separated from the rest by empty ones) that together hold at most `allowance`.
 * Requiring a gap keeps a digit's own faint tail, which touches the rest of the digit.
 */
function trimmedExtent(profile: Float64Array, allowance: number): [number, number] {
  const last = profile.length - 1;
  const next = (i: number, step: 1 | -1) => {
    while (i >= 0 && i <= last && profile[i] === 0) i += step;
    return i;
  };
  let start = next(0, 1);
  let end = next(last, -1);
  for (const step of [1, -1] as const) {
    let shed = 0;
    for (;;) {
      let edge = step === 1 ? start : end;
      let cluster = 0;
      while (edge >= start && edge <= end && profile[edge] > 0) {
        cluster += profile[edge];
        edge += step;
      }
      const rest = next(edge, step);
      if (rest < start || rest > end || shed + cluster > allowance) break;
      shed += cluster;
      if (step === 1) start = rest;
      else end = rest;
    }
  }
  return [start, end];
}
