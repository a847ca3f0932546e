import assert from "node:assert/strict";
import {
  expectedCalibrationError,
  fitTemperature,
  softmaxRows,
  temperatureScale,
} from "./calibration.ts";
import { Random } from "../training/random.ts";

Deno.test("temperatureScale equals softmax of the logits over T", () => {
  const logits = Float32Array.from([2, -1, 0.5, 0, 0, 0, 0, 0, 0, 3]);
  const p = softmaxRows(logits);
  const scaled = temperatureScale(p, 2.5);
  const direct = softmaxRows(logits, 2.5);
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(scaled[i] - direct[i]) < 1e-6);
  assert.deepEqual(temperatureScale(p, 1), Array.from(p));
});

Deno.test("ECE is 0 for answers exactly as right as they claim, and large for overconfident ones", () => {
  // Four answers at 0.75 of which three are right: calibrated.
  const p = new Float32Array(40);
  for (let r = 0; r < 4; r++) p[r * 10] = 0.75, p[r * 10 + 1] = 0.25;
  assert.ok(expectedCalibrationError(p, [0, 0, 0, 1]) < 1e-6);
  // The same claims, all wrong.
  assert.ok(Math.abs(expectedCalibrationError(p, [1, 1, 1, 1]) - 0.75) < 1e-6);
});

Deno.test("fitTemperature recovers the temperature that made the labels", () => {
  const random = new Random(3);
  const rows = 4000, trueT = 2;
  const logits = new Float32Array(rows * 10), labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < 10; c++) logits[r * 10 + c] = random.uniform(-4, 4);
    // Draw the label from softmax(logits / trueT): the model is overconfident by trueT.
    const p = softmaxRows(logits.subarray(r * 10, r * 10 + 10), trueT);
    let u = random.next(), label = 0;
    while (label < 9 && (u -= p[label]) > 0) label++;
    labels[r] = label;
  }
  const fitted = fitTemperature(logits, labels);
  assert.ok(Math.abs(fitted - trueT) < 0.2, `fitted ${fitted}`);
  const before = expectedCalibrationError(softmaxRows(logits), labels);
  const after = expectedCalibrationError(softmaxRows(logits, fitted), labels);
  assert.ok(after < before, `${after} < ${before}`);
});
