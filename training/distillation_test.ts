import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { sha256Hex } from "./mnist_files.ts";
import {
  type Distillation,
  softenedRows,
  Teacher,
  teacherRecord,
  trainingLoss,
} from "./distillation.ts";
import { softmaxCrossEntropy } from "./fused_loss.ts";
import { syntheticDigits } from "./synthetic_digits.ts";
import { MNIST_NORMALISATION } from "../lib/model_metadata.ts";
import { normalise } from "../lib/preprocess.ts";

const TEACHER_FILE = decodeURIComponent(
  new URL("../models/cnn-aug.int8.onnx", import.meta.url).pathname,
);
const TEACHER: Distillation = { teacher: TEACHER_FILE, weight: 0.3, temperature: 4 };

/** Logits and targets of four rows, fixed. */
const LOGITS = [2, -1, 0.5, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].concat(
  Array.from({ length: 20 }, (_, i) => Math.sin(i) * 4),
);
const HARD = new Float32Array(40);
[0, 9, 3, 7].forEach((label, row) => HARD[row * 10 + label] = 1);

Deno.test("softened rows: a softmax per row, flatter the hotter", () => {
  const logits = Float32Array.from(LOGITS);
  const cold = softenedRows(logits, 1), hot = softenedRows(logits, 4);
  for (let row = 0; row < 4; row++) {
    const sum = (rows: Float32Array) => rows.slice(row * 10, row * 10 + 10).reduce((a, b) => a + b);
    assert(Math.abs(sum(cold) - 1) < 1e-6 && Math.abs(sum(hot) - 1) < 1e-6);
    const peak = (rows: Float32Array) => Math.max(...rows.slice(row * 10, row * 10 + 10));
    assert(peak(hot) <= peak(cold), `row ${row}: ${peak(hot)} hotter than ${peak(cold)}`);
  }
  const expected = tf.tidy(() => tf.softmax(tf.tensor2d(LOGITS, [4, 10])).dataSync());
  cold.forEach((p, i) => assert(Math.abs(p - expected[i]) < 1e-6, `${p} vs ${expected[i]}`));
});

Deno.test("the loss: labels alone without a teacher, else Hinton's mix, gradients and all", () => {
  const soft = softenedRows(Float32Array.from(LOGITS.map((v, i) => v * 0.7 + (i % 3))), 4);
  const z = tf.tensor2d(LOGITS.map((v) => v * 0.5), [4, 10]);
  const [plainValue, plainGrad] = valueAndGrad((x) => trainingLoss(HARD, soft, x, 0.5, null), z);
  const [hardValue, hardGrad] = valueAndGrad((x) => softmaxCrossEntropy(HARD, x, 0.5), z);
  assert.equal(plainValue, hardValue);
  assert.deepEqual(plainGrad, hardGrad);
  // The same loss from tfjs's own ops.
  const { weight: w, temperature: t } = TEACHER;
  const [hard2d, soft2d] = [HARD, soft].map((rows) => tf.tensor2d(rows, [4, 10]));
  const reference = (x: tf.Tensor2D) =>
    tf.mul(
      0.5,
      tf.add(
        tf.mul(1 - w, tf.neg(tf.mean(tf.sum(tf.mul(hard2d, tf.logSoftmax(x)), 1)))),
        tf.mul(w * t * t, tf.neg(tf.mean(tf.sum(tf.mul(soft2d, tf.logSoftmax(tf.div(x, t))), 1)))),
      ),
    ) as tf.Scalar;
  const [mixValue, mixGrad] = valueAndGrad((x) => trainingLoss(HARD, soft, x, 0.5, TEACHER), z);
  const [refValue, refGrad] = valueAndGrad(reference, z);
  assert(Math.abs(mixValue - refValue) < 1e-5 * refValue, `${mixValue} vs ${refValue}`);
  mixGrad.forEach((g, i) => assert(Math.abs(g - refGrad[i]) < 1e-6, `${i}: ${g} vs ${refGrad[i]}`));
  assert(mixGrad.some((g, i) => Math.abs(g - hardGrad[i]) > 1e-3), "the teacher changed nothing");
  tf.dispose([z, hard2d, soft2d]);
});

function valueAndGrad(
  loss: (x: tf.Tensor2D) => tf.Scalar,
  z: tf.Tensor2D,
): [number, Float32Array] {
  return tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => loss(x as tf.Tensor2D))(z);
    return [value.dataSync()[0], grad.dataSync() as Float32Array];
  });
}

Deno.test({
  name: "a teacher reads normalised digits into softened rows; the metadata names it by checksum",
  sanitizeResources: false,
  fn: async () => {
    const teacher = await Teacher.open(TEACHER);
    const digits = syntheticDigits(3, 5);
    const images = new Float32Array(3 * 784);
    for (let n = 0; n < 3; n++) {
      const field = Float32Array.from(
        digits.images.subarray(n * 784, (n + 1) * 784),
        (v) => v / 255,
      );
      images.set(normalise(field, MNIST_NORMALISATION), n * 784);
    }
    const rows = await teacher.targets(images, 3);
    await teacher.close();
    assert.equal(rows.length, 30);
    for (let row = 0; row < 3; row++) {
      const sum = rows.slice(row * 10, row * 10 + 10).reduce((a, b) => a + b);
      assert(Math.abs(sum - 1) < 1e-5, `row ${row} sums to ${sum}`);
    }
    const record = await teacherRecord(TEACHER);
    assert.deepEqual(record, {
      file: "cnn-aug.int8.onnx",
      sha256: await sha256Hex(await Deno.readFile(TEACHER_FILE)),
      weight: 0.3,
      temperature: 4,
    });
    assert.equal(await teacherRecord(null), null);
  },
});
