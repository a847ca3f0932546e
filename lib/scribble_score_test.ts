import assert from "node:assert/strict";
import { measureInk } from "./ink_shape.ts";
import { mnistField } from "./preprocess.ts";
import {
  looksScribbled,
  NO_SCRIBBLE_SCORE,
  scoreFeatures,
  SCRIBBLE_FEATURES,
  SCRIBBLE_SCORE,
  scribbleFeatures,
  scribbleScore,
} from "./scribble_score.ts";
import { renderStrokes } from "./stroke_raster.ts";
import type { Stroke } from "./strokes.ts";
import { scribbles } from "../tests/helpers/non_digits.ts";

function shapeOf(strokes: Stroke[]) {
  const coverage = renderStrokes(strokes, { size: 280 });
  const data = Uint8Array.from(coverage, (v) => Math.round(v * 255));
  return measureInk(mnistField({ width: 280, height: 280, channels: 1, data }));
}

/** A sure answer `top` (calibrated probabilities). */
const sure = (top: number) => Array.from({ length: 10 }, (_, d) => d === top ? 0.991 : 0.001);

Deno.test("the fitted table has a weight for every feature and unit, and a finite limit", () => {
  const { centre, scale, hidden, hiddenBias, output } = SCRIBBLE_SCORE;
  assert.equal(centre.length, SCRIBBLE_FEATURES.length);
  assert.equal(scale.length, SCRIBBLE_FEATURES.length);
  assert.ok(scale.every((s) => s > 0));
  assert.ok(hidden.length > 0);
  for (const row of hidden) assert.equal(row.length, SCRIBBLE_FEATURES.length);
  assert.equal(hiddenBias.length, hidden.length);
  assert.equal(output.length, hidden.length);
  const numbers = [...centre, ...hidden.flat(), ...hiddenBias, ...output];
  assert.ok(numbers.every(Number.isFinite));
  assert.ok(Number.isFinite(SCRIBBLE_SCORE.outputBias) && Number.isFinite(SCRIBBLE_SCORE.limit));
});

Deno.test("the score is the table's network: standardise, rectify, weigh", () => {
  const score = {
    centre: [1, 0],
    scale: [2, 1],
    hidden: [[1, 0], [0, -1]],
    hiddenBias: [0, 0.5],
    output: [2, 3],
    outputBias: -1,
    limit: 0,
  };
  // z = [(5 - 1) / 2, 2] = [2, 2]; units max(0, 2) = 2 and max(0, -2 + 0.5) = 0.
  assert.equal(scoreFeatures([5, 2], score), -1 + 2 * 2);
});

Deno.test("features: the log odds of the top two, and the answer as one of ten", () => {
  const shape = shapeOf([[{ x: 0.5, y: 0.1 }, { x: 0.5, y: 0.9 }]]);
  const features = scribbleFeatures(shape, sure(1));
  assert.equal(features.length, SCRIBBLE_FEATURES.length);
  assert.ok(Math.abs(features[0] - Math.log(991)) < 1e-9);
  assert.deepEqual(features.slice(-10), [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  // A probability of exactly 0 still gives finite odds.
  const zero = Array.from({ length: 10 }, (_, d) => d === 1 ? 1 : 0);
  assert.ok(scribbleFeatures(shape, zero).every(Number.isFinite));
});

Deno.test("a sure, plainly written one is no scribble; empty ink never is", () => {
  const one = shapeOf([[{ x: 0.5, y: 0.1 }, { x: 0.5, y: 0.9 }]]);
  assert.ok(scribbleScore(one, sure(1)) < SCRIBBLE_SCORE.limit);
  assert.equal(looksScribbled(one, sure(1)), false);
  assert.equal(looksScribbled(measureInk(new Float32Array(784)), sure(1)), false);
});

Deno.test("random scribbles score higher than a written one, even answered surely", () => {
  // Seed 4242: neither the fit's seeds (100-199) nor the handwriting test's (2026).
  const one = scribbleScore(shapeOf([[{ x: 0.5, y: 0.1 }, { x: 0.5, y: 0.9 }]]), sure(1));
  const scores = scribbles(20, 4242).map((s) => scribbleScore(shapeOf(s), sure(4)));
  assert.ok(scores.every((s) => s > one), `${scores} vs ${one}`);
  const flagged = scores.filter((s) => s >= SCRIBBLE_SCORE.limit).length;
  assert.ok(flagged >= 10, `${flagged} of 20 flagged`);
});

Deno.test("the empty score flags nothing (what the answers were before it)", () => {
  const scrawl = shapeOf(scribbles(1, 4242)[0]);
  assert.equal(looksScribbled(scrawl, sure(4), NO_SCRIBBLE_SCORE), false);
});
