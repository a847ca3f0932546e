import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { MODEL_NAMES } from "../lib/model_metadata.ts";
import { buildModel } from "./architectures.ts";
import { exportOnnx } from "./onnx_export.ts";
import { loadOnnxWeights } from "./onnx_weights.ts";
import { predictLogits } from "./train_loop.ts";
import { MNIST_NORMALISATION } from "../lib/model_metadata.ts";

for (const name of MODEL_NAMES) {
  Deno.test(`${name}: weights read back from its ONNX export give the same logits`, () => {
    const original = buildModel(name, 7);
    // Non-trivial BatchNorm statistics, so folding and unfolding are both exercised.
    for (const layer of original.layers.filter((l) => l.getClassName() === "BatchNormalization")) {
      layer.setWeights(
        layer.getWeights().map((w, i) => tf.randomUniform(w.shape, 0.5, 1.5, "float32", i)),
      );
    }
    const onnx = exportOnnx(original);
    const copy = buildModel(name, 99);
    loadOnnxWeights(copy, onnx);
    const images = new Uint8Array(4 * 784).map((_, i) => (i * 37) % 256);
    const set = { images, labels: new Uint8Array(4), count: 4, rows: 28, cols: 28 };
    const a = predictLogits(original, set, MNIST_NORMALISATION);
    const b = predictLogits(copy, set, MNIST_NORMALISATION);
    for (let i = 0; i < a.length; i++) {
      assert.ok(Math.abs(a[i] - b[i]) < 1e-3, `${i}: ${a[i]} ${b[i]}`);
    }
    original.dispose();
    copy.dispose();
  });
}
