import assert from "node:assert/strict";
import { measureInk } from "./ink_shape.ts";

/** A 28x28 field with ink on the given rectangles (x, y, width, height). */
function field(...boxes: [number, number, number, number][]): Float32Array {
  const out = new Float32Array(784);
  for (const [x0, y0, w, h] of boxes) {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) out[y * 28 + x] = 1;
  }
  return out;
}

Deno.test("one pen's bar has one skeleton depth and no ink piled on ink", () => {
  const shape = measureInk(field([12, 4, 3, 20]));
  const [low, middle, high] = shape.skeletonDepth;
  assert.equal(low, middle);
  assert.ok(high - low <= 1, `${shape.skeletonDepth}`);
  assert.equal(shape.deepShare, 0);
});

Deno.test("a solid patch at the end of a thin stroke is ink piled deeper than the pen", () => {
  const shape = measureInk(field([13, 4, 2, 14], [8, 16, 12, 9]));
  assert.ok(shape.skeletonDepth[2] > shape.skeletonDepth[0] + 1, `${shape.skeletonDepth}`);
  assert.ok(shape.deepShare > 0.1, `${shape.deepShare}`);
});

Deno.test("no ink measures as nothing", () => {
  const shape = measureInk(new Float32Array(784));
  assert.deepEqual(shape.skeletonDepth, [0, 0, 0]);
  assert.equal(shape.deepShare, 0);
});
