import * as tf from "@tensorflow/tfjs";
import assert, { deepStrictEqual } from "node:assert/strict";
import { readAdamState, restoreAdamState } from "./adam_state.ts";
import { buildModel } from "./architectures.ts";
import { applyWeights, loadCheckpoint, readWeights, saveCheckpoint } from "./checkpoint.ts";
import { initTrainingBackend } from "./tf_backend.ts";
import { DEFAULT_RECIPE } from "./train_options.ts";

/** One Adam step of `model` on a fixed random batch. */
function step(model: tf.LayersModel, optimizer: tf.Optimizer) {
  tf.tidy(() => {
    const x = tf.randomNormal([4, 28, 28, 1], 0, 1, "float32", 9);
    const y = tf.oneHot(tf.tensor1d([1, 2, 3, 4], "int32"), 10);
    optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar,
    );
  });
}

Deno.test("a checkpoint round-trips weights, Adam's state, the order, the averaged sums and the run record", async () => {
  await initTrainingBackend();
  const dir = await Deno.makeTempDir();
  try {
    const model = buildModel("cnn-aug", 3);
    const optimizer = tf.train.adam(1e-3);
    step(model, optimizer);
    step(model, optimizer);
    const run = {
      name: "cnn-aug",
      history: [{ epoch: 1, loss: 0.5, seconds: 2, learningRate: 1e-3 }],
      trainingSeconds: 1.5,
      trainCount: 10,
      backend: "cpu",
      recipe: { ...DEFAULT_RECIPE, epochs: 3, limit: 10 },
    };
    const loop = {
      epochsDone: 1,
      order: Uint32Array.from([3, 1, 2, 0]),
      shuffleState: 123,
      augmentState: 456,
      history: run.history,
      // Weight averaging's sums (weight_average.ts): twice the weights, as after two epochs.
      average: { epochs: 2, sums: readWeights(model).map((w) => w.values.map((v) => v * 2)) },
    };
    await saveCheckpoint(dir, {
      run,
      loop,
      optimizer: await readAdamState(optimizer),
      weights: readWeights(model),
    });
    const loaded = await loadCheckpoint(dir);
    assert(loaded !== null);
    deepStrictEqual(loaded.run, run);
    deepStrictEqual(loaded.loop, loop);

    // A fresh model and optimizer restored from it take the next step exactly as the originals.
    const copy = buildModel("cnn-aug", 99);
    applyWeights(copy, loaded.weights);
    const copyOptimizer = tf.train.adam(1e-3);
    await restoreAdamState(copyOptimizer, loaded.optimizer);
    step(model, optimizer);
    step(copy, copyOptimizer);
    const a = readWeights(model), b = readWeights(copy);
    deepStrictEqual(a.length, b.length);
    assert(a.every((w, i) => w.values.every((v, j) => v === b[i].values[j])), "weights differ");
    deepStrictEqual(await readAdamState(copyOptimizer), await readAdamState(optimizer));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a folder without a checkpoint loads as null", async () => {
  const dir = await Deno.makeTempDir();
  try {
    deepStrictEqual(await loadCheckpoint(`${dir}/none`), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a checkpoint of a run that averages nothing loads with no sums", async () => {
  await initTrainingBackend();
  const dir = await Deno.makeTempDir();
  try {
    const model = buildModel("mlp", 3);
    const optimizer = tf.train.adam(1e-3);
    step(model, optimizer);
    const loop = {
      epochsDone: 1,
      order: Uint32Array.from([1, 0]),
      shuffleState: 1,
      augmentState: null,
      history: [],
      average: null,
    };
    await saveCheckpoint(dir, {
      run: {
        name: "mlp",
        history: [],
        trainingSeconds: 1,
        trainCount: 2,
        backend: "cpu",
        recipe: { ...DEFAULT_RECIPE, epochs: 1 },
      },
      loop,
      optimizer: await readAdamState(optimizer),
      weights: readWeights(model),
    });
    deepStrictEqual((await loadCheckpoint(dir))?.loop, loop);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
