/**
 * Fields read by a model as the server reads them, for the scripts that measure or fit the ink
 * checks (bench/ink_checks.ts, training/scribble_score_fit.ts): MNIST's recipe on the page's
 * pixels or on a client's scan, the model's probabilities temperature-scaled as
 * inference/predict.ts scales them.
 *
 * @module
 */
import type * as ort from "onnxruntime-web";
import { createSession, runLogits } from "../inference/onnx_runtime.ts";
import { softmaxRows, temperatureScale } from "../lib/calibration.ts";
import { mnistField, normalise } from "../lib/preprocess.ts";
import type { Stroke } from "../lib/strokes.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { padPixels } from "./stroke_field.ts";

/** A model session with what reading needs from its metadata. */
export interface ServedModel {
  session: ort.InferenceSession;
  metadata: { input: { normalisation: Parameters<typeof normalise>[1] } };
  temperature: number;
}

/** Opens `path` (an .onnx file, its metadata the .json beside it without `.int8`). */
export async function openServedModel(path: string): Promise<ServedModel> {
  const metadata = JSON.parse(await Deno.readTextFile(path.replace(/(\.int8)?\.onnx$/, ".json")));
  const session = await createSession(await Deno.readFile(path));
  return { session, metadata, temperature: metadata.calibration?.temperature ?? 1 };
}

/** The calibrated probabilities of each field, in batches of 250. */
export async function servedProbabilities(
  model: ServedModel,
  fields: readonly Float32Array[],
): Promise<number[][]> {
  const out: number[][] = [];
  for (let start = 0; start < fields.length; start += 250) {
    const batch = fields.slice(start, start + 250);
    const input = new Float32Array(batch.length * 784);
    batch.forEach((f, i) => input.set(normalise(f, model.metadata.input.normalisation), i * 784));
    const probabilities = softmaxRows(await runLogits(model.session, input, batch.length));
    for (let i = 0; i < batch.length; i++) {
      out.push(temperatureScale(probabilities.subarray(i * 10, i * 10 + 10), model.temperature));
    }
  }
  return out;
}

/** The fields of drawings on the pad (unit coordinates), from the page's PNG pixels. */
export const drawnFields = (drawings: readonly Stroke[][]): Float32Array[] =>
  drawings.map((strokes) => mnistField(padPixels(strokes)));

/** The fields of the first `count` MNIST digits, sent as a client's 28x28 scan would be. */
export function scanFields(set: DigitSet, count = set.count): Float32Array[] {
  return Array.from({ length: count }, (_, i) => {
    // Dark ink on white paper, as a client's PNG of the digit would be.
    const data = set.images.subarray(i * 784, i * 784 + 784).map((v) => 255 - v);
    return mnistField({ width: 28, height: 28, channels: 1, data });
  });
}
