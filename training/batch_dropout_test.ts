import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { batchDropout, sliceNoise, withTrainingStep } from "./batch_dropout.ts";
import { withShard } from "./batch_shard.ts";
import { initTrainingBackend } from "./tf_backend.ts";

const ROWS = 8, UNITS = 64;

/** The kept units (1) and dropped ones (0) of a seeded layer at `step`, on ones. */
function mask(step: number | null, shard?: { offset: number; size: number }): number[] {
  const layer = batchDropout({ rate: 0.5, seed: 5 });
  return tf.tidy(() => {
    const x = tf.ones([shard?.size ?? ROWS, UNITS]);
    const call = () => layer.apply(x, { training: true }) as tf.Tensor;
    const sliced = shard
      ? () => withShard({ ...shard, total: ROWS, sumOverBatch: (v) => v }, call)
      : call;
    const y = step === null ? call() : withTrainingStep(step, sliced);
    return Array.from(y.dataSync(), (v) => (v > 0 ? 1 : 0));
  });
}

Deno.test("a seeded Dropout draws a new mask each training step, the same one for the same step", async () => {
  await initTrainingBackend();
  const first = mask(0), second = mask(1);
  assert.notDeepEqual(first, second);
  assert.deepEqual(mask(0), first, "step 0 again");
  assert.deepEqual(mask(1), second, "step 1 again");
  // About half the units dropped, as the rate says.
  const kept = second.reduce((a, b) => a + b, 0) / second.length;
  assert(kept > 0.35 && kept < 0.65, `kept ${kept}`);
});

Deno.test("a worker's slice of the batch gets its rows of the whole batch's mask", async () => {
  await initTrainingBackend();
  const whole = mask(3);
  assert.deepEqual(
    [...mask(3, { offset: 0, size: 5 }), ...mask(3, { offset: 5, size: 3 })],
    whole,
  );
});

Deno.test("outside a training step it is tfjs's own seeded Dropout", async () => {
  await initTrainingBackend();
  const own = tf.layers.dropout({ rate: 0.5, seed: 5 });
  const expected = tf.tidy(() =>
    Array.from(
      (own.apply(tf.ones([ROWS, UNITS]), { training: true }) as tf.Tensor).dataSync(),
      (v) => (v > 0 ? 1 : 0),
    )
  );
  assert.deepEqual(mask(null), expected);
});

Deno.test("a slice's noise is its part of tfjs's seeded randomUniform, bit for bit", async () => {
  await initTrainingBackend();
  for (const seed of ["5/0", "47/12345", "x"]) {
    const whole = tf.tidy(() => tf.randomUniform([64, 128], 0, 1, "float32", seed).dataSync());
    assert.deepEqual(sliceNoise(seed, 0, whole.length), whole, seed);
    assert.deepEqual(sliceNoise(seed, 32 * 128, 7 * 128), whole.subarray(32 * 128, 39 * 128));
  }
});
