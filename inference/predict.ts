/**
 * One prediction, start to finish: image bytes -> RGBA -> the 28x28 field (MNIST's recipe)
 * -> the model's probabilities, with the time each stage took.
 *
 * @module
 */
import { mnistField, normalise } from "../lib/preprocess.ts";
import { decodeImage } from "./image_decode.ts";
import type { ModelRegistry } from "./model_registry.ts";
import { runBatch } from "./onnx_runtime.ts";

export interface Timings {
  decodeMs: number;
  preprocessMs: number;
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
  registry: ModelRegistry,
  bytes: Uint8Array,
  options: PredictOptions = {},
): Promise<Prediction> {
  const startedAt = options.startedAt ?? performance.now();
  // Resolve the model first: an unknown name should not cost a decode.
  const { metadata, session } = registry.get(options.model);
  const beforeDecode = performance.now();
  const { image } = await decodeImage(bytes, options.maxImageSide);
  const decoded = performance.now();
  const field = mnistField(image);
  const input = normalise(field, metadata.input.normalisation);
  const preprocessed = performance.now();
  const { probabilities } = await runBatch(session, input, 1);
  const inferred = performance.now();
  const scores = Array.from(probabilities);
  const ranked = scores.map((probability, digit) => ({ digit, probability }))
    .sort((a, b) => b.probability - a.probability);
  return {
    result: ranked[0].digit,
    probabilities: scores,
    model: metadata.name,
    top3: ranked.slice(0, 3),
    // Three decimals are plenty to draw the field and keep the response small.
    input: Array.from(field, (v) => Math.round(v * 1000) / 1000),
    timings: {
      decodeMs: round(decoded - beforeDecode),
      preprocessMs: round(preprocessed - decoded),
      inferenceMs: round(inferred - preprocessed),
      totalMs: round(performance.now() - startedAt),
    },
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Runs the preprocessing on a synthetic drawing a few times, so the first requests after
 * start-up do not pay for compiling it (the models warm themselves up when they load).
 */
export function warmUpPreprocessing(): void {
  const size = 96;
  const data = new Uint8Array(size * size * 4);
  for (let i = 20; i < 76; i++) data[(i * size + 48) * 4 + 3] = data[(i * size + i) * 4 + 3] = 255;
  const image = { width: size, height: size, data };
  for (let pass = 0; pass < 20; pass++) normalise(mnistField(image), { mean: 0, std: 1 });
}
