/**
 * Data-parallel steps compute what one thread computes on the whole batch: the same weights
 * and optimizer state after a step, to float tolerance, for every architecture (BatchNorm's
 * statistics and Dropout's mask span the workers), with uneven slices and a worker that gets
 * no image. Synthetic digits: no data set needed.
 */
import assert from "node:assert/strict";
import type * as tf from "@tensorflow/tfjs";
import { MNIST_NORMALISATION, type ModelName } from "../lib/model_metadata.ts";
import type { AdamState } from "./adam_state.ts";
import { buildModel } from "./architectures.ts";
import type { Distillation } from "./distillation.ts";
import { readWeights } from "./checkpoint.ts";
import { DEFAULT_FINE_TUNE, fineTune } from "./fine_tune.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { NOT_A_DIGIT } from "./soft_targets.ts";
import { syntheticDigits } from "./synthetic_digits.ts";
import { initTrainingBackend } from "./tf_backend.ts";
import { train, type TrainOptions } from "./train_loop.ts";
import { sliceSizes, TrainWorkerPool } from "./train_workers.ts";

interface Trained {
  weights: ReturnType<typeof readWeights>;
  adam: AdamState;
  loss: number;
}

/** What a case varies besides the model: its filters' scale and a teacher. */
interface Variant {
  width?: number;
  distillation?: Distillation;
}

async function trainOnce(
  name: ModelName,
  set: DigitSet,
  batchSize: number,
  workers: number,
  { width = 1, distillation }: Variant = {},
): Promise<Trained> {
  const model: tf.LayersModel = buildModel(name, 7, width);
  let adam: AdamState | undefined;
  const options: TrainOptions = {
    epochs: 1,
    batchSize,
    learningRate: 1e-3,
    schedule: "constant",
    augment: name === "cnn-aug",
    seed: 3,
    normalisation: MNIST_NORMALISATION,
    workers,
    architecture: { name, seed: 7, width },
    distillation,
    label: `${name} x${workers}`,
    onEpoch: async ({ readOptimizer }) => {
      adam = await readOptimizer();
    },
  };
  const [record] = await train(model, set, { ...set, count: 1 }, options);
  const weights = readWeights(model);
  model.dispose();
  return { weights, adam: adam!, loss: record.loss };
}

/** Largest |a - b| relative to the larger magnitude of the tensor. */
function assertClose(
  a: { values: Float32Array }[],
  b: { values: Float32Array }[],
  what: string,
  tolerance: number,
): void {
  assert.equal(a.length, b.length, `${what}: tensor count`);
  a.forEach((tensor, i) => {
    let scale = 1e-8, worst = 0;
    for (let k = 0; k < tensor.values.length; k++) {
      scale = Math.max(scale, Math.abs(tensor.values[k]));
      worst = Math.max(worst, Math.abs(tensor.values[k] - b[i].values[k]));
    }
    assert(worst / scale < tolerance, `${what} ${i}: differs by ${worst} (scale ${scale})`);
  });
}

Deno.test("a batch's slices differ by at most one image and cover it in order", () => {
  assert.deepEqual(sliceSizes(64, 2), [32, 32]);
  assert.deepEqual(sliceSizes(7, 2), [4, 3]);
  assert.deepEqual(sliceSizes(1, 2), [1, 0]);
  assert.deepEqual(sliceSizes(10, 3), [4, 3, 3]);
});

/**
 * Every `every`-th image from the second relabelled NOT_A_DIGIT: its target is uniform
 * (soft_targets.ts). The first stays a digit: trainOnce scores it as the test set.
 */
function withNegatives(set: DigitSet, every: number): DigitSet {
  const labels = set.labels.slice();
  for (let n = 1; n < set.count; n += every) labels[n] = NOT_A_DIGIT;
  return { ...set, labels };
}

/** A shipped model as teacher: it reads NCHW [N,1,28,28] normalised as every model's input. */
const TEACHER: Distillation = {
  teacher: decodeURIComponent(new URL("../models/cnn-aug.int8.onnx", import.meta.url).pathname),
  weight: 0.5,
  temperature: 4,
};

const CASES: {
  name: ModelName;
  count: number;
  batchSize: number;
  negatives?: number;
  variant?: Variant;
}[] = [
  { name: "mlp", count: 24, batchSize: 24 },
  { name: "cnn", count: 23, batchSize: 16 }, // slices 8+8, then 4+3
  { name: "cnn-aug", count: 17, batchSize: 16 }, // BatchNorm and Dropout; then 1+0
  { name: "draw", count: 12, batchSize: 12 },
  { name: "draw", count: 13, batchSize: 13, negatives: 3 }, // soft targets in both slices
  { name: "draw", count: 12, batchSize: 12, variant: { width: 1.5 } },
  { name: "draw", count: 13, batchSize: 13, negatives: 3, variant: { distillation: TEACHER } },
];

for (const { name, count, batchSize, negatives, variant } of CASES) {
  Deno.test({
    name: `${name}: two workers' steps equal one thread's on the whole batch` +
      (negatives ? `, every ${negatives}rd image a negative` : "") +
      (variant?.width ? `, filters x${variant.width}` : "") +
      (variant?.distillation ? ", learning from a teacher" : ""),
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await initTrainingBackend();
      const digits = syntheticDigits(count, 11);
      const set = negatives ? withNegatives(digits, negatives) : digits;
      const one = await trainOnce(name, set, batchSize, 1, variant);
      const two = await trainOnce(name, set, batchSize, 2, variant);
      assert(
        Math.abs(one.loss - two.loss) < 1e-5 * Math.max(1, one.loss),
        `loss ${one.loss} vs ${two.loss}`,
      );
      assertClose(one.weights, two.weights, "weight", 1e-4);
      assert.equal(one.adam.iterations, two.adam.iterations);
      assertClose(one.adam.moments, two.adam.moments, "Adam moment", 1e-3);
      // And a step changed something: the comparison is not of two untouched models.
      const fresh = buildModel(name, 7, variant?.width);
      const untouched = readWeights(fresh);
      fresh.dispose();
      assert(
        one.weights.some((w, i) => w.values.some((v, k) => v !== untouched[i].values[k])),
        "training changed no weight",
      );
    },
  });
}

Deno.test({
  name: "workers refuse to train a model other than the one they were given",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await initTrainingBackend();
    const model = buildModel("cnn-aug", 7);
    try {
      await assert.rejects(
        // Built with seed 7, announced as seed 8: the Dropout seeds would differ.
        TrainWorkerPool.start({
          name: "cnn-aug",
          seed: 8,
          workers: 2,
          model,
          adam: null,
          learningRate: 1e-3,
        }),
        /cnn-aug built with seed 8 is not the model to train/,
      );
    } finally {
      model.dispose();
    }
  },
});

Deno.test({
  name: "fine-tuning on two workers equals fine-tuning on one thread (inference-mode layers)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await initTrainingBackend();
    const feedback = syntheticDigits(9, 21);
    const replay = syntheticDigits(30, 22);
    // draw has BatchNorm and Dropout: both must stay in inference mode on the workers too.
    const tuned = async (workers: number) => {
      const model = buildModel("draw", 7);
      const options = { ...DEFAULT_FINE_TUNE, steps: 3, batchSize: 7, workers };
      const loss = await fineTune(model, feedback, replay, options, [0, 4], {
        name: "draw",
        seed: 7,
      });
      const weights = readWeights(model);
      model.dispose();
      return { loss, weights };
    };
    const one = await tuned(1);
    const two = await tuned(2);
    assert(Math.abs(one.loss - two.loss) < 1e-5 * Math.max(1, one.loss), `${one.loss} ${two.loss}`);
    assertClose(one.weights, two.weights, "weight", 1e-4);
    const fresh = buildModel("draw", 7);
    const untouched = readWeights(fresh);
    const moving = fresh.weights.map((w) => w.name.includes("moving"));
    fresh.dispose();
    assert(
      one.weights.some((w, i) => w.values.some((v, k) => v !== untouched[i].values[k])),
      "fine-tuning changed no weight",
    );
    // Inference mode: neither touched BatchNorm's moving statistics.
    assert(moving.some(Boolean), "draw has BatchNorm");
    for (const tuned of [one, two]) {
      assert.deepEqual(
        tuned.weights.filter((_, i) => moving[i]),
        untouched.filter((_, i) => moving[i]),
      );
    }
  },
});

Deno.test({
  name: "resuming on two workers from an epoch's state continues bit for bit",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await initTrainingBackend();
    const set = syntheticDigits(16, 31);
    const options = (epochs: number): TrainOptions => ({
      epochs,
      batchSize: 8,
      learningRate: 1e-3,
      schedule: "constant",
      augment: false,
      seed: 3,
      normalisation: MNIST_NORMALISATION,
      workers: 2,
      architecture: { name: "cnn", seed: 7 },
    });
    const straight = buildModel("cnn", 7);
    await train(straight, set, { ...set, count: 1 }, options(2));
    const expected = readWeights(straight);
    straight.dispose();

    // One epoch, saved as a checkpoint is, then a second from that state.
    const restart = buildModel("cnn", 7);
    let saved: TrainOptions["resume"];
    await train(restart, set, { ...set, count: 1 }, {
      ...options(1),
      onEpoch: async ({ state, readOptimizer }) => {
        saved = { loop: structuredClone(state), optimizer: await readOptimizer() };
      },
    });
    assert(saved && saved.optimizer.iterations === 2, "one epoch of two steps");
    assert.notDeepEqual(readWeights(restart), expected);
    await train(restart, set, { ...set, count: 1 }, { ...options(2), resume: saved });
    assert.deepEqual(readWeights(restart), expected);
    restart.dispose();
  },
});
