/**
 * A pen digit as the server sees it: strokes fitted into a box on the page's pad, drawn as the
 * page draws them (`lib/stroke_raster.ts`, the page's ink on white paper) and put through
 * MNIST's recipe (`lib/preprocess.ts`), giving the 28x28 field the model reads.
 *
 * @module
 */
import { mnistField } from "../lib/preprocess.ts";
import { coverageToRgba, renderStrokes } from "../lib/stroke_raster.ts";
import type { Stroke } from "../lib/strokes.ts";
import { fitStrokes, type UnitBox } from "./pendigits.ts";

/** The page's pad: a 280 px square (the PNG it sends). */
export const PAD_SIZE = 280;

/** Where people draw on the pad, as the tests and `deno task eval` measure it. */
export interface Placement {
  name: string;
  box: UnitBox;
}

/**
 * Three sizes and places: small in a corner (the pen is then thick relative to the digit),
 * centred at a comfortable size, and large, filling the pad.
 */
export const PLACEMENTS: readonly Placement[] = [
  { name: "small, off-centre", box: { x: 0.08, y: 0.55, width: 0.32, height: 0.32 } },
  { name: "centred", box: { x: 0.2, y: 0.2, width: 0.6, height: 0.6 } },
  { name: "large", box: { x: 0.04, y: 0.04, width: 0.92, height: 0.92 } },
];

export interface FieldOptions {
  /** The pad's side in pixels (default {@link PAD_SIZE}). */
  size?: number;
  /** Pen width in pixels (default the page's, 1/14 of the pad). */
  lineWidth?: number;
}

/** The page's RGBA pixels for strokes already in unit coordinates of the pad. */
export function padPixels(strokes: Stroke[], options: FieldOptions = {}) {
  const size = options.size ?? PAD_SIZE;
  const coverage = renderStrokes(strokes, { size, lineWidth: options.lineWidth });
  return { width: size, height: size, channels: 4 as const, data: coverageToRgba(coverage) };
}

/**
 * The 28x28 field (grey bytes, ink = 255) the model reads for `strokes` (any coordinates)
 * written into `box` of the pad. Throws `no_digit_found` when nothing is drawn.
 */
export function strokeField(
  strokes: readonly Stroke[],
  box: UnitBox,
  options: FieldOptions = {},
): Uint8Array {
  const field = mnistField(padPixels(fitStrokes(strokes, box), options));
  const bytes = new Uint8Array(field.length);
  for (let i = 0; i < field.length; i++) bytes[i] = Math.round(field[i] * 255);
  return bytes;
}
