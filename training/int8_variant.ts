/**
 * Makes a model's int8 twin: quantizes `<name>.onnx` (quantize.ts) with MNIST training digits
 * as calibration and scores it on the test set; the caller writes `<name>.int8.onnx` with the
 * rest of the model's set. The server runs the twin in place of the float model
 * (`--precision int8`, its default).
 *
 * @module
 */
import { int8FileName, type Int8Variant, type Normalisation } from "../lib/model_metadata.ts";
import { normaliseDigits, predictOnnx, scorePredictions } from "./evaluate.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { NothingToQuantizeError, quantizeOnnx } from "./quantize.ts";

/** Training digits the activation ranges are measured on (the first ones, for repeatability). */
export const CALIBRATION_DIGITS = 2000;

export interface Int8Inputs {
  name: string;
  fp32: Uint8Array;
  normalisation: Normalisation;
  train: DigitSet;
  test: DigitSet;
  /** The float model's labels for `test`, when the caller has them already (training does). */
  floatPredictions?: Uint8Array;
  /** Told when the graph is quantized and scoring starts (a progress line). */
  onQuantized?: (layers: string[]) => void | Promise<void>;
}

/**
 * The int8 file's bytes and what the metadata records about it, or null when the model has no
 * convolution worth quantizing (the MLP).
 */
export async function makeInt8Variant(
  inputs: Int8Inputs,
): Promise<{ bytes: Uint8Array; variant: Int8Variant } | null> {
  const { name, fp32, normalisation, train, test } = inputs;
  const count = Math.min(CALIBRATION_DIGITS, train.count);
  const calibration = normaliseDigits(train.images.subarray(0, count * 784), normalisation);
  let quantized;
  try {
    quantized = await quantizeOnnx(fp32, calibration, count);
  } catch (error) {
    if (error instanceof NothingToQuantizeError) return null;
    throw error;
  }
  await inputs.onQuantized?.(quantized.quantized);
  const int8 = await predictOnnx(quantized.bytes, test, normalisation);
  const float = inputs.floatPredictions ?? await predictOnnx(fp32, test, normalisation);
  let agree = 0;
  for (let i = 0; i < test.count; i++) agree += Number(int8[i] === float[i]);
  const variant: Int8Variant = {
    file: int8FileName(name),
    testAccuracy: scorePredictions(test.labels.subarray(0, test.count), int8).accuracy,
    agreementWithFloat: agree / test.count,
    quantizedLayers: quantized.quantized,
    calibration: `first ${count} MNIST training digits; activation maxima`,
  };
  return { bytes: quantized.bytes, variant };
}
