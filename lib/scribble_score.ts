/**
 * How much the ink and the model's answer look like a scribble rather than a written digit, as
 * one number: a logistic score over the ink's measures (ink_shape.ts) and the calibrated margin
 * between the top two answers, with one term per digit answered. The single checks of
 * ink_shape.ts and digit_shapes.ts each look at one measure; a scribble the model reads as a
 * digit is mostly a little of everything (piled-up ink, a long path, a close-ish margin) that no
 * single limit can refuse without refusing real digits too.
 *
 * The weights are measured, not chosen: `training/scribble_score_fit.ts` fits them on the
 * pendigits training writers' digits against seeded random scribbles (seeds no test uses) and
 * sets the limit so that 0.2% of the training writers' confident digits reach it.
 *
 * Pure TypeScript: the server and the page share it.
 *
 * @module
 */
import type { InkShape } from "./ink_shape.ts";

/** The measures the score weighs, in the order of {@link SCRIBBLE_SCORE}'s weights. */
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
    ...Array.from({ length: 10 }, (_, d) => d === top ? 1 : 0),
  ];
}

/** The fitted score: `bias + sum(weights * features)`; at `limit` or over it is a scribble. */
export interface ScribbleScore {
  weights: readonly number[];
  bias: number;
  limit: number;
}

/**
 * Fitted by training/scribble_score_fit.ts (its output, pasted): on draw, 17,336 confident
 * training-writer drawings and 2,000 scribbles of the fit seeds (100 confident without the
 * score, 73 of them caught).
 */
export const SCRIBBLE_SCORE: ScribbleScore = {
  weights: [
    -0.6996, // log odds of the top two
    0.3435, // log mass
    1.5464, // thickest
    2.0763, // log drawn length
    -0.3305, // log path length
    -1.9437, // fill
    0.7254, // crossings
    0.2513, // holes
    0.7015, // faint holes
    -4.5120, // log height / width
    2.8936, // thinness
    -0.4955, // answered 0
    -2.2103, // answered 1
    0.9075, // answered 2
    0.8019, // answered 3
    1.0563, // answered 4
    0.3590, // answered 5
    0.2562, // answered 6
    0.1619, // answered 7
    0.7177, // answered 8
    -2.4187, // answered 9
  ],
  bias: -13.0396,
  limit: 1.2249,
};

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
  const features = scribbleFeatures(shape, probabilities);
  let sum = score.bias;
  for (let i = 0; i < features.length; i++) sum += score.weights[i] * features[i];
  return sum;
}

/** A score that calls nothing a scribble: what the answers were before the score. */
export const NO_SCRIBBLE_SCORE: ScribbleScore = { weights: [], bias: 0, limit: Infinity };

/** Whether ink and its answer score as a scribble (never for empty ink). */
export function looksScribbled(
  shape: InkShape,
  probabilities: ArrayLike<number>,
  score: ScribbleScore = SCRIBBLE_SCORE,
): boolean {
  if (shape.mass === 0 || score.limit === Infinity) return false;
  return scribbleScore(shape, probabilities, score) >= score.limit;
}
