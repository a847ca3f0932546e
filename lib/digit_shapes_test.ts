import assert from "node:assert/strict";
import { DIGIT_SHAPE_RANGES, unlikeDigit } from "./digit_shapes.ts";
import { measureInk } from "./ink_shape.ts";
import { mnistField } from "./preprocess.ts";
import { renderStrokes } from "./stroke_raster.ts";
import type { Stroke } from "./strokes.ts";

function shapeOf(strokes: Stroke[]) {
  const coverage = renderStrokes(strokes, { size: 280 });
  const data = Uint8Array.from(coverage, (v) => Math.round(v * 255));
  return measureInk(mnistField({ width: 280, height: 280, channels: 1, data }));
}

Deno.test("the table has a sensible range for every digit", () => {
  assert.equal(DIGIT_SHAPE_RANGES.length, 10);
  for (const { heightOverWidth: [low, high], faintHoles } of DIGIT_SHAPE_RANGES) {
    assert.ok(0 < low && low < 1.5 && low < high, `${low}..${high}`);
    assert.ok(faintHoles >= 0 && faintHoles <= 4);
  }
  // A one is the tallest digit; an eight has the most holes.
  const tallest = DIGIT_SHAPE_RANGES.map((r) => r.heightOverWidth[1]);
  assert.equal(tallest.indexOf(Math.max(...tallest)), 1);
  assert.ok(DIGIT_SHAPE_RANGES[8].faintHoles >= 2);
});

Deno.test("a one's tall stroke is like a one; a long flat box is like no digit", () => {
  const one = shapeOf([[{ x: 0.5, y: 0.1 }, { x: 0.5, y: 0.9 }]]);
  assert.equal(unlikeDigit(one, 1), null);
  const box = (top: number, bottom: number): Stroke[] => [[
    { x: 0.1, y: top },
    { x: 0.9, y: top },
    { x: 0.9, y: bottom },
    { x: 0.1, y: bottom },
    { x: 0.1, y: top },
  ]];
  const flat = shapeOf(box(0.4, 0.6));
  for (let digit = 0; digit < 10; digit++) {
    assert.equal(unlikeDigit(flat, digit), "heightOverWidth");
  }
  assert.equal(unlikeDigit(shapeOf(box(0.1, 0.9)), 0), null); // a square zero is still a zero
});

Deno.test("no ink is judged by the other checks, not by digit shapes", () => {
  assert.equal(unlikeDigit(measureInk(new Float32Array(784)), 1), null);
});
