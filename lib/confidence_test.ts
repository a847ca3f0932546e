import assert from "node:assert/strict";
import { assessAnswer } from "./confidence.ts";
import { mnistField } from "./preprocess.ts";
import { renderStrokes } from "./stroke_raster.ts";
import type { Stroke } from "./strokes.ts";
import { filledSquare } from "../tests/helpers/non_digits.ts";

/** A field as the server would make it from strokes on a 280 px pad. */
function fieldOf(strokes: Stroke[]): Float32Array {
  const coverage = renderStrokes(strokes, { size: 280 });
  const data = Uint8Array.from(coverage, (v) => Math.round(v * 255));
  return mnistField({ width: 280, height: 280, channels: 1, data });
}

const seven = fieldOf([[{ x: 0.3, y: 0.25 }, { x: 0.7, y: 0.25 }, { x: 0.45, y: 0.8 }]]);
const probabilities = (top: number, p: number, second: number, q: number) =>
  Array.from({ length: 10 }, (_, d) => d === top ? p : d === second ? q : (1 - p - q) / 8);

Deno.test("a clear answer on digit-like ink is confident, with its runner-up", () => {
  const answer = assessAnswer(probabilities(7, 0.97, 2, 0.02), seven);
  assert.deepEqual(answer, { confident: true, runnerUp: { digit: 2, probability: 0.02 } });
});

Deno.test("close and low answers are not confident and say why", () => {
  assert.equal(assessAnswer(probabilities(7, 0.5, 2, 0.45), seven).reason, "close call: 7 or 2");
  const low = assessAnswer(probabilities(7, 0.7, 2, 0.1), seven);
  assert.equal(low.confident, false);
  assert.match(low.reason!, /low top probability \(70%\)/);
});

Deno.test("ink that cannot be a digit is never confident, however sure the model is", () => {
  const sure = probabilities(1, 0.999, 7, 0.0005);
  const dot = fieldOf([[{ x: 0.5, y: 0.5 }]]);
  const line = fieldOf([[{ x: 0.05, y: 0.5 }, { x: 0.95, y: 0.5 }]]);
  assert.equal(assessAnswer(sure, dot).reason, "a dot, not a digit");
  assert.equal(assessAnswer(sure, line).reason, "a straight line, not a digit");
  assert.equal(assessAnswer(sure, fieldOf(filledSquare())).reason, "a filled blob, not a digit");
  // A vertical line is a one.
  const one = fieldOf([[{ x: 0.5, y: 0.1 }, { x: 0.5, y: 0.9 }]]);
  assert.equal(assessAnswer(sure, one).confident, true);
});
