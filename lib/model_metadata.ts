/**
 * What the training pipeline writes beside each ONNX model and the server reads:
 * one type shared by both, so neither imports the other.
 *
 * @module
 */

/** The tutorial's three architectures and `draw` (real handwriting), trained and served. */
export const MODEL_NAMES = ["mlp", "cnn", "cnn-aug", "draw"] as const;
export type ModelName = typeof MODEL_NAMES[number];

/** Pixel normalisation: (pixel / 255 - mean) / std, MNIST's usual constants. */
export interface Normalisation {
  mean: number;
  std: number;
}

export const MNIST_NORMALISATION: Normalisation = { mean: 0.1307, std: 0.3081 };

export interface EpochRecord {
  epoch: number;
  loss: number;
  /** Test accuracy after the epoch; absent for epochs `--eval-every` skipped. */
  accuracy?: number;
  /** Test accuracy of the mean of the weights averaged so far (--average-last), when scored. */
  averageAccuracy?: number;
  seconds: number;
  learningRate: number;
}

/** What the exported ONNX graph takes and gives, as every model's metadata records it. */
export const MODEL_IO: Pick<ModelMetadata, "input" | "outputs"> = {
  input: {
    name: "input",
    shape: ["N", 1, 28, 28],
    layout: "NCHW",
    normalisation: MNIST_NORMALISATION,
  },
  outputs: [{ name: "logits", shape: ["N", 10] }, { name: "probabilities", shape: ["N", 10] }],
};

/** A teacher of knowledge distillation, as a model's metadata names it (training/distillation.ts). */
export interface TeacherRecord {
  /** The file's name. */
  file: string;
  sha256: string;
  /** Its share of the loss. */
  weight: number;
  temperature: number;
}

export interface ModelMetadata {
  name: string;
  version: string;
  architecture: string[];
  parameters: number;
  input: { name: string; shape: (number | string)[]; layout: "NCHW"; normalisation: Normalisation };
  outputs: { name: string; shape: (number | string)[] }[];
  opset: number;
  testAccuracy: number;
  perClassAccuracy: number[];
  confusionMatrix: number[][];
  history: EpochRecord[];
  hyperParameters: {
    epochs: number;
    batchSize: number;
    learningRate: number;
    schedule: string;
    optimizer: string;
    loss: string;
    augmentation: boolean;
    limit: number | null;
    /** Test accuracy was scored every K epochs only (absent: every epoch). */
    evalEvery?: number;
    /** The exported weights are the mean of the last N epochs' (absent: the last epoch's). */
    averageLast?: number;
    /** Their constant learning rate, the schedule spanning the epochs before them. */
    averageLearningRate?: number;
    /** Its filters' scale (--width; absent: 1). */
    width?: number;
    /** The model it learnt from beside the labels (--teacher; absent: the labels alone). */
    teacher?: TeacherRecord;
  };
  seed: number;
  trainingSeconds: number;
  date: string;
  data: { trainCount: number; testCount: number; sha256: Record<string, string> };
  tools: Record<string, string>;
  augmentationSheet?: string;
  /** The int8 twin the server runs by default (training/int8_variant.ts); absent for the MLP. */
  int8?: Int8Variant;
  /** Every data set trained or validated on, with checksums and credits (the `draw` model). */
  dataSets?: DataSet[];
  /** Temperature scaling fitted on held-out data; the server applies it to every answer. */
  calibration?: Calibration;
  /** Accuracy on the held-out pendigits writers, drawn as the page draws (the `draw` model). */
  heldOut?: HeldOutAccuracy;
  /** Set by the server, not by training: which of the two files it runs. */
  precision?: Precision;
}

/** Which file of a model runs: `<name>.onnx` (float) or its int8 twin. */
export type Precision = "fp32" | "int8";
export const PRECISIONS: readonly Precision[] = ["int8", "fp32"];

/** What the server runs unless `--precision` says otherwise: a model's int8 twin, if it has one. */
export const DEFAULT_PRECISION: Precision = "int8";

/** The int8 twin's file name, beside `<name>.onnx`. */
export function int8FileName(name: string): string {
  return `${name}.int8.onnx`;
}

/**
 * The model a file in a models folder belongs to: `cnn` for cnn.onnx, cnn.int8.onnx and
 * cnn.json; null for other files.
 */
export function modelNameOf(fileName: string): string | null {
  return /^(.+?)(?:\.int8)?\.(?:onnx|json)$/.exec(fileName)?.[1] ?? null;
}

/** Like modelNameOf, for model files only (`.onnx`): a model is there when one of them is. */
export function modelOfOnnxFile(fileName: string): string | null {
  return fileName.endsWith(".onnx") ? modelNameOf(fileName) : null;
}

/** What the metadata records about a model's int8 file. */
export interface Int8Variant {
  /** Beside the float model: `<name>.int8.onnx`. */
  file: string;
  /** MNIST test accuracy of the int8 file (fraction). */
  testAccuracy: number;
  /** Fraction of test digits where int8 and float give the same label. */
  agreementWithFloat: number;
  /** The convolutions that run in int8 (by weight name); the rest stays float. */
  quantizedLayers: string[];
  calibration: string;
}

/** What `GET /models` lists for each model; the draw page's summary extends it. */
export interface ModelListing {
  name: string;
  version: string;
  /** The file served: the float model or its int8 twin. */
  precision: Precision;
  /** MNIST test accuracy of the file served. */
  testAccuracy: number;
  parameters: number;
  architecture: string[];
}

export function listingOf(metadata: ModelMetadata): ModelListing {
  const { name, version, parameters, architecture } = metadata;
  // Absent only on metadata no server has loaded (training's): that describes the float file.
  const precision = metadata.precision ?? "fp32";
  const testAccuracy = precision === "int8" && metadata.int8
    ? metadata.int8.testAccuracy
    : metadata.testAccuracy;
  return { name, version, precision, testAccuracy, parameters, architecture };
}

/** One data set a model was trained or validated on. */
export interface DataSet {
  name: string;
  /** Trained on, or held out for validation and calibration. */
  use: "train" | "held-out";
  count: number;
  sha256: Record<string, string>;
  credit?: string;
  licence?: string;
}

/** Temperature scaling: probabilities = softmax(logits / temperature). */
export interface Calibration {
  method: "temperature";
  temperature: number;
  /** Expected calibration error (15 bins) on `data` before and after scaling. */
  eceBefore: number;
  eceAfter: number;
  /** What it was fitted and measured on, and which file (the one served). */
  data: string;
}

/** The held-out writers' accuracy: overall, per digit and per size and place on the pad. */
export interface HeldOutAccuracy {
  writers: number[];
  count: number;
  accuracy: number;
  perClassAccuracy: number[];
  byPlacement: { placement: string; accuracy: number }[];
  confusionMatrix: number[][];
  /** Which file was scored (the int8 twin when there is one: the file served). */
  file: string;
}
