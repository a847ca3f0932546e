import assert, { deepStrictEqual, throws } from "node:assert/strict";
import { MNIST_NORMALISATION } from "../lib/model_metadata.ts";
import { buildModel } from "./architectures.ts";
import { readWeights } from "./checkpoint.ts";
import { syntheticDigits } from "./synthetic_digits.ts";
import { initTrainingBackend } from "./tf_backend.ts";
import { epochLearningRate, learningRateAt, train, type TrainOptions } from "./train_loop.ts";
import { addWeights, averagesEpoch, meanWeights, type Weights } from "./weight_average.ts";

const tensor = (...values: number[]): Weights => ({
  shape: [values.length],
  values: Float32Array.from(values),
});

Deno.test("the last N epochs are averaged; N = 1 averages nothing", () => {
  deepStrictEqual([0, 1, 2, 3].map((e) => averagesEpoch(e, 4, 2)), [false, false, true, true]);
  deepStrictEqual([0, 1, 2, 3].map((e) => averagesEpoch(e, 4, 1)), [false, false, false, false]);
  deepStrictEqual([0, 1].map((e) => averagesEpoch(e, 2, 5)), [true, true]);
});

Deno.test("with an averaging rate the schedule spans the epochs before the averaged ones", () => {
  const run = { schedule: "cosine" as const, learningRate: 1e-3, epochs: 6, averageLast: 2 };
  const rates = (averageLearningRate: number | null) =>
    [0, 1, 2, 3, 4, 5].map((e) => epochLearningRate({ ...run, averageLearningRate }, e));
  deepStrictEqual(rates(null), [0, 1, 2, 3, 4, 5].map((e) => learningRateAt("cosine", 1e-3, e, 6)));
  deepStrictEqual(rates(3e-4), [
    ...[0, 1, 2, 3].map((e) => learningRateAt("cosine", 1e-3, e, 4)),
    3e-4,
    3e-4,
  ]);
  // Averaging nothing keeps the schedule whatever the rate says.
  deepStrictEqual(
    epochLearningRate({ ...run, averageLast: 1, averageLearningRate: 3e-4 }, 5),
    learningRateAt("cosine", 1e-3, 5, 6),
  );
});

Deno.test("sums add up epoch by epoch without changing the earlier sums", () => {
  const first = addWeights(null, [tensor(1, 2), tensor(4)]);
  const second = addWeights(first, [tensor(3, 6), tensor(-2)]);
  deepStrictEqual(first.epochs, 1);
  deepStrictEqual([...first.sums[0]], [1, 2]);
  deepStrictEqual(second.epochs, 2);
  const mean = meanWeights(second, [{ shape: [1, 2] }, { shape: [1] }]);
  deepStrictEqual(mean.map((m) => [m.shape, [...m.values]]), [[[1, 2], [2, 4]], [[1], [1]]]);
  throws(() => addWeights(second, [tensor(1, 2)]), RangeError);
  throws(() => addWeights(second, [tensor(1), tensor(1)]), RangeError);
});

Deno.test({
  name: "train() leaves the model holding the mean of its last epochs' weights",
  sanitizeResources: false,
  fn: async () => {
    await initTrainingBackend();
    const set = syntheticDigits(32, 5);
    const model = buildModel("cnn-aug", 7);
    const seen: Weights[][] = [];
    const options: TrainOptions = {
      epochs: 3,
      batchSize: 16,
      learningRate: 1e-3,
      schedule: "cosine",
      augment: false,
      seed: 3,
      normalisation: MNIST_NORMALISATION,
      architecture: { name: "cnn-aug", seed: 7 },
      averageLast: 2,
      onEpoch: ({ state }) => {
        seen.push(readWeights(model));
        deepStrictEqual(state.average?.epochs ?? 0, Math.max(0, state.epochsDone - 1));
      },
    };
    const history = await train(model, set, set, options);
    assert(history[1].averageAccuracy === undefined, "one epoch in the mean is not scored again");
    assert(typeof history[2].averageAccuracy === "number");
    const mean = readWeights(model);
    // BatchNorm's moving statistics too (getWeights order holds them).
    deepStrictEqual(mean.length, seen[2].length);
    mean.forEach((w, i) => {
      const expected = seen[1][i].values.map((v, j) => Math.fround(v + seen[2][i].values[j]) / 2);
      deepStrictEqual(w.values, expected, `tensor ${i}`);
      assert.notDeepEqual(w.values, seen[2][i].values, `tensor ${i} is the last epoch's`);
    });
    model.dispose();
  },
});
