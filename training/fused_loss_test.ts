import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { softmaxCrossEntropy } from "./fused_loss.ts";
import { NOT_A_DIGIT, targetRows, targetValues } from "./soft_targets.ts";
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

/** Asserts the fused loss of `rows` random logits (spread `spread`) times `share` is tfjs's. */
function assertLikeTfjs(rows: number, spread: number, seed: number, share: number): void {
  // One-hot digits and uniform negatives, logits from small to large (the max-shift matters).
  const labels = Array.from({ length: rows }, (_, n) => n % 13 === 0 ? NOT_A_DIGIT : n % 10);
  const logits = tf.tidy(() => tf.randomNormal([rows, 10], 0, spread, "float32", seed));
  const targets = targetRows(labels);
  const theirs = tf.valueAndGrad((z: tf.Tensor) =>
    tf.mul(tf.losses.softmaxCrossEntropy(targets, z), share)
  )(logits);
  const ours = tf.valueAndGrad((z: tf.Tensor) =>
    softmaxCrossEntropy(targetValues(labels), z as tf.Tensor2D, share)
  )(logits);
  const loss = [ours.value.dataSync()[0], theirs.value.dataSync()[0]];
  assert(Math.abs(loss[0] - loss[1]) < 1e-6 * loss[1], `loss ${loss}`);
  const gradient = worstDifference(ours.grad.dataSync(), theirs.grad.dataSync());
  assert(gradient < 1e-5, `gradient differs by ${gradient} of its largest value`);
  tf.dispose([logits, targets, theirs.value, theirs.grad, ours.value, ours.grad]);
}

Deno.test("the fused loss and its gradient are tfjs's softmaxCrossEntropy's, to float tolerance", () => {
  assertLikeTfjs(64, 6, 7, 1);
});

Deno.test("a scaled fused loss is a worker's share of the batch's: loss and gradient times the share", () => {
  assertLikeTfjs(24, 4, 3, 24 / 64);
});

Deno.test("the fused loss refuses targets of another shape", () => {
  const logits = tf.zeros([2, 10]) as tf.Tensor2D;
  assert.throws(() => softmaxCrossEntropy(targetValues([1]), logits), RangeError);
  logits.dispose();
});
