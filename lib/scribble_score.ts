/**
 * How much the ink and the model's answer look like a scribble rather than a written digit, as
 * one number: a small network (one hidden layer of 16) over the ink's measures (ink_shape.ts:
 * how much ink, how deep, how long a path, how evenly one pen drew it, its cells and crossings)
 * and the calibrated margin between the top two answers, with the digit answered. The single
 * checks of ink_shape.ts and digit_shapes.ts each look at one measure; a scribble the model
 * reads as a digit is mostly a little of everything (piled-up ink, a long path, a pen width that
 * varies, a close-ish margin) that no single limit can refuse without refusing real digits too.
 *
 * The weights are measured, not chosen: `training/scribble_score_fit.ts` fits them on real
 * digits (the pendigits training writers' and MNIST training digits) against seeded random
 * scribbles (seeds no test or benchmark uses), sets the limit so that 0.5% of those confident
 * real digits reach it, and writes them to scribble_score_table.ts.
 *
 * Pure TypeScript: the server and the page share it.
 *
 * @module
 */
import type { InkShape } from "./ink_shape.ts";
import { SCRIBBLE_SCORE } from "./scribble_score_table.ts";

export { SCRIBBLE_SCORE };

/** The measures the score weighs, in the order of {@link SCRIBBLE_SCORE}'s `centre` and rows. */
export const SCRIBBLE_FEATURES = [
  "log odds of the top two",
  "log mass",
  "thickest",
  "log drawn length",
  "log path length",
  "fill",
  "crossings",
  "holes",
  "faint holes",
  "log height / width",
  "thinness",
  "skeleton depth, low",
  "skeleton depth, middle",
  "skeleton depth, high",
  "skeleton depth, high / low",
  "deep share",
  ...Array.from({ length: 10 }, (_, d) => `answered ${d}`),
] as const;

/** The measures of {@link SCRIBBLE_FEATURES} for ink and the (calibrated) answer. */
export function scribbleFeatures(shape: InkShape, probabilities: ArrayLike<number>): number[] {
  let top = 0;
  for (let d = 1; d < probabilities.length; d++) {
    if (probabilities[d] > probabilities[top]) top = d;
  }
  let second = top === 0 ? 1 : 0;
  for (let d = 0; d < probabilities.length; d++) {
    if (d !== top && probabilities[d] > probabilities[second]) second = d;
  }
  const tiny = 1e-12; // a probability rounded to 0 still has finite odds
  return [
    Math.log(Math.max(probabilities[top], tiny) / Math.max(probabilities[second], tiny)),
    Math.log(Math.max(shape.mass, tiny)),
    shape.thickest,
    Math.log1p(shape.drawnLength),
    Math.log1p(shape.pathLength),
    shape.fill,
    shape.crossings,
    shape.holes,
    shape.faintHoles,
    Math.log(shape.heightOverWidth),
    shape.thinness,
    ...shape.skeletonDepth,
    shape.skeletonDepth[2] / Math.max(1, shape.skeletonDepth[0]),
    shape.deepShare,
    ...Array.from({ length: 10 }, (_, d) => d === top ? 1 : 0),
  ];
}

/**
 * The fitted score: a network of one hidden layer (rectified) over the standardised features,
 * `output . max(0, hidden * ((features - centre) / scale) + hiddenBias) + outputBias`; at
 * `limit` or over it is a scribble.
 */
export interface ScribbleScore {
  /** Per feature, the mean and spread of the fit's rows that standardise it. */
  centre: readonly number[];
  scale: readonly number[];
  /** One row of feature weights per hidden unit. */
  hidden: readonly (readonly number[])[];
  hiddenBias: readonly number[];
  output: readonly number[];
  outputBias: number;
  limit: number;
}

/**
 * The score of ink and its answer (higher: more like a scribble).
 *
 * @example
 * ```ts
 * import { SCRIBBLE_SCORE, scribbleScore } from "./scribble_score.ts";
 * import { measureInk } from "./ink_shape.ts";
 * const field = new Float32Array(784); // a real field comes from mnistField
 * field[14 * 28 + 14] = 1;
 * const probabilities = [0.01, 0.9, 0.01, 0.01, 0.01, 0.02, 0.01, 0.01, 0.01, 0.01];
 * console.log(scribbleScore(measureInk(field), probabilities) >= SCRIBBLE_SCORE.limit);
 * ```
 */
export function scribbleScore(
  shape: InkShape,
  probabilities: ArrayLike<number>,
  score: ScribbleScore = SCRIBBLE_SCORE,
): number {
  return scoreFeatures(scribbleFeatures(shape, probabilities), score);
}

/** The score of already measured features (the fit scores its rows with it). */
export function scoreFeatures(features: readonly number[], score: ScribbleScore): number {
  const z = features.map((v, i) => (v - score.centre[i]) / score.scale[i]);
  let sum = score.outputBias;
  for (let j = 0; j < score.hidden.length; j++) {
    const row = score.hidden[j];
    let unit = score.hiddenBias[j];
    for (let i = 0; i < z.length; i++) unit += row[i] * z[i];
    if (unit > 0) sum += score.output[j] * unit;
  }
  return sum;
}

/** A score that calls nothing a scribble: what the answers were before the score. */
export const NO_SCRIBBLE_SCORE: ScribbleScore = {
  centre: [],
  scale: [],
  hidden: [],
  hiddenBias: [],
  output: [],
  outputBias: 0,
  limit: Infinity,
};

/** Whether ink and its answer score as a scribble (never for empty ink). */
export function looksScribbled(
  shape: InkShape,
  probabilities: ArrayLike<number>,
  score: ScribbleScore = SCRIBBLE_SCORE,
): boolean {
  if (shape.mass === 0 || score.limit === Infinity) return false;
  return scribbleScore(shape, probabilities, score) >= score.limit;
}
