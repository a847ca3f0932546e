/**
 * The training loop: shuffled mini-batches (augmented on typed arrays when the
 * architecture asks for it), Adam with a per-epoch learning-rate schedule,
 * cross-entropy (one fused op, fused_loss.ts), and test accuracy after every epoch.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { EpochRecord, ModelName, Normalisation } from "../lib/model_metadata.ts";
import type { AdamState } from "./adam_state.ts";
import { buildModel, trainingAugmenter } from "./architectures.ts";
import { fillBatch } from "./batch_fill.ts";
import { applyWeights, readWeights } from "./checkpoint.ts";
import { withTrainingStep } from "./batch_dropout.ts";
import { HeapAdam } from "./heap_adam.ts";
import { argmaxRows, scorePredictions } from "./evaluate.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { startProgress } from "./progress.ts";
import { Random } from "./random.ts";
import { targetValues } from "./soft_targets.ts";
import { type Distillation, Teacher, trainingLoss } from "./distillation.ts";
import { type PhaseTimes, StepClock, TimingTotal } from "./step_timing.ts";
import { type PixelBatch, TrainWorkerPool } from "./train_workers.ts";
import { addWeights, averagesEpoch, meanWeights, type WeightSums } from "./weight_average.ts";

const PIXELS = 784;

export type Schedule = "constant" | "cosine";

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  schedule: Schedule;
  /** Augment each image: with `architecture`'s augmenter (trainingAugmenter). */
  augment: boolean;
  seed: number;
  normalisation: Normalisation;
  /** Score the test set after every K-th epoch and after the last (default 1). */
  evalEvery?: number;
  /** Continue from a checkpoint instead of starting at epoch 1. */
  resume?: { loop: LoopState; optimizer: AdamState };
  /** Called after each epoch (log line, checkpoint); training waits for it. */
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  /** Label prefix for the progress bar. */
  label?: string;
  /** The progress bar's label for a zero-based epoch (overrides `label`). */
  progressLabel?: (epoch: number) => string;
  /**
   * Threads that share each mini-batch (train_workers.ts; default 1, this thread alone). More
   * than one needs `architecture`: the name and seed `model` was built with (buildModel), which
   * the workers build their copies from. It also names the augmenter.
   */
  workers?: number;
  architecture?: { name: ModelName; seed: number; width?: number };
  /**
   * Average the weights after each of the last N epochs and leave `model` holding the mean
   * (weight_average.ts; default 1: the last epoch's weights as they are).
   */
  averageLast?: number;
  /**
   * A constant learning rate for the averaged epochs (stochastic weight averaging's): the
   * schedule then spans the epochs before them. Default: the schedule runs to the end.
   */
  averageLearningRate?: number | null;
  /** A teacher whose softened probabilities the model learns beside the labels (distillation.ts). */
  distillation?: Distillation | null;
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

/** Learning rate of a zero-based epoch of a run (its schedule, then any averaging phase's). */
export function epochLearningRate(
  options: Pick<
    TrainOptions,
    "schedule" | "learningRate" | "epochs" | "averageLast" | "averageLearningRate"
  >,
  epoch: number,
): number {
  const { schedule, learningRate, epochs, averageLearningRate } = options;
  const averageLast = options.averageLast ?? 1;
  if (averageLearningRate == null || averageLast <= 1) {
    return learningRateAt(schedule, learningRate, epoch, epochs);
  }
  if (averagesEpoch(epoch, epochs, averageLast)) return averageLearningRate;
  return learningRateAt(schedule, learningRate, epoch, epochs - averageLast);
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

/** Where a run stands after an epoch: with the weights and AdamState, enough to continue. */
export interface LoopState {
  /** Epochs finished. */
  epochsDone: number;
  /** The shuffled image order (each epoch shuffles the previous epoch's order). */
  order: Uint32Array;
  /** Random states of the shuffle and of the augmentation seeds (null without augmentation). */
  shuffleState: number;
  augmentState: number | null;
  history: EpochRecord[];
  /** Sums of the weights of the epochs averaged so far (null before the first, or without). */
  average: WeightSums | null;
}

/** What the loop reports after each epoch. */
export interface EpochReport {
  record: EpochRecord;
  /** Seconds of the epoch spent training (the rest scored the test set). */
  trainSeconds: number;
  state: LoopState;
  /** The optimizer's state after this epoch (for a checkpoint). */
  readOptimizer: () => Promise<AdamState>;
  /** Each thread's mean step this epoch, by phase (one entry on one thread, one per worker). */
  stepTimes: PhaseTimes[];
}

/** Who takes the optimizer steps: this thread, or a pool of workers. */
export interface Stepper {
  /**
   * One step on `batch` (the stepper fills and augments its images); reads it before it
   * returns, so a second step may be queued at once.
   */
  step(batch: PixelBatch, learningRate: number): Promise<number>;
  /** Makes `model` hold the trained weights; returns the optimizer's state. */
  sync(): Promise<AdamState>;
  /** Each stepping thread's mean step since the last call, by phase. */
  timings(): PhaseTimes[];
  close(): void;
}

/** Steps on this thread: tfjs's gradients, Adam in one wasm kernel per variable (heap_adam.ts). */
export async function localStepper(
  model: tf.LayersModel,
  options: TrainOptions,
): Promise<Stepper> {
  // The order Adam keeps its moments in, as on the workers (train_worker.ts).
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new HeapAdam(
    variables,
    options.learningRate,
    options.resume?.optimizer ?? null,
  );
  const augmenter = options.augment
    ? trainingAugmenter(options.architecture?.name, new Random(0))
    : undefined;
  const distillation = options.distillation ?? null;
  const teacher = distillation ? await Teacher.open(distillation) : null;
  const images = new Float32Array(options.batchSize * PIXELS);
  const labels = new Int32Array(options.batchSize);
  let total = new TimingTotal();
  // A step with a teacher awaits it: steps queue here, each with its own copy of the batch.
  let queue = Promise.resolve(0);
  const takeStep = async ({ set, indices, seeds, step }: PixelBatch, rate: number) => {
    const clock = new StepClock();
    const size = indices.length;
    fillBatch(set, indices, options.normalisation, images, augmenter, seeds ?? undefined);
    for (let n = 0; n < size; n++) labels[n] = set.labels[indices[n]];
    clock.lap("augment");
    const soft = teacher ? await teacher.targets(images, size) : null;
    clock.lap("teacher");
    const value = withTrainingStep(step, () =>
      tf.tidy(() => {
        const x = tf.tensor4d(images.subarray(0, size * PIXELS), [size, 28, 28, 1]);
        const y = targetValues(labels.subarray(0, size));
        const { value, grads } = tf.variableGrads(() => {
          const logits = model.apply(x, { training: true }) as tf.Tensor2D;
          return trainingLoss(y, soft, logits, 1, distillation);
        }, variables);
        const loss = value.dataSync()[0];
        clock.lap("compute");
        optimizer.apply(variables.map((v) => grads[v.name]), rate);
        return loss;
      }));
    clock.lap("adam");
    total.add(clock.times);
    return value;
  };
  return {
    step(batch, rate) {
      const copy = {
        ...batch,
        indices: batch.indices.slice(),
        seeds: batch.seeds?.slice() ?? null,
      };
      return queue = queue.then(() => takeStep(copy, rate));
    },
    sync: () => Promise.resolve(optimizer.state()),
    timings: () => {
      const mean = total.mean();
      total = new TimingTotal();
      return [mean];
    },
    close: () => {
      optimizer.dispose();
      void teacher?.close();
    },
  };
}

/** Steps in `workers` workers that copy `model` now and write their weights back on sync. */
export async function workerStepper(
  model: tf.LayersModel,
  options: TrainOptions,
  workers: number,
): Promise<Stepper> {
  if (!options.architecture) throw new Error("training on workers needs the architecture's name");
  const pool = await TrainWorkerPool.start({
    ...options.architecture,
    workers,
    model,
    adam: options.resume?.optimizer ?? null,
    learningRate: options.learningRate,
    augment: options.augment,
    normalisation: options.normalisation,
    distillation: options.distillation ?? null,
  });
  return {
    step: (batch, rate) => pool.stepPixels(batch, rate),
    sync: () => pool.syncTo(model),
    timings: () => pool.timings(),
    close: () => pool.close(),
  };
}

/** Trains `model` in place and returns the per-epoch history. */
export async function train(
  model: tf.LayersModel,
  trainSet: DigitSet,
  testSet: DigitSet,
  options: TrainOptions,
): Promise<EpochRecord[]> {
  const resume = options.resume;
  const random = new Random(resume?.loop.shuffleState ?? options.seed);
  // Draws each image's augmentation seed; the augmenter restarts its own Random from it.
  const augmentRandom = new Random(resume?.loop.augmentState ?? options.seed + 1);
  const order = resume
    ? Uint32Array.from(resume.loop.order)
    : Uint32Array.from({ length: trainSet.count }, (_, i) => i);
  if (order.length !== trainSet.count) {
    throw new RangeError(`the saved order has ${order.length} images, the set ${trainSet.count}`);
  }
  const batches = Math.ceil(trainSet.count / options.batchSize);
  const history: EpochRecord[] = [...(resume?.loop.history ?? [])];
  const evalEvery = options.evalEvery ?? 1;
  const averageLast = options.averageLast ?? 1;
  let average = resume?.loop.average ?? null;
  // The mean is scored on a second copy: the stepper's variables keep the training weights.
  let averageScorer: tf.LayersModel | undefined;
  const workers = options.workers ?? 1;
  const stepper = workers > 1
    ? await workerStepper(model, options, workers)
    : await localStepper(model, options);
  try {
    for (let epoch = resume?.loop.epochsDone ?? 0; epoch < options.epochs; epoch++) {
      const started = performance.now();
      const learningRate = epochLearningRate(options, epoch);
      random.shuffle(order);
      const progress = startProgress({
        total: batches,
        label: options.progressLabel?.(epoch) ??
          `${options.label ?? "train"} epoch ${epoch + 1}/${options.epochs}`,
        unit: "img",
        unitsPerTick: options.batchSize,
      });
      let lossSum = 0, imagesDone = 0;
      const book = (loss: number, size: number) => {
        if (!Number.isFinite(loss)) throw new Error(`loss became ${loss} at epoch ${epoch + 1}`);
        lossSum += loss * size;
        imagesDone += size;
        progress.tick(1, `loss ${(lossSum / imagesDone).toFixed(4)}`);
      };
      // Step b+1 is queued before step b's loss is read, so workers never wait for this thread.
      let pending: { loss: Promise<number>; size: number } | undefined;
      for (let b = 0; b < batches; b++) {
        const indices = order.subarray(b * options.batchSize, (b + 1) * options.batchSize);
        // One seed per image, drawn in order, whoever augments it and wherever it sits.
        const seeds = options.augment
          ? Uint32Array.from(indices, () => augmentRandom.next() * 2 ** 32)
          : null;
        const batch = { set: trainSet, indices, seeds, step: epoch * batches + b };
        const loss = stepper.step(batch, learningRate);
        // Handled when awaited below; a failure before then must not also surface unhandled.
        loss.catch(() => {});
        if (pending) book(await pending.loss, pending.size);
        pending = { loss, size: indices.length };
      }
      if (pending) book(await pending.loss, pending.size);
      progress.done();
      const adam = await stepper.sync();
      const stepTimes = stepper.timings();
      const trainSeconds = (performance.now() - started) / 1000;
      const record: EpochRecord = {
        epoch: epoch + 1,
        loss: lossSum / trainSet.count,
        seconds: 0,
        learningRate,
      };
      // Quick runs would otherwise spend most of their time scoring: --eval-every skips epochs.
      if ((epoch + 1) % evalEvery === 0 || epoch + 1 === options.epochs) {
        const predictions = argmaxRows(predictLogits(model, testSet, options.normalisation));
        record.accuracy = scorePredictions(testSet.labels.subarray(0, testSet.count), predictions)
          .accuracy;
      }
      if (averagesEpoch(epoch, options.epochs, averageLast)) {
        average = addWeights(average, readWeights(model));
        if (average.epochs > 1 && record.accuracy !== undefined && options.architecture) {
          const { name, seed, width } = options.architecture;
          averageScorer ??= buildModel(name, seed, width);
          applyWeights(averageScorer, meanWeights(average, averageScorer.getWeights()));
          const predictions = argmaxRows(
            predictLogits(averageScorer, testSet, options.normalisation),
          );
          record.averageAccuracy = scorePredictions(
            testSet.labels.subarray(0, testSet.count),
            predictions,
          ).accuracy;
        }
      }
      record.seconds = (performance.now() - started) / 1000;
      history.push(record);
      const state: LoopState = {
        epochsDone: epoch + 1,
        order,
        shuffleState: random.state,
        augmentState: options.augment ? augmentRandom.state : null,
        history,
        average,
      };
      await options.onEpoch?.({
        record,
        trainSeconds,
        state,
        readOptimizer: () => Promise.resolve(adam),
        stepTimes,
      });
    }
  } finally {
    stepper.close();
    averageScorer?.dispose();
  }
  if (average) applyWeights(model, meanWeights(average, model.getWeights()));
  return history;
}
