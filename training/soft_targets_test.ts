import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { NOT_A_DIGIT, targetRows } from "./soft_targets.ts";

Deno.test("a digit's target is one-hot, a negative's uniform over the ten digits", () => {
  const rows = targetRows([3, NOT_A_DIGIT, 0]);
  const values = Array.from(rows.dataSync());
  rows.dispose();
  assert.deepEqual(values.slice(0, 10), [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  for (const v of values.slice(10, 20)) assert(Math.abs(v - 0.1) < 1e-7, `${v}`);
  assert.deepEqual(values.slice(20), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

Deno.test("a negative's loss is least when the answer is unsure: ln 10 for equal logits", () => {
  const target = targetRows([NOT_A_DIGIT, NOT_A_DIGIT]);
  const unsure = tf.zeros([2, 10]);
  const sure = tf.oneHot(tf.tensor1d([7, 7], "int32"), 10).mul(8);
  const lossUnsure = tf.losses.softmaxCrossEntropy(target, unsure).dataSync()[0];
  const lossSure = tf.losses.softmaxCrossEntropy(target, sure).dataSync()[0];
  tf.dispose([target, unsure, sure]);
  assert(Math.abs(lossUnsure - Math.log(10)) < 1e-5, `${lossUnsure}`);
  assert(lossSure > lossUnsure + 1, `${lossSure} vs ${lossUnsure}`);
});

Deno.test("a label that is neither a digit nor NOT_A_DIGIT is refused", () => {
  assert.throws(() => targetRows([11]), RangeError);
  assert.throws(() => targetRows([-1]), RangeError);
});
