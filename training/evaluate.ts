/**
 * Scores an ONNX model on a labelled digit set with onnxruntime-web: what `deno task eval`
 * prints and what the training pipeline records in each model's metadata.
 *
 * @module
 */
import { CLASS_COUNT, createSession, DIGIT_PIXELS, runLogits } from "../inference/onnx_runtime.ts";
import { MNIST_NORMALISATION, modelNameOf, type Normalisation } from "../lib/model_metadata.ts";
import { type DigitSet, parseDigitSet } from "./mnist_idx.ts";

/** How well a model labels a set. Accuracies are fractions (0-1). */
export interface Evaluation {
  count: number;
  correct: number;
  accuracy: number;
  /** Accuracy on the images of each true class (0 for a class with no images). */
  perClassAccuracy: number[];
  /** confusionMatrix[truth][predicted] = number of images. */
  confusionMatrix: number[][];
}

/** A problem the user can fix: a missing or unreadable model, data or metadata file. */
export class EvaluationError extends Error {
  override name = "EvaluationError";
  constructor(readonly code: "missing_file" | "bad_file", message: string) {
    super(message);
  }
}

export const TEST_IMAGES_FILE = "t10k-images-idx3-ubyte.gz";
export const TEST_LABELS_FILE = "t10k-labels-idx1-ubyte.gz";

/** (pixel / 255 - mean) / std for every pixel: the models' input. */
export function normaliseDigits(pixels: Uint8Array, normalisation: Normalisation): Float32Array {
  const { mean, std } = normalisation;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = (pixels[i] / 255 - mean) / std;
  return out;
}

/** The index of the largest value of each row of `classes` scores. */
export function argmaxRows(scores: Float32Array, classes = CLASS_COUNT): Uint8Array {
  const rows = scores.length / classes;
  const best = new Uint8Array(rows);
  for (let row = 0; row < rows; row++) {
    let top = 0;
    for (let c = 1; c < classes; c++) {
      if (scores[row * classes + c] > scores[row * classes + top]) top = c;
    }
    best[row] = top;
  }
  return best;
}

/** Accuracy, per-class accuracy and confusion matrix of predictions against labels. */
export function scorePredictions(
  labels: Uint8Array,
  predictions: Uint8Array,
  classes = CLASS_COUNT,
): Evaluation {
  if (labels.length !== predictions.length) {
    throw new RangeError(`${labels.length} labels but ${predictions.length} predictions`);
  }
  const confusionMatrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    confusionMatrix[labels[i]][predictions[i]]++;
    if (labels[i] === predictions[i]) correct++;
  }
  const perClassAccuracy = confusionMatrix.map((row, truth) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : row[truth] / total;
  });
  const count = labels.length;
  return {
    count,
    correct,
    accuracy: count === 0 ? 0 : correct / count,
    perClassAccuracy,
    confusionMatrix,
  };
}

export interface EvaluateOptions {
  /** Images per onnxruntime run (default 500). */
  batchSize?: number;
}

/** Runs the ONNX model over the whole set in batches and scores its argmax predictions. */
export async function evaluateOnnx(
  modelBytes: Uint8Array,
  testSet: DigitSet,
  normalisation: Normalisation = MNIST_NORMALISATION,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const predictions = await predictOnnx(modelBytes, testSet, normalisation, options);
  return scorePredictions(testSet.labels.subarray(0, testSet.count), predictions);
}

/** The model's argmax label for every image of the set, run in batches. */
export async function predictOnnx(
  modelBytes: Uint8Array,
  set: DigitSet,
  normalisation: Normalisation = MNIST_NORMALISATION,
  options: EvaluateOptions = {},
): Promise<Uint8Array> {
  const batchSize = options.batchSize ?? 500;
  const session = await createSession(modelBytes);
  const predictions = new Uint8Array(set.count);
  try {
    for (let start = 0; start < set.count; start += batchSize) {
      const batch = Math.min(batchSize, set.count - start);
      const pixels = set.images.subarray(start * DIGIT_PIXELS, (start + batch) * DIGIT_PIXELS);
      const logits = await runLogits(session, normaliseDigits(pixels, normalisation), batch);
      predictions.set(argmaxRows(logits), start);
    }
  } finally {
    await session.release();
  }
  return predictions;
}

/** Reads MNIST's test set (the two t10k .gz files) from `dir`. */
export async function loadTestSet(dir: string): Promise<DigitSet> {
  const images = await readFileOrFail(`${dir}/${TEST_IMAGES_FILE}`, "MNIST test images");
  const labels = await readFileOrFail(`${dir}/${TEST_LABELS_FILE}`, "MNIST test labels");
  try {
    return await parseDigitSet(images, labels);
  } catch (error) {
    throw new EvaluationError("bad_file", `${dir}: ${(error as Error).message}`);
  }
}

/**
 * The normalisation recorded in the metadata JSON beside `onnxPath` (models/<name>.json, also
 * for the int8 twin models/<name>.int8.onnx), or MNIST's when there is no such file.
 */
export async function readNormalisation(onnxPath: string): Promise<Normalisation> {
  const folder = onnxPath.slice(0, onnxPath.lastIndexOf("/") + 1);
  const file = onnxPath.slice(folder.length);
  const jsonPath = `${folder}${modelNameOf(file) ?? file}.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(jsonPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return MNIST_NORMALISATION;
    throw error;
  }
  let metadata;
  try {
    metadata = JSON.parse(text);
  } catch (error) {
    throw new EvaluationError("bad_file", `${jsonPath}: ${(error as Error).message}`);
  }
  const normalisation = metadata?.input?.normalisation;
  if (normalisation === undefined) return MNIST_NORMALISATION;
  const { mean, std } = normalisation;
  if (typeof mean !== "number" || typeof std !== "number" || !(std > 0)) {
    throw new EvaluationError(
      "bad_file",
      `${jsonPath}: input.normalisation is not {mean, std > 0}`,
    );
  }
  return { mean, std };
}

/** Reads a file, turning "not found" into a one-line EvaluationError. */
export async function readFileOrFail(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new EvaluationError("missing_file", `${what} not found: ${path}`);
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw new EvaluationError("bad_file", `${what} is a folder, not a file: ${path}`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new EvaluationError("bad_file", `${what} is not readable: ${path}`);
    }
    throw error;
  }
}
