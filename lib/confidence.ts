/**
 * Whether an answer deserves trust, and if not, why: the ink cannot be a digit
 * (ink_shape.ts), it is unlike the digit answered (digit_shapes.ts), ink and answer together
 * score as a scribble (scribble_score.ts), the top probability is
 * low, or the top two are close. Probabilities are the
 * calibrated ones (calibration.ts), so "low" means the same for every model.
 *
 * Pure TypeScript: the server writes these fields and the page can recompute them.
 *
 * @module
 */
import { unlikeDigit } from "./digit_shapes.ts";
import { type InkProblem, inkProblem, measureInk } from "./ink_shape.ts";
import { looksScribbled, SCRIBBLE_SCORE, type ScribbleScore } from "./scribble_score.ts";

/** Where trust ends. */
export const CONFIDENCE_LIMITS = {
  /**
   * Below this top probability an answer is not confident. Measured with `draw` (calibrated) on
   * held-out writers and on 120 random scribbles (seeds 13 and 99): 0.9 keeps 97.6% of real
   * digits over it and lets 17 scribbles through; 0.97 would keep 95.1% and let 10 through.
   */
  minTop: 0.9,
  /** Top two closer than this (difference of probabilities) is a close call. */
  minMargin: 0.3,
} as const;

export interface Confidence {
  confident: boolean;
  /** The second most likely digit. */
  runnerUp: { digit: number; probability: number };
  /** Why the answer is not confident; absent when it is. */
  reason?: string;
}

const INK_REASONS: Record<InkProblem, string> = {
  dot: "a dot, not a digit",
  line: "a straight line, not a digit",
  filled: "a filled blob, not a digit",
  scribble: "a scribble, not a digit",
};

const percent = (p: number) => `${(p * 100).toFixed(0)}%`;

/** Why the probabilities alone are not confident (close top two, low top), or undefined. */
export function probabilityDoubt(probabilities: ArrayLike<number>): string | undefined {
  // Ranked as the answer's top3 is (a stable sort: ties keep the lower digit first).
  const [top, second] = Array.from(probabilities, (_, d) => d)
    .sort((a, b) => probabilities[b] - probabilities[a]);
  const p = probabilities[top];
  if (p - probabilities[second] < CONFIDENCE_LIMITS.minMargin) {
    return `close call: ${top} or ${second}`;
  }
  if (p < CONFIDENCE_LIMITS.minTop) return `low top probability (${percent(p)})`;
  return undefined;
}

/**
 * Assesses an answer from its (calibrated) probabilities and the 28x28 field the model read
 * (`scribbles`: the scribble score to apply, scribble_score.ts's fitted one unless measuring).
 *
 * @example
 * ```ts
 * import { assessAnswer } from "./confidence.ts";
 * const field = new Float32Array(784); // a real field comes from mnistField
 * const { confident, reason } = assessAnswer([0.5, 0.45, 0.05, 0, 0, 0, 0, 0, 0, 0], field);
 * console.log(confident, reason); // false "close call: 0 or 1"
 * ```
 */
export function assessAnswer(
  probabilities: ArrayLike<number>,
  field: Float32Array,
  scribbles: ScribbleScore = SCRIBBLE_SCORE,
): Confidence {
  // Ranked as the answer's top3 is (a stable sort: ties keep the lower digit first).
  const [top, second] = Array.from(probabilities, (_, d) => d)
    .sort((a, b) => probabilities[b] - probabilities[a]);
  const runnerUp = { digit: second, probability: probabilities[second] };
  const shape = measureInk(field);
  const problem = inkProblem(shape);
  const reason = problem
    ? INK_REASONS[problem]
    : unlikeDigit(shape, top)
    ? `ink unlike a written ${top}`
    : looksScribbled(shape, probabilities, scribbles)
    ? INK_REASONS.scribble
    : probabilityDoubt(probabilities);
  return reason ? { confident: false, runnerUp, reason } : { confident: true, runnerUp };
}
