import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { fastBatchNormalization } from "./fast_batch_norm.ts";

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  const av = Array.from(a.dataSync() as Float32Array), bv = b.dataSync();
  assert(av.length === bv.length, "shapes differ");
  return av.reduce((m, v, i) => Math.max(m, Math.abs(v - bv[i])), 0);
}

// 120 positions take only the four-row passes; 45 leave a remainder of one.
for (const shape of [[4, 5, 6, 3], [3, 5, 3, 3]]) {
  Deno.test(`fast BatchNorm matches tfjs's in training: output, gradients, moving stats, ${shape}`, async () => {
    assert(await tf.setBackend("wasm"), "wasm backend must start");
    const make = (fast: boolean) => {
      const args = { axis: -1, inputShape: shape.slice(1), momentum: 0.9 };
      const layer = fast ? fastBatchNormalization(args) : tf.layers.batchNormalization(args);
      const model = tf.sequential({ layers: [layer] });
      // Non-trivial gamma/beta/moving stats, the same for both layers.
      model.setWeights([
        tf.tensor1d([1.5, -0.5, 2]),
        tf.tensor1d([0.1, 0.2, -0.3]),
        tf.tensor1d([0.5, -1, 0]),
        tf.tensor1d([2, 0.5, 1]),
      ]);
      return model;
    };
    const x = tf.randomNormal(shape, 1, 2, "float32", 3);
    const r = tf.randomNormal(shape, 0, 1, "float32", 4);
    const results = [false, true].map((fast) => {
      const model = make(fast);
      const gamma = model.layers[0].trainableWeights[0].read() as tf.Variable;
      const f = (input: tf.Tensor) =>
        tf.sum(tf.mul(model.apply(input, { training: true }) as tf.Tensor, r));
      const { value, grads } = tf.variableGrads(() => f(x) as tf.Scalar);
      const dx = tf.grad(f)(x);
      return { value, grads, dx, gamma, weights: model.getWeights() };
    });
    const [slow, fast] = results;
    assert(maxDiff(slow.value, fast.value) < 1e-4, `loss differs`);
    assert(maxDiff(slow.dx, fast.dx) < 1e-4, `dx differs by ${maxDiff(slow.dx, fast.dx)}`);
    const names = Object.keys(slow.grads);
    assert(names.length === 2, `expected gamma and beta gradients, got ${names}`);
    assert(Object.keys(fast.grads).length === 2, "fast layer lost its gamma/beta gradients");
    for (const [i, name] of names.entries()) {
      const other = Object.values(fast.grads)[i];
      assert(maxDiff(slow.grads[name], other) < 1e-4, `${name} gradient differs`);
    }
    // Two training applications above (variableGrads and grad) moved the averages equally.
    for (let i = 2; i < 4; i++) {
      const diff = maxDiff(slow.weights[i], fast.weights[i]);
      assert(diff < 1e-5, `moving statistic ${i} differs by ${diff}`);
    }
  });
}

Deno.test("fast BatchNorm keeps tfjs's class name for checkpoints and export", () => {
  assert(fastBatchNormalization().getClassName() === "BatchNormalization");
});
