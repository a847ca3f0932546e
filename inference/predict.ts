/**
 * One prediction, start to finish: image bytes -> RGBA -> the 28x28 field (MNIST's recipe)
 * -> the model's probabilities, with the time each stage took. The work runs in the engine
 * (batched with other requests, in a worker when there are workers).
 *
 * @module
 */
import { jobError } from "./batch_jobs.ts";
import type { InferenceEngine } from "./engine.ts";
import type { ModelRegistry } from "./model_registry.ts";

export { warmUpPreprocessing } from "./warm_up.ts";

export interface Timings {
  decodeMs: number;
  preprocessMs: number;
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
  /** The field the model saw, row-major, 0..1 where 1 = ink, before mean/std normalisation. */
  input: number[];
  /** Digits in the batch this request ran in (dynamic batching). */
  batchSize: number;
  timings: Timings;
}

export interface PredictOptions {
  /** `?model=`; the registry's default when absent. */
  model?: string | null;
  /** Largest accepted image side. */
  maxImageSide?: number;
  /** When the request started (performance.now()), so totalMs includes reading the body. */
  startedAt?: number;
}

/** Predicts the digit in a PNG or JPEG. Throws DigitlabError for anything the client got wrong. */
export async function predictDigit(
  engine: InferenceEngine,
  registry: ModelRegistry,
  bytes: Uint8Array,
  options: PredictOptions = {},
): Promise<Prediction> {
  const startedAt = options.startedAt ?? performance.now();
  // No await between get and submit: a hot reload cannot retire the model in between.
  const model = registry.get(options.model);
  const result = await engine.submit(model, {
    kind: "image",
    bytes,
    maxSide: options.maxImageSide,
  });
  if (!result.ok) throw jobError(result);
  const { probabilities, field, decodeMs, preprocessMs, inferenceMs, batchSize } = result.output;
  const scores = Array.from(probabilities);
  const ranked = scores.map((probability, digit) => ({ digit, probability }))
    .sort((a, b) => b.probability - a.probability);
  return {
    result: ranked[0].digit,
    probabilities: scores,
    model: model.metadata.name,
    top3: ranked.slice(0, 3),
    // Three decimals are plenty to draw the field and keep the response small.
    input: Array.from(field ?? [], (v) => Math.round(v * 1000) / 1000),
    batchSize,
    timings: {
      decodeMs: round(decodeMs),
      preprocessMs: round(preprocessMs),
      inferenceMs: round(inferenceMs),
      totalMs: round(performance.now() - startedAt),
    },
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
