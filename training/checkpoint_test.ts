import * as tf from "@tensorflow/tfjs";
import assert, { deepStrictEqual } from "node:assert/strict";
import { buildModel } from "./architectures.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";

Deno.test("a checkpoint round-trips weights and the run record", async () => {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir();
  try {
    const model = buildModel("cnn-aug", 3);
    const run = {
      name: "cnn-aug",
      history: [],
      trainingSeconds: 1.5,
      trainCount: 10,
      backend: "cpu",
    };
    await saveCheckpoint(model, dir, run);
    const loaded = await loadCheckpoint(dir);
    deepStrictEqual(loaded.run, run);
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, "float32", 5);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.model.predict(x) as tf.Tensor).dataSync();
    assert(a.every((v, i) => v === b[i]), "predictions differ after reload");
    deepStrictEqual(loaded.model.layers.length, model.layers.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
