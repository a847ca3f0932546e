/**
 * MNIST's recipe for any picture of a digit, the single source of truth for the server, the
 * browser and evaluation: ink map (alpha or polarity-corrected grey) -> ink bounding box ->
 * longest side fitted into 20 px by area averaging (strongest ink scaled to 1) -> placed in
 * 28x28 by centre of mass.
 *
 * It runs on every request over every pixel, so the ink stays one byte per pixel with a
 * 256-entry table to its value, and the passes after the first skip the background rows and
 * margins (ink_map.ts `inkLevels`); the results equal the plain per-pixel float pipeline's
 * (preprocess_equivalence_test.ts).
 *
 * Pure TypeScript on typed arrays, no Deno APIs.
 *
 * @module
 */
import { areaResizeLevels } from "./area_resize.ts";
import { placeByCentreOfMass } from "./centre_of_mass.ts";
import { DigitlabError } from "./errors.ts";
import { inkLevelsBoundingBox } from "./ink_box.ts";
import { type InkLevels, inkLevels, type PixelImage } from "./ink_map.ts";
import type { Normalisation } from "./model_metadata.ts";

export type { PixelImage, RgbaImage } from "./ink_map.ts";

/** Side of the models' input field. */
export const FIELD_SIZE = 28;

/** Side of the box MNIST fitted each digit into before centring it in the field. */
export const DIGIT_BOX = 20;

/**
 * The 28x28 field the model sees, row-major, 0..1 where 1 is ink (MNIST's white on black),
 * before mean/std normalisation. Throws `no_digit_found` for a blank image.
 *
 * @example
 * ```ts
 * import type { ModelMetadata } from "./model_metadata.ts";
 *
 * declare const canvas: HTMLCanvasElement; // what the user drew on
 * declare const metadata: ModelMetadata;
 * const { width, height } = canvas;
 * const context = canvas.getContext("2d")!;
 * const field = mnistField({ width, height, data: context.getImageData(0, 0, width, height).data });
 * const input = normalise(field, metadata.input.normalisation);
 * ```
 */
export function mnistField(image: PixelImage): Float32Array {
  const field = inkLevelsField(inkLevels(image));
  if (field === null) {
    throw new DigitlabError("no_digit_found", "no digit found: the image has no visible ink");
  }
  return field;
}

/**
 * The recipe after the ink map: `mnistField` of ink already found (one digit cut out of a
 * number). Null when there is no ink to box.
 */
export function inkLevelsField(levels: InkLevels | null): Float32Array | null {
  const box = levels && inkLevelsBoundingBox(levels);
  if (levels === null || box === null) return null;
  const scale = DIGIT_BOX / Math.max(box.width, box.height);
  const width = Math.max(1, Math.round(box.width * scale));
  const height = Math.max(1, Math.round(box.height * scale));
  const digit = areaResizeLevels(levels, box, width, height);
  // MNIST's digits all reach full ink; a thin pen averaged down would stay grey without this.
  let peak = 0;
  for (const v of digit) if (v > peak) peak = v;
  for (let i = 0; i < digit.length; i++) digit[i] /= peak;
  return placeByCentreOfMass(digit, width, height, FIELD_SIZE);
}

/** (value - mean) / std for every pixel: the models' input scaling. */
export function normalise(field: Float32Array, normalisation: Normalisation): Float32Array {
  return normaliseInto(field, normalisation, new Float32Array(field.length), 0);
}

/** `normalise` written into `batch` as its `index`th field (no copy per digit of a number). */
export function normaliseInto(
  field: Float32Array,
  { mean, std }: Normalisation,
  batch: Float32Array,
  index: number,
): Float32Array {
  const at = index * field.length;
  for (let i = 0; i < field.length; i++) batch[at + i] = (field[i] - mean) / std;
  return batch;
}
