/**
 * What each digit's ink looks like when people write it: the range of the ink's box shape
 * (height / width) and the most faint holes, per digit, from the pendigits training writers'
 * digits drawn as the page draws them at three sizes and places (all but the rarest 0.1% at each end).
 * An answer whose ink falls outside its digit's range (a "9" in a square box, a "1" with
 * cells) is not trusted: random scribbles the model reads as a digit mostly look like that.
 *
 * The table is measured, not chosen: `deno run --allow-read --allow-env
 * training/digit_shape_ranges.ts` prints it (with PENDIGITS_DIR set).
 *
 * Pure TypeScript: the server and the page share it.
 *
 * @module
 */
import type { InkShape } from "./ink_shape.ts";

/** Where one digit's written ink lies. */
export interface DigitShapeRange {
  /** Lowest and highest height / width of the ink's box. */
  heightOverWidth: readonly [number, number];
  /** Most enclosed regions of paper with ink under 0.9 (InkShape.faintHoles). */
  faintHoles: number;
}

/** Per digit 0..9; measured by training/digit_shape_ranges.ts. */
export const DIGIT_SHAPE_RANGES: readonly DigitShapeRange[] = [
  // 5995 digits of the training writers x 3 places; a one may be as thin as the pen (20 / 1).
  { heightOverWidth: [0.600, 2.000], faintHoles: 4 }, // 0: 1872 drawings
  { heightOverWidth: [0.700, 20.000], faintHoles: 1 }, // 1: 1872 drawings
  { heightOverWidth: [0.650, 2.223], faintHoles: 2 }, // 2: 1872 drawings
  { heightOverWidth: [0.950, 2.500], faintHoles: 2 }, // 3: 1725 drawings
  { heightOverWidth: [0.850, 4.000], faintHoles: 2 }, // 4: 1872 drawings
  { heightOverWidth: [0.700, 2.000], faintHoles: 1 }, // 5: 1728 drawings
  { heightOverWidth: [0.950, 2.858], faintHoles: 2 }, // 6: 1728 drawings
  { heightOverWidth: [0.850, 2.500], faintHoles: 1 }, // 7: 1866 drawings
  { heightOverWidth: [0.950, 2.858], faintHoles: 4 }, // 8: 1725 drawings
  { heightOverWidth: [0.900, 2.858], faintHoles: 3 }, // 9: 1725 drawings
];

/**
 * The measure in which the ink is unlike a written `digit` (outside its range), or null when
 * it is like one.
 *
 * @example
 * ```ts
 * import { unlikeDigit } from "./digit_shapes.ts";
 * import { measureInk } from "./ink_shape.ts";
 * const field = new Float32Array(784); // a real field comes from mnistField
 * console.log(unlikeDigit(measureInk(field), 9));
 * ```
 */
export function unlikeDigit(shape: InkShape, digit: number): keyof DigitShapeRange | null {
  const range = DIGIT_SHAPE_RANGES[digit];
  if (range === undefined || shape.mass === 0) return null;
  const [low, high] = range.heightOverWidth;
  if (shape.heightOverWidth < low || shape.heightOverWidth > high) return "heightOverWidth";
  if (shape.faintHoles > range.faintHoles) return "faintHoles";
  return null;
}
