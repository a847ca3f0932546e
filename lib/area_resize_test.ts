import assert, { deepStrictEqual } from "node:assert/strict";
import { areaResize } from "./area_resize.ts";

const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;

Deno.test("areaResize averages whole blocks when shrinking by an integer factor", () => {
  const source = Float32Array.from({ length: 16 }, (_, i) => i);
  const out = areaResize(source, 4, { x: 0, y: 0, width: 4, height: 4 }, 2, 2);
  // Block means of [[0,1,4,5],[2,3,6,7],[8,9,12,13],[10,11,14,15]].
  deepStrictEqual(Array.from(out), [2.5, 4.5, 10.5, 12.5]);
});

Deno.test("areaResize weighs partly covered pixels by the share covered", () => {
  const source = new Float32Array([1, 0, 0]);
  const out = areaResize(source, 3, { x: 0, y: 0, width: 3, height: 1 }, 2, 1);
  // Output 0 covers pixels [0, 1.5): 1 * 1 + 0 * 0.5, over 1.5.
  assert(close(out[0], 2 / 3) && close(out[1], 0), `got ${Array.from(out)}`);
});

Deno.test("areaResize keeps the mean ink (thin strokes turn grey, not lost)", () => {
  const size = 100;
  const source = new Float32Array(size * size);
  for (let y = 0; y < size; y++) source[y * size + 37] = 1; // a 1 px vertical line
  const out = areaResize(source, size, { x: 0, y: 0, width: size, height: size }, 20, 20);
  const meanIn = source.reduce((a, b) => a + b) / source.length;
  const meanOut = out.reduce((a, b) => a + b) / out.length;
  assert(close(meanIn, meanOut), `mean ${meanIn} became ${meanOut}`);
  assert(out.some((v) => v > 0.19 && v < 0.21), "the line should be a 20% grey column");
});

Deno.test("areaResize reads only the box and can enlarge", () => {
  const source = new Float32Array([9, 9, 9, 9, 1, 9, 9, 9, 9]);
  const out = areaResize(source, 3, { x: 1, y: 1, width: 1, height: 1 }, 2, 2);
  deepStrictEqual(Array.from(out), [1, 1, 1, 1]);
});
