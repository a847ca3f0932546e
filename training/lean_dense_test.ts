import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { leanDenseLayer } from "./lean_dense.ts";
import { initTrainingBackend } from "./tf_backend.ts";

await initTrainingBackend();

function worstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / Math.max(scale, 1e-12);
}

/** The mlp's two layers, tfjs's or lean, with the same seeded weights. */
function twoLayers(lean: boolean, inputGradient = true): tf.Sequential {
  const dense = lean ? leanDenseLayer : tf.layers.dense;
  const first = {
    units: 39,
    activation: "relu" as const,
    inputShape: [78],
    ...(lean ? { inputGradient } : {}),
  };
  return tf.sequential({
    layers: [
      dense({ ...first, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
    ],
  });
}

/** Output and gradients of a squared sum that weighs every output differently. */
function outputAndGradients(model: tf.Sequential, x: tf.Tensor) {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return tf.tidy(() => {
    const weights = tf.linspace(-1, 2, 10);
    const { value, grads } = tf.variableGrads(() => {
      const y = model.apply(x, { training: true }) as tf.Tensor;
      return tf.sum(tf.mul(tf.square(y), weights)) as tf.Scalar;
    }, variables);
    const output = (model.apply(x, { training: true }) as tf.Tensor).dataSync();
    return {
      loss: value.dataSync()[0],
      output,
      grads: variables.map((v) => grads[v.name].dataSync()),
    };
  });
}

for (const inputGradient of [true, false]) {
  Deno.test(`lean Dense layers train as tfjs's (inputGradient ${inputGradient})`, () => {
    // Some pre-activations at or below zero, so the relu's mask matters.
    const x = tf.randomNormal([64, 78], 0, 1, "float32", 5);
    const theirs = outputAndGradients(twoLayers(false), x);
    const ours = outputAndGradients(twoLayers(true, inputGradient), x);
    x.dispose();
    assert(worstDifference(ours.output, theirs.output) < 1e-6, "outputs");
    assert(Math.abs(ours.loss - theirs.loss) < 1e-5 * theirs.loss, `${ours.loss} ${theirs.loss}`);
    assert.equal(ours.grads.length, 4);
    ours.grads.forEach((grad, i) => {
      const worst = worstDifference(grad, theirs.grads[i]);
      assert(worst < 1e-5, `weight ${i}'s gradient differs by ${worst} of its largest value`);
    });
  });
}

Deno.test("a lean Dense is tfjs's Dense outside training and in its saved form", () => {
  const model = twoLayers(true);
  assert.equal(model.layers[0].getClassName(), "Dense");
  const x = tf.randomNormal([4, 78], 0, 1, "float32", 6);
  const lean = (model.predict(x) as tf.Tensor).dataSync();
  const trained = (model.apply(x, { training: true }) as tf.Tensor).dataSync();
  assert(worstDifference(trained, lean) < 1e-6);
  x.dispose();
});
