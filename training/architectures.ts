/**
 * The tfjs architectures: the tutorial's MLP, CNN and augmented CNN, and `draw`.
 * Inputs are NHWC [N,28,28,1], normalised; outputs are logits [N,10].
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelName } from "../lib/model_metadata.ts";
import { Augmenter } from "./augment.ts";
import { DrawAugmenter } from "./draw_augment.ts";
import { prepareDrawData } from "./draw_data.ts";
import { type DrawExportInputs, drawMetadata } from "./draw_export.ts";
import type { ModelMetadata } from "../lib/model_metadata.ts";
import { batchDropout } from "./batch_dropout.ts";
import { fastBatchNormalization } from "./fast_batch_norm.ts";
import type { Mnist } from "./mnist_data.ts";
import type { DigitSet } from "./mnist_idx.ts";
import type { Random } from "./random.ts";
import { trainingConv2d } from "./training_conv.ts";
import {
  DEFAULT_TEACHER_WEIGHT,
  DEFAULT_TEMPERATURE,
  type Distillation,
  NO_TEACHER,
} from "./distillation.ts";

type ConvArgs = Parameters<typeof tf.layers.conv2d>[0];

const INPUT_SHAPE = [28, 28, 1];

function mlp(seed: number): tf.Sequential {
  return tf.sequential({
    name: "mlp",
    layers: [
      tf.layers.flatten({ inputShape: INPUT_SHAPE }),
      tf.layers.dense({ units: 392, activation: "relu", kernelInitializer: glorot(seed) }),
      tf.layers.dense({ units: 10, kernelInitializer: glorot(seed + 1) }),
    ],
  });
}

function cnn(seed: number): tf.Sequential {
  return tf.sequential({
    name: "cnn",
    layers: [
      conv(32, seed, { inputShape: INPUT_SHAPE, activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      conv(64, seed + 1, { activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: glorot(seed + 2) }),
      tf.layers.dense({ units: 10, kernelInitializer: glorot(seed + 3) }),
    ],
  });
}

/** Conv -> BatchNorm -> ReLU, the augmented model's block. */
function convBlock(filters: number, seed: number, first = false): tf.layers.Layer[] {
  return [
    conv(filters, seed, first ? { inputShape: INPUT_SHAPE, useBias: false } : { useBias: false }),
    fastBatchNormalization({ axis: -1 }),
    tf.layers.activation({ activation: "relu" }),
  ];
}

function cnnAug(seed: number): tf.Sequential {
  return tf.sequential({
    name: "cnn_aug",
    layers: [
      ...convBlock(32, seed, true),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      ...convBlock(64, seed + 1),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      ...convBlock(64, seed + 2),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: glorot(seed + 3) }),
      batchDropout({ rate: 0.5, seed: seed + 4 }),
      tf.layers.dense({ units: 10, kernelInitializer: glorot(seed + 5) }),
    ],
  });
}

/**
 * The default model for drawn digits: three narrow conv blocks (16, 32, 64 filters), each
 * halving the field, so a digit costs ~2 M multiply-adds (cnn-aug ~6 M) and serving gets
 * faster; the capacity goes where pen strokes need it, not into a 400k-weight Dense.
 */
function draw(seed: number, width: number): tf.Sequential {
  const filters = (n: number) => Math.round(n * width);
  return tf.sequential({
    name: "draw",
    layers: [
      ...convBlock(filters(16), seed, true),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      ...convBlock(filters(32), seed + 1),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      ...convBlock(filters(64), seed + 2),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: glorot(seed + 3) }),
      batchDropout({ rate: 0.3, seed: seed + 4 }),
      tf.layers.dense({ units: 10, kernelInitializer: glorot(seed + 5) }),
    ],
  });
}

function conv(
  filters: number,
  seed: number,
  extra: Partial<ConvArgs> = {},
): tf.layers.Layer {
  return trainingConv2d({
    filters,
    kernelSize: 3,
    padding: "same",
    kernelInitializer: glorot(seed),
    ...extra,
  });
}

function glorot(seed: number) {
  return tf.initializers.glorotUniform({ seed });
}

/** Augments one 28x28 image at a time; its random state is what a checkpoint saves. */
export interface SeededAugmenter {
  readonly random: Random;
  augment(source: Float32Array, target: Float32Array): void;
}

/** Everything training needs to know about one model: adding a model is one entry here. */
export interface Architecture {
  /** `width` scales the filters of a model that is `scalable` (1 for the others). */
  build: (seed: number, width: number) => tf.Sequential;
  /** --width scales its convolutions' filters (draw's; the others have one size). */
  scalable?: boolean;
  /** Trained on augmented batches. */
  augment: boolean;
  /** Its augmentation, when `augment` (default: augment.ts's recipe). */
  augmenter?: (random: Random) => SeededAugmenter;
  /** The images it trains on (default: the first `limit` of MNIST's training set). */
  trainSet?: (mnist: Mnist, source: TrainSource) => DigitSet | Promise<DigitSet>;
  /** What its metadata adds at export (data sets, calibration), from the served file. */
  exportMetadata?: (inputs: DrawExportInputs) => Promise<Partial<ModelMetadata>>;
  /** Epochs of the default recipe. */
  defaultEpochs: number;
  /**
   * Share of its training set that is scribbles with a uniform target (--negatives), by
   * default; absent = it trains on digits only and ignores --negatives.
   */
  defaultNegatives?: number;
  /** Epochs whose weights the export averages (--average-last; default 1: the last alone). */
  defaultAverageLast?: number;
  /** Their constant learning rate (--average-lr; default none: the schedule runs to the end). */
  defaultAverageRate?: number;
  /**
   * The model it learns from beside the labels by default (--teacher; distillation.ts): an
   * ONNX file, relative to the project. Absent: it learns from the labels alone.
   */
  defaultTeacher?: string;
  /**
   * Trains on one thread unless --workers asks for more: its steps are too small for workers to
   * pay for the exchange (default false: the workers' default, one per core).
   */
  oneThread?: boolean;
  /**
   * Seconds one epoch over all 60,000 images took here (the shipped models' trainingSeconds /
   * epochs): the overall ETA's guess for a model not started yet.
   */
  epochSeconds: number;
}

/**
 * Under its heavy augmentation cnn-aug reached 99.46% after the 10 epochs and 99.54%
 * after 16 (cosine schedule), so it trains longer by default.
 */
export const ARCHITECTURES: Record<ModelName, Architecture> = {
  // Two workers spend 1.6-1.7x one thread's CPU per step, Adam in wasm on both (docs/training.md,
  // "mlp's step by phase"): each pays tfjs's ~2 ms of per-op bookkeeping in full, and a half
  // batch's 784x392 products cost ~0.6x the whole batch's, not 0.5x.
  mlp: { build: mlp, augment: false, defaultEpochs: 10, epochSeconds: 10.7, oneThread: true },
  cnn: { build: cnn, augment: false, defaultEpochs: 10, epochSeconds: 136.9 },
  "cnn-aug": { build: cnnAug, augment: true, defaultEpochs: 16, epochSeconds: 221.2 },
  // Pen strokes, pen-rendered MNIST and MNIST (draw_data.ts), augmented as drawings are.
  draw: {
    build: draw,
    scalable: true,
    augment: true,
    augmenter: (random) => new DrawAugmenter(random),
    trainSet: async (mnist, source) => (await prepareDrawData(mnist, source)).train,
    exportMetadata: drawMetadata,
    // 14 epochs with 8% scribbles made models/draw.onnx (docs/training.md).
    defaultEpochs: 14,
    defaultNegatives: 0.08,
    epochSeconds: 314,
  },
};

/** Builds the named architecture with seeded initial weights (`width`: widthFor's). */
export function buildModel(name: ModelName, seed: number, width = 1): tf.Sequential {
  return ARCHITECTURES[name].build(seed, width);
}

/** How `name`'s filters are scaled: `requested` (--width) for a scalable model, else 1. */
export function widthFor(name: ModelName, requested: number | null | undefined): number {
  return ARCHITECTURES[name].scalable ? requested ?? 1 : 1;
}

/**
 * The teacher `name` learns from: `requested` (--teacher; "none" for none) or its default,
 * with --teacher-weight and --teacher-temperature or their defaults (distillation.ts); null
 * without one, and for a run recorded before the option (`teacher` undefined).
 */
export function distillationFor(
  name: ModelName,
  recipe: {
    teacher?: string | null;
    teacherWeight?: number | null;
    teacherTemperature?: number | null;
  },
): Distillation | null {
  if (recipe.teacher === undefined || recipe.teacher === NO_TEACHER) return null;
  const fallback = ARCHITECTURES[name].defaultTeacher;
  const teacher = recipe.teacher ?? (fallback && projectPath(fallback));
  if (!teacher) return null;
  return {
    teacher,
    weight: recipe.teacherWeight ?? DEFAULT_TEACHER_WEIGHT,
    temperature: recipe.teacherTemperature ?? DEFAULT_TEMPERATURE,
  };
}

function projectPath(relative: string): string {
  return decodeURIComponent(new URL(`../${relative}`, import.meta.url).pathname);
}

/** The threads `name` trains on: `requested` (--workers), else its default out of `cores`. */
export function workersFor(name: ModelName, requested: number | null, cores: number): number {
  return requested ?? (ARCHITECTURES[name].oneThread ? 1 : cores);
}

/** Whether the architecture is trained on augmented batches. */
export function usesAugmentation(name: ModelName): boolean {
  return ARCHITECTURES[name].augment;
}

/** The augmenter `name` trains with, drawing from `random`; undefined without augmentation. */
export function augmenterFor(name: ModelName, random: Random): SeededAugmenter | undefined {
  const architecture = ARCHITECTURES[name];
  if (!architecture.augment) return undefined;
  return architecture.augmenter?.(random) ?? new Augmenter(random);
}

/**
 * The augmenter of a run that augments: the architecture's own (augmenterFor), or augment.ts's
 * recipe for one without (or none named). The training loop and its workers both take it from
 * here, so every thread augments alike.
 */
export function trainingAugmenter(name: ModelName | undefined, random: Random): SeededAugmenter {
  return (name && augmenterFor(name, random)) || new Augmenter(random);
}

/** The first `limit` images of `set` (all of them for null). */
export function firstImages(set: DigitSet, limit: number | null): DigitSet {
  if (limit === null || limit >= set.count) return set;
  return {
    ...set,
    count: limit,
    images: set.images.subarray(0, limit * 784),
    labels: set.labels.subarray(0, limit),
  };
}

/**
 * The epochs whose weights `name` exports the mean of: `requested` (--average-last) or its
 * default; 1 (no averaging) for a run recorded before the option (`undefined`).
 */
export function averageLastFor(name: ModelName, requested: number | null | undefined): number {
  if (requested === undefined) return 1;
  return requested ?? ARCHITECTURES[name].defaultAverageLast ?? 1;
}

/**
 * The constant learning rate of `name`'s averaged epochs: `requested` (--average-lr) or its
 * default; null (the schedule runs on) when it has none, and for a run recorded before the option.
 */
export function averageRateFor(
  name: ModelName,
  requested: number | null | undefined,
): number | null {
  if (requested === undefined) return null;
  return requested ?? ARCHITECTURES[name].defaultAverageRate ?? null;
}

/**
 * The share of scribbles `name` trains on: `requested` (--negatives) or its default; 0 for a
 * model without negatives, and for a run recorded before the option (`undefined`).
 */
export function negativesFor(name: ModelName, requested: number | null | undefined): number {
  const fallback = ARCHITECTURES[name].defaultNegatives;
  if (fallback === undefined || requested === undefined) return 0;
  return requested ?? fallback;
}

/** What a model's own training set is made from besides MNIST. */
export interface TrainSource {
  limit: number | null;
  seed: number;
  /** Share of scribbles labelled NOT_A_DIGIT (negativesFor); 0 = none. */
  negatives: number;
  /** UCI pendigits (pen strokes); undefined = the MNIST parts only. */
  pendigitsDir?: string;
}

/** The images `name` trains on. */
export async function trainSetFor(
  name: ModelName,
  mnist: Mnist,
  source: TrainSource,
): Promise<DigitSet> {
  return await (ARCHITECTURES[name].trainSet?.(mnist, source) ??
    firstImages(mnist.train, source.limit));
}

/** A one-line-per-layer summary for the metadata and the model card. */
export function describeLayers(model: tf.LayersModel): string[] {
  return model.layers.map((layer) => {
    const shape = JSON.stringify(layer.outputShape).replaceAll("null", "N");
    return `${layer.getClassName()} -> ${shape} (${layer.countParams()} params)`;
  });
}
