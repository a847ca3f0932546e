/**
 * One prediction, start to finish: image bytes -> RGBA -> the 28x28 field (MNIST's recipe)
 * -> the model's probabilities, with the time each stage took. The work runs in the engine
 * (batched with other requests, in a worker when there are workers).
 *
 * @module
 */
import { readImageHeader } from "./image_header.ts";
import { mnistField, normalise } from "../lib/preprocess.ts";
import { type Job, jobError } from "./batch_jobs.ts";
import type { InferenceEngine } from "./engine.ts";
import type { BigDecodePool } from "./big_decode.ts";
import { decodeImage } from "./image_decode.ts";
import type { ModelRegistry } from "./model_registry.ts";
import type { Prediction, Timings } from "../lib/prediction.ts";
import { threeDecimals } from "../lib/three_decimals.ts";
import { temperatureScale } from "../lib/calibration.ts";
import { assessAnswer } from "../lib/confidence.ts";

export type { Prediction, Timings };

/**
 * Images over this many pixels are decoded here rather than in an inference worker: a worker
 * that sits idle after a 16-megapixel decode keeps that garbage (V8 collects when it allocates),
 * while the main thread allocates with every request and frees it soon. Canvas-sized images
 * stay in the workers.
 */
export const DECODE_IN_WORKER_MAX_PIXELS = 1024 * 1024;

export { warmUpPreprocessing } from "./warm_up.ts";

export interface PredictOptions {
  /** `?model=`; the registry's default when absent. */
  model?: string | null;
  /** Largest accepted image side. */
  maxImageSide?: number;
  /** When the request started (performance.now()), so totalMs includes reading the body. */
  startedAt?: number;
  /** Where big images are decoded, off this thread; on this thread when absent. */
  bigDecodes?: BigDecodePool;
}

/** Predicts the digit in a PNG or JPEG. Throws DigitlabError for anything the client got wrong. */
export async function predictDigit(
  engine: InferenceEngine,
  registry: ModelRegistry,
  bytes: Uint8Array,
  options: PredictOptions = {},
): Promise<Prediction> {
  const startedAt = options.startedAt ?? performance.now();
  registry.get(options.model); // an unknown model costs no decode
  const header = readImageHeader(bytes, options.maxImageSide);
  const big = header.width * header.height > DECODE_IN_WORKER_MAX_PIXELS;
  if (!big && options.bigDecodes) {
    // An ordinary image: big decodes rest while it is in progress.
    const ordinary = { ...options, startedAt, bigDecodes: undefined };
    return options.bigDecodes.ordinary(() => predictDigit(engine, registry, bytes, ordinary));
  }
  let job: Job = { kind: "image", bytes, maxSide: options.maxImageSide };
  let here: { field: Float32Array; decodeMs: number; preprocessMs: number } | undefined;
  const decodeHere = engine.options.preprocessIn === "main" || big;
  if (big && options.bigDecodes) {
    here = await options.bigDecodes.decode(bytes, options.maxImageSide);
  } else if (decodeHere) {
    const started = performance.now();
    const { image } = await decodeImage(bytes, options.maxImageSide);
    const decoded = performance.now();
    const field = mnistField(image);
    here = { field, decodeMs: decoded - started, preprocessMs: performance.now() - decoded };
  }
  // No await between get and submit: a hot reload cannot retire the model in between.
  const model = registry.get(options.model);
  if (here) {
    job = {
      kind: "tensor",
      input: normalise(here.field, model.metadata.input.normalisation),
      count: 1,
    };
  }
  const result = await engine.submit(model, job);
  if (!result.ok) throw jobError(result);
  const { probabilities, inferenceMs, queueMs, batchSize } = result.output;
  const { field, decodeMs, preprocessMs } = here ?? result.output;
  // Calibrated probabilities when the model's metadata has a temperature (the `draw` model).
  const scores = temperatureScale(probabilities, model.metadata.calibration?.temperature ?? 1);
  const ranked = scores.map((probability, digit) => ({ digit, probability }))
    .sort((a, b) => b.probability - a.probability);
  return {
    result: ranked[0].digit,
    probabilities: scores,
    model: model.metadata.name,
    top3: ranked.slice(0, 3),
    // Image jobs always carry their field; an empty one would only skip the ink checks.
    ...assessAnswer(scores, field ?? new Float32Array(784)),
    input: roundedField(field),
    batchSize,
    timings: {
      decodeMs: threeDecimals(decodeMs),
      preprocessMs: threeDecimals(preprocessMs),
      queueMs: threeDecimals(queueMs),
      inferenceMs: threeDecimals(inferenceMs),
      totalMs: threeDecimals(performance.now() - startedAt),
    },
  };
}

/**
 * The field with three decimals (plenty to draw it, and a small response). An index loop into
 * a preallocated array: `Array.from(field, fn)` costs 3x the time and 8x the garbage (70 KB
 * per request) through its iterator.
 */
export function roundedField(field: Float32Array | undefined): number[] {
  const values = new Array<number>(field?.length ?? 0);
  for (let i = 0; i < values.length; i++) values[i] = threeDecimals(field![i]);
  return values;
}
