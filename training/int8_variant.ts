/**
 * Makes a model's int8 twin: quantizes `<name>.onnx` (quantize.ts) with MNIST training digits
 * as calibration, scores it on the test set, and writes `<name>.int8.onnx` atomically. The
 * server runs the twin in place of the float model (`--precision int8`, its default).
 *
 * @module
 */
import { writeFileAtomic } from "./atomic_write.ts";
import { int8FileName, type Int8Variant, type Normalisation } from "../lib/model_metadata.ts";
import { normaliseDigits, predictOnnx, scorePredictions } from "./evaluate.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { NothingToQuantizeError, quantizeOnnx } from "./quantize.ts";

/** Training digits the activation ranges are measured on (the first ones, for repeatability). */
export const CALIBRATION_DIGITS = 2000;

export interface Int8Inputs {
  name: string;
  outDir: string;
  fp32: Uint8Array;
  normalisation: Normalisation;
  train: DigitSet;
  test: DigitSet;
  /** The float model's labels for `test`, when the caller has them already (training does). */
  floatPredictions?: Uint8Array;
}

/**
 * Writes `<outDir>/<name>.int8.onnx` and returns what the metadata records about it, or null
 * when the model has no convolution worth quantizing (the MLP).
 */
export async function writeInt8Variant(inputs: Int8Inputs): Promise<Int8Variant | null> {
  const { name, outDir, fp32, normalisation, train, test } = inputs;
  const count = Math.min(CALIBRATION_DIGITS, train.count);
  const calibration = normaliseDigits(train.images.subarray(0, count * 784), normalisation);
  let quantized;
  try {
    quantized = await quantizeOnnx(fp32, calibration, count);
  } catch (error) {
    if (error instanceof NothingToQuantizeError) return null;
    throw error;
  }
  const int8 = await predictOnnx(quantized.bytes, test, normalisation);
  const float = inputs.floatPredictions ?? await predictOnnx(fp32, test, normalisation);
  let agree = 0;
  for (let i = 0; i < test.count; i++) agree += Number(int8[i] === float[i]);
  const file = int8FileName(name);
  await writeFileAtomic(`${outDir}/${file}`, quantized.bytes);
  return {
    file,
    testAccuracy: scorePredictions(test.labels.subarray(0, test.count), int8).accuracy,
    agreementWithFloat: agree / test.count,
    quantizedLayers: quantized.quantized,
    calibration: `first ${count} MNIST training digits; activation maxima`,
  };
}
