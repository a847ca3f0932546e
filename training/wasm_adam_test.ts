import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Random } from "./random.ts";
import { type AdamStep, adamUpdate, nextAccumulators, ownedRange } from "./split_adam.ts";
import { initTrainingBackend } from "./tf_backend.ts";
import { WasmAdam } from "./wasm_adam.ts";

const f = Math.fround;

function fill(target: Float32Array, random: Random, scale: number): Float32Array {
  for (let i = 0; i < target.length; i++) target[i] = (random.next() - 0.5) * scale;
  return target;
}

/** Float32 views laid out one after another in a memory, as the exchange lays them out. */
function views(shared: boolean, ...lengths: number[]) {
  const pages = Math.ceil((lengths.reduce((a, b) => a + b, 0) * 4 + 64) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
  // Offset by one float: slices of the exchange start anywhere, not on 16 bytes.
  let at = 4;
  const arrays = lengths.map((n) => {
    const view = new Float32Array(memory.buffer, at, n);
    at += 4 * n;
    return view;
  });
  return { memory, arrays };
}

/** Adam's usual constants, for the tests without tfjs. */
const TFJS_STEP = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

Deno.test("WasmAdam over two ranks and two gradient slots equals tfjs's AdamOptimizer bit for bit", async () => {
  assert.equal(await initTrainingBackend(), "wasm");
  const random = new Random(11);
  // Odd sizes: each rank's slice ends in a scalar tail after its four-lane part.
  const shapes = [[7, 5], [5], [3, 3, 2, 4], [13]];
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  const learningRates = [1e-3, 1e-3, 5e-4, 2e-2, 1e-3];
  const { memory, arrays } = views(true, total, total, total, total, total);
  const [weights, m, v, slot0, slot1] = arrays;
  fill(weights, random, 2);
  const start = weights.slice();

  const optimizer = tf.train.adam(learningRates[0]);
  const { beta1, beta2, epsilon } = optimizer as unknown as AdamStep;
  let at = 0;
  const variables = shapes.map((shape, i) =>
    tf.variable(tf.tensor(start.slice(at, at += sizes[i]), shape))
  );
  const kernel = new WasmAdam(memory);
  let step: AdamStep = {
    beta1,
    beta2,
    epsilon,
    learningRate: 0,
    accBeta1: f(beta1),
    accBeta2: f(beta2),
  };
  for (const [n, rate] of learningRates.entries()) {
    fill(slot0, random, 0.1);
    fill(slot1, random, 0.1);
    // Zero, a large and a subnormal gradient: the edges of the arithmetic.
    slot0[n] = slot1[n] = 0;
    slot0[total - 1 - n] = 40;
    slot1[2 * n + 1] = 1e-41;
    const sum = slot0.map((g, i) => f(g + slot1[i]));
    let from = 0;
    (optimizer as unknown as { learningRate: number }).learningRate = rate;
    tf.tidy(() =>
      optimizer.applyGradients(variables.map((variable, i) => ({
        name: variable.name,
        tensor: tf.tensor(sum.slice(from, from += sizes[i]), shapes[i]),
      })))
    );
    step = { ...step, learningRate: rate };
    for (let rank = 0; rank < 2; rank++) {
      const [begin, end] = ownedRange(total, 2, rank);
      const part = (view: Float32Array) => view.subarray(begin, end);
      kernel.update({
        weights: part(weights),
        firstMoments: part(m),
        secondMoments: part(v),
        gradients: [part(slot0), part(slot1)],
      }, step);
    }
    step = { ...step, ...nextAccumulators(step) };
  }
  assert.deepEqual(weights.slice(), Float32Array.from(variables.flatMap((x) => [...x.dataSync()])));
  const moments = (await optimizer.getWeights()).slice(1).map((w) => [...w.tensor.dataSync()]);
  assert.deepEqual(m.slice(), Float32Array.from(moments.slice(0, 4).flat()));
  assert.deepEqual(v.slice(), Float32Array.from(moments.slice(4).flat()));
  optimizer.dispose();
  tf.dispose(variables);
});

Deno.test("WasmAdam equals adamUpdate bit for bit on a large slice, in either kind of memory", () => {
  const random = new Random(12);
  const count = 20_003;
  for (const shared of [true, false]) {
    const { memory, arrays } = views(shared, count, count, count, count, count);
    const [weights, m, v, gradients, old] = arrays;
    fill(weights, random, 2);
    const expected = { weights: weights.slice(), m: m.slice(), v: v.slice() };
    const kernel = new WasmAdam(memory);
    let step: AdamStep = { ...TFJS_STEP, learningRate: 3e-3, accBeta1: f(0.9), accBeta2: f(0.999) };
    for (let n = 0; n < 4; n++) {
      fill(gradients, random, n === 3 ? 1e4 : 0.1);
      adamUpdate({
        weights: expected.weights,
        firstMoments: expected.m,
        secondMoments: expected.v,
        gradients,
        begin: 0,
        end: count,
      }, step);
      // Odd steps read the weights from another array (as heap_adam.ts does), even ones in place.
      const oldWeights = n % 2 ? old : undefined;
      if (oldWeights) {
        oldWeights.set(weights);
        weights.fill(NaN);
      }
      kernel.update({
        weights,
        firstMoments: m,
        secondMoments: v,
        gradients: [gradients],
        oldWeights,
      }, step);
      step = { ...step, ...nextAccumulators(step) };
    }
    assert.deepEqual(weights.slice(), expected.weights);
    assert.deepEqual(m.slice(), expected.m);
    assert.deepEqual(v.slice(), expected.v);
  }
});

Deno.test("WasmAdam refuses views it cannot update", () => {
  const { memory, arrays: [weights, m, v, g0, g1, g2] } = views(true, 8, 8, 8, 8, 8, 9);
  const step = { ...TFJS_STEP, learningRate: 1e-3, accBeta1: 0.9, accBeta2: 0.999 };
  const kernel = new WasmAdam(memory);
  const update = (gradients: Float32Array[], firstMoments = m) =>
    kernel.update({ weights, firstMoments, secondMoments: v, gradients }, step);
  assert.throws(() => update([]), /no gradients/);
  assert.throws(() => update([g0], new Float32Array(8)), /outside the memory/);
  assert.throws(() => update([g0, g1, g2.subarray(1)]), /equally spaced/);
  assert.throws(() => update([g0, g1, g2]), /9 floats, not 8/);
  update([g0, g1]);
});
