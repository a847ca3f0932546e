import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { registerWasmConvGradients } from "./wasm_conv_kernels.ts";
import { trainingConv2d } from "./training_conv.ts";

await tf.setBackend("wasm");
registerWasmConvGradients();

const args = {
  filters: 4,
  kernelSize: 3,
  padding: "same" as const,
  useBias: false,
  inputShape: [6, 6, 2],
  kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
};

/** Loss, kernel gradient and the kernels a training step of `layer` ran. */
async function step(layer: tf.layers.Layer) {
  const model = tf.sequential({ layers: [layer] });
  const x = tf.randomUniform([3, 6, 6, 2], -1, 1, "float32", 7);
  const kernel = model.trainableWeights[0].read() as tf.Variable;
  let result: { loss: Float32Array; grad: Float32Array } | undefined;
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
      [kernel],
    );
    result = {
      loss: value.dataSync() as Float32Array,
      grad: grads[kernel.name].dataSync() as Float32Array,
    };
  });
  const inference = (model.predict(x) as tf.Tensor).dataSync();
  return { ...result!, inference, kernels: profile.kernelNames };
}

Deno.test("training conv: the same loss and kernel gradient as tfjs's, bit for bit", async () => {
  const ours = await step(trainingConv2d(args));
  const theirs = await step(tf.layers.conv2d(args));
  assert.deepEqual(ours.loss, theirs.loss);
  assert.deepEqual(ours.grad, theirs.grad);
  assert.deepEqual(ours.inference, theirs.inference);
});

Deno.test("training conv: the input's gradient is not computed", async () => {
  const ours = await step(trainingConv2d(args));
  const theirs = await step(tf.layers.conv2d(args));
  assert.ok(theirs.kernels.includes("Conv2DBackpropInput"));
  assert.ok(!ours.kernels.includes("Conv2DBackpropInput"));
  assert.ok(ours.kernels.includes("Conv2DBackpropFilter"));
});

Deno.test("training conv: keeps tfjs's class name for checkpoints and the export", () => {
  assert.equal(trainingConv2d(args).getClassName(), "Conv2D");
});
