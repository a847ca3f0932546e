import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { readAdamState } from "./adam_state.ts";
import { HeapAdam } from "./heap_adam.ts";
import { Random } from "./random.ts";
import { initTrainingBackend } from "./tf_backend.ts";

function randomTensor(shape: number[], random: Random, scale: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => (random.next() - 0.5) * scale), shape);
}

const values = (tensors: tf.Tensor[]) => tensors.map((t) => t.dataSync());

Deno.test("HeapAdam equals tfjs's AdamOptimizer bit for bit, and resumes from its state", async () => {
  assert.equal(await initTrainingBackend(), "wasm");
  const random = new Random(3);
  // A 784x392 matrix: big enough that allocating the new weights may grow the heap.
  const shapes = [[784, 392], [392], [7, 3], [1]];
  const start = shapes.map((shape) => randomTensor(shape, random, 2));
  const rates = [1e-3, 2e-3, 5e-4, 1e-2];
  const steps = rates.map(() => shapes.map((shape) => randomTensor(shape, random, 0.1)));

  const theirs = start.map((t) => tf.variable(t.clone()));
  const optimizer = tf.train.adam(rates[0]);
  const ours = start.map((t) => tf.variable(t.clone()));
  let adam = new HeapAdam(ours, rates[0], null);
  for (const [n, gradients] of steps.entries()) {
    (optimizer as unknown as { learningRate: number }).learningRate = rates[n];
    optimizer.applyGradients(theirs.map((v, i) => ({ name: v.name, tensor: gradients[i] })));
    const tensors = tf.memory().numTensors;
    adam.apply(gradients, rates[n]);
    assert.equal(tf.memory().numTensors, tensors, "apply keeps no tensor of its own");
    assert.deepEqual(values(ours), values(theirs), `step ${n + 1}`);
    if (n === 1) {
      // Halfway, continue from tfjs's own state, as a checkpoint of a run before this would.
      const state = await readAdamState(optimizer);
      assert.deepEqual(adam.state(), state);
      adam.dispose();
      adam = new HeapAdam(ours, rates[0], state);
    }
  }
  assert.deepEqual(adam.state(), await readAdamState(optimizer));
  adam.dispose();
  optimizer.dispose();
  tf.dispose([...start, ...steps.flat(), ...theirs, ...ours]);
});
