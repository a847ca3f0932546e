/**
 * Reading a whole number: image bytes -> RGBA -> candidate digits (lib/number_segmentation.ts,
 * each through MNIST's recipe) -> one batch through the model -> the digits it reads most
 * confidently, left to right, each with its box.
 *
 * Decoding and segmentation run on the HTTP thread (the cuts depend on the whole picture);
 * the batch runs in the engine like any other (a worker when there are workers).
 *
 * @module
 */
import { temperatureScale } from "../lib/calibration.ts";
import { probabilityDoubt } from "../lib/confidence.ts";
import { readImageHeader } from "./image_header.ts";
import { numberCandidates, readNumber, type UnitStroke } from "../lib/number_segmentation.ts";
import { type NumberDigit, type NumberPrediction } from "../lib/prediction.ts";
import { normaliseInto } from "../lib/preprocess.ts";
import { threeDecimals } from "../lib/three_decimals.ts";
import { jobError } from "./batch_jobs.ts";
import type { InferenceEngine } from "./engine.ts";
import { decodeImage } from "./image_decode.ts";
import type { ModelRegistry } from "./model_registry.ts";
import { DIGIT_PIXELS } from "./onnx_runtime.ts";
import type { PredictOptions } from "./predict.ts";

export type { NumberPrediction };

export interface PredictNumberOptions extends PredictOptions {
  /** The page's strokes, in its unit coordinates; help split touching digits. */
  strokes?: UnitStroke[] | null;
}

/** Reads the number in a PNG or JPEG. Throws DigitlabError for anything the client got wrong. */
export async function predictNumber(
  engine: InferenceEngine,
  registry: ModelRegistry,
  bytes: Uint8Array,
  options: PredictNumberOptions = {},
): Promise<NumberPrediction> {
  const startedAt = options.startedAt ?? performance.now();
  registry.get(options.model); // an unknown model costs no decode
  readImageHeader(bytes, options.maxImageSide);
  const started = performance.now();
  const picture = await decodeImage(bytes, options.maxImageSide);
  const decoded = performance.now();
  const plan = numberCandidates(picture.image, options.strokes);
  picture.release(); // the candidates are copies: its megabyte need not wait for a full GC
  // No await between get and submit: a hot reload cannot retire the model in between.
  const model = registry.get(options.model);
  const { normalisation } = model.metadata.input;
  const input = new Float32Array(plan.candidates.length * DIGIT_PIXELS);
  plan.candidates.forEach(({ field }, i) => normaliseInto(field, normalisation, input, i));
  const preprocessed = performance.now();
  const result = await engine.submit(model, {
    kind: "tensor",
    input,
    count: plan.candidates.length,
  });
  if (!result.ok) throw jobError(result);
  const { probabilities, inferenceMs, queueMs, batchSize } = result.output;
  const temperature = model.metadata.calibration?.temperature ?? 1;
  const digits = readNumber(plan, probabilities).map(({ result, probabilities, box }) => {
    // Calibrated, as /predict answers: the reading is chosen on the model's own scores, but
    // what the client is told (and `confident`) is what they mean.
    const scores = temperatureScale(probabilities, temperature);
    const digit: NumberDigit = {
      result,
      probabilities: scores,
      confident: probabilityDoubt(scores) === undefined,
      box,
    };
    return digit;
  });
  return {
    number: digits.map((d) => d.result).join(""),
    digits,
    model: model.metadata.name,
    candidates: plan.candidates.length,
    batchSize,
    timings: {
      decodeMs: threeDecimals(decoded - started),
      preprocessMs: threeDecimals(preprocessed - decoded),
      queueMs: threeDecimals(queueMs),
      inferenceMs: threeDecimals(inferenceMs),
      totalMs: threeDecimals(performance.now() - startedAt),
    },
  };
}
