/**
 * The training loop: shuffled mini-batches (augmented on typed arrays when the
 * architecture asks for it), Adam with a per-epoch learning-rate schedule,
 * cross-entropy, and test accuracy after every epoch.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { EpochRecord, Normalisation } from "../lib/model_metadata.ts";
import { Augmenter } from "./augment.ts";
import type { ImageAugmenter } from "./draw_augment.ts";
import { argmaxRows, scorePredictions } from "./evaluate.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { startProgress } from "./progress.ts";
import { Random } from "./random.ts";

const PIXELS = 784;

export type Schedule = "constant" | "cosine";

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  schedule: Schedule;
  augment: boolean;
  /** The augmentation when `augment` is set (default the tutorial's, augment.ts). */
  augmenter?: ImageAugmenter;
  seed: number;
  normalisation: Normalisation;
  /** Called after each epoch, e.g. to print a plain log line. */
  onEpoch?: (record: EpochRecord) => void;
  /** Label prefix for the progress bar. */
  label?: string;
}

/** Learning rate for a zero-based epoch: cosine decays from `base` towards zero. */
export function learningRateAt(
  schedule: Schedule,
  base: number,
  epoch: number,
  epochs: number,
): number {
  if (schedule === "constant" || epochs <= 1) return base;
  return base * 0.5 * (1 + Math.cos(Math.PI * epoch / epochs));
}

/** Fills `target` with normalised pixels of the images at `indices`, NHWC order. */
export function fillBatch(
  set: DigitSet,
  indices: ArrayLike<number>,
  normalisation: Normalisation,
  target: Float32Array,
  augmenter?: ImageAugmenter,
): void {
  const source = new Float32Array(PIXELS);
  const scratch = new Float32Array(PIXELS);
  const scale = 1 / normalisation.std;
  for (let n = 0; n < indices.length; n++) {
    const offset = indices[n] * PIXELS;
    for (let i = 0; i < PIXELS; i++) source[i] = set.images[offset + i] / 255;
    const pixels = augmenter ? (augmenter.augment(source, scratch), scratch) : source;
    const base = n * PIXELS;
    for (let i = 0; i < PIXELS; i++) target[base + i] = (pixels[i] - normalisation.mean) * scale;
  }
}

/** Logits of a model for every image of a set, in batches, in inference mode. */
export function predictLogits(
  model: tf.LayersModel,
  set: DigitSet,
  normalisation: Normalisation,
  batchSize = 500,
): Float32Array {
  const logits = new Float32Array(set.count * 10);
  const buffer = new Float32Array(batchSize * PIXELS);
  for (let start = 0; start < set.count; start += batchSize) {
    const size = Math.min(batchSize, set.count - start);
    const indices = Array.from({ length: size }, (_, i) => start + i);
    fillBatch(set, indices, normalisation, buffer);
    const out = tf.tidy(() => {
      const x = tf.tensor4d(buffer.subarray(0, size * PIXELS), [size, 28, 28, 1]);
      return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    });
    logits.set(out, start * 10);
  }
  return logits;
}

/** Trains `model` in place and returns the per-epoch history. */
export function train(
  model: tf.LayersModel,
  trainSet: DigitSet,
  testSet: DigitSet,
  options: TrainOptions,
): EpochRecord[] {
  const random = new Random(options.seed);
  const augmenter = options.augment
    ? options.augmenter ?? new Augmenter(new Random(options.seed + 1))
    : undefined;
  const optimizer = tf.train.adam(options.learningRate);
  const order = Uint32Array.from({ length: trainSet.count }, (_, i) => i);
  const batches = Math.ceil(trainSet.count / options.batchSize);
  const buffer = new Float32Array(options.batchSize * PIXELS);
  const labels = new Int32Array(options.batchSize);
  const history: EpochRecord[] = [];

  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const started = performance.now();
    const learningRate = learningRateAt(
      options.schedule,
      options.learningRate,
      epoch,
      options.epochs,
    );
    // AdamOptimizer reads this field on every step; tfjs offers no setter.
    (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
    random.shuffle(order);
    const progress = startProgress({
      total: batches,
      label: `${options.label ?? "train"} epoch ${epoch + 1}/${options.epochs}`,
      unit: "img",
      unitsPerTick: options.batchSize,
    });
    let lossSum = 0;
    for (let b = 0; b < batches; b++) {
      const indices = order.subarray(b * options.batchSize, (b + 1) * options.batchSize);
      const size = indices.length;
      fillBatch(trainSet, indices, options.normalisation, buffer, augmenter);
      for (let n = 0; n < size; n++) labels[n] = trainSet.labels[indices[n]];
      const loss = tf.tidy(() => {
        const x = tf.tensor4d(buffer.subarray(0, size * PIXELS), [size, 28, 28, 1]);
        const y = tf.oneHot(tf.tensor1d(labels.subarray(0, size), "int32"), 10);
        return optimizer.minimize(() => {
          const logits = model.apply(x, { training: true }) as tf.Tensor;
          return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
        }, true)!;
      });
      const value = loss.dataSync()[0];
      loss.dispose();
      if (!Number.isFinite(value)) throw new Error(`loss became ${value} at epoch ${epoch + 1}`);
      lossSum += value * size;
      progress.tick(1, `loss ${(lossSum / ((b * options.batchSize) + size)).toFixed(4)}`);
    }
    progress.done();
    const predictions = argmaxRows(predictLogits(model, testSet, options.normalisation));
    const { accuracy } = scorePredictions(testSet.labels, predictions);
    const record: EpochRecord = {
      epoch: epoch + 1,
      loss: lossSum / trainSet.count,
      accuracy,
      seconds: (performance.now() - started) / 1000,
      learningRate,
    };
    history.push(record);
    options.onEpoch?.(record);
  }
  optimizer.dispose();
  return history;
}
