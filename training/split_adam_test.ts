import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Random } from "./random.ts";
import { type AdamStep, adamUpdate, nextAccumulators, ownedRange } from "./split_adam.ts";
import { initTrainingBackend } from "./tf_backend.ts";

function randomValues(count: number, random: Random, scale: number): Float32Array {
  return Float32Array.from({ length: count }, () => (random.next() - 0.5) * scale);
}

Deno.test("ownedRange splits every index once, in order, sizes within one", () => {
  for (const [total, workers] of [[10, 3], [7, 2], [1, 2], [311_306, 2], [5, 5]]) {
    const ranges = Array.from({ length: workers }, (_, rank) => ownedRange(total, workers, rank));
    assert.equal(ranges[0][0], 0);
    assert.equal(ranges.at(-1)![1], total);
    for (let r = 1; r < workers; r++) assert.equal(ranges[r][0], ranges[r - 1][1]);
    const sizes = ranges.map(([b, e]) => e - b);
    assert(Math.max(...sizes) - Math.min(...sizes) <= 1, `${sizes}`);
  }
});

Deno.test("adamUpdate on two slices equals tfjs's AdamOptimizer bit for bit", async () => {
  assert.equal(await initTrainingBackend(), "wasm");
  const random = new Random(5);
  const shapes = [[7, 5], [5], [3, 3, 2, 4]];
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  const start = randomValues(total, random, 2);
  const learningRates = [1e-3, 1e-3, 5e-4, 2e-2];
  const stepGradients = learningRates.map(() => randomValues(total, random, 0.1));
  // A gradient of exactly zero and a large one exercise the edges of the arithmetic.
  stepGradients[1][0] = 0;
  stepGradients[2][1] = 40;

  const optimizer = tf.train.adam(learningRates[0]);
  let at = 0;
  const variables = shapes.map((shape, i) =>
    tf.variable(tf.tensor(start.slice(at, at += sizes[i]), shape))
  );
  for (const [n, gradients] of stepGradients.entries()) {
    (optimizer as unknown as { learningRate: number }).learningRate = learningRates[n];
    let from = 0;
    tf.tidy(() =>
      optimizer.applyGradients(variables.map((v, i) => ({
        name: v.name,
        tensor: tf.tensor(gradients.slice(from, from += sizes[i]), shapes[i]),
      })))
    );
  }
  const expected = Float32Array.from(variables.flatMap((v) => [...v.dataSync()]));

  const { beta1, beta2, epsilon } = optimizer as unknown as AdamStep;
  const weights = start.slice(), m = new Float32Array(total), v = new Float32Array(total);
  let step: AdamStep = {
    learningRate: 0,
    beta1,
    beta2,
    epsilon,
    accBeta1: Math.fround(beta1),
    accBeta2: Math.fround(beta2),
  };
  for (const [n, gradients] of stepGradients.entries()) {
    step = { ...step, learningRate: learningRates[n] };
    for (let rank = 0; rank < 2; rank++) {
      const [begin, end] = ownedRange(total, 2, rank);
      const slice = gradients.slice(begin, end);
      adamUpdate(
        { weights, firstMoments: m, secondMoments: v, gradients: slice, begin, end },
        step,
      );
    }
    step = { ...step, ...nextAccumulators(step) };
  }
  assert.deepEqual(weights, expected);
  const internals = optimizer as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
  assert.equal(step.accBeta1, internals.accBeta1.dataSync()[0]);
  assert.equal(step.accBeta2, internals.accBeta2.dataSync()[0]);
  const moments = await optimizer.getWeights();
  const firstMoments = Float32Array.from(
    moments.slice(1, 4).flatMap((w) => [...w.tensor.dataSync()]),
  );
  assert.deepEqual(m, firstMoments);
  optimizer.dispose();
  tf.dispose(variables);
});
