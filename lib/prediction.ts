/**
 * The `/predict` response body: one type for the server that writes it and the browser that
 * reads it.
 *
 * @module
 */

export interface Timings {
  decodeMs: number;
  preprocessMs: number;
  /** Waiting for a free inference worker (dynamic batching's queue). */
  queueMs: number;
  /** The whole batch this request ran in. */
  inferenceMs: number;
  totalMs: number;
}

/** The `/predict` response body (the tutorial's `result` and `probabilities`, and more). */
export interface Prediction {
  result: number;
  probabilities: number[];
  model: string;
  top3: { digit: number; probability: number }[];
  /** False when the answer should not be trusted: then `reason` says why (lib/confidence.ts). */
  confident: boolean;
  /** The second most likely digit. */
  runnerUp: { digit: number; probability: number };
  /** Why the answer is not confident: ink that cannot be a digit, a low or close call. */
  reason?: string;
  /** The field the model saw, row-major, 0..1 where 1 = ink, before mean/std normalisation. */
  input: number[];
  /** Digits in the batch this request ran in (dynamic batching). */
  batchSize: number;
  timings: Timings;
}

/** One digit of a `/predict/number` answer. */
export interface NumberDigit {
  result: number;
  probabilities: number[];
  /** Whether the probabilities are confident by lib/confidence.ts's limits. */
  confident: boolean;
  /** The digit's ink in the input image's pixels. */
  box: { x: number; y: number; width: number; height: number };
}

/** The `/predict/number` response body. */
export interface NumberPrediction {
  /** The digits read, left to right, as a string ("2026"; leading zeros kept). */
  number: string;
  digits: NumberDigit[];
  model: string;
  /** Candidate digits the model read (more than the digits when touching ones were split). */
  candidates: number;
  /** Digits in the batch this request ran in (its candidates, and other requests'). */
  batchSize: number;
  timings: Timings;
}
