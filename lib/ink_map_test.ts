import assert, { deepStrictEqual } from "node:assert/strict";
import { inkMap, type RgbaImage } from "./ink_map.ts";

/** A 4x4 image: background everywhere, `ink` at pixel 5. */
function picture(background: number[], ink: number[]): RgbaImage {
  const data = new Uint8Array(16 * 4);
  for (let i = 0; i < 16; i++) data.set(i === 5 ? ink : background, i * 4);
  return { width: 4, height: 4, data };
}

function values(image: RgbaImage): number[] {
  const map = inkMap(image);
  assert(map !== null, "expected ink");
  return Array.from(map.ink, (v) => Math.round(v * 1000) / 1000);
}

const expected = Array.from({ length: 16 }, (_, i) => i === 5 ? 1 : 0);

Deno.test("inkMap: white on black is ink as is (MNIST's polarity)", () => {
  deepStrictEqual(values(picture([0, 0, 0, 255], [255, 255, 255, 255])), expected);
});

Deno.test("inkMap: dark ink on light paper is inverted", () => {
  deepStrictEqual(values(picture([255, 255, 255, 255], [0, 0, 0, 255])), expected);
  // Grey paper and blue ink: stretched so paper is 0 and the ink is 1.
  deepStrictEqual(values(picture([200, 200, 190, 255], [20, 30, 120, 255])), expected);
});

Deno.test("inkMap: on a transparent canvas alpha is the ink, whatever the colour", () => {
  deepStrictEqual(values(picture([0, 0, 0, 0], [0, 0, 0, 255])), expected);
  deepStrictEqual(values(picture([255, 255, 255, 0], [255, 255, 255, 255])), expected);
  deepStrictEqual(values(picture([0, 0, 0, 0], [200, 10, 10, 255])), expected);
});

Deno.test("inkMap: grey levels of the ink are kept in proportion", () => {
  const data = new Uint8Array(16 * 4).fill(255);
  data.set([0, 0, 0, 255], 0); // full ink
  data.set([128, 128, 128, 255], 4); // half ink
  const map = inkMap({ width: 4, height: 4, data })!;
  assert(Math.abs(map.ink[1] - 127 / 255) < 0.01, `half ink became ${map.ink[1]}`);
});

Deno.test("inkMap: blank and nearly blank images have no ink", () => {
  deepStrictEqual(inkMap(picture([255, 255, 255, 255], [255, 255, 255, 255])), null);
  deepStrictEqual(inkMap(picture([0, 0, 0, 0], [0, 0, 0, 0])), null);
  deepStrictEqual(inkMap(picture([128, 128, 128, 255], [128, 128, 128, 255])), null);
  deepStrictEqual(inkMap(picture([250, 250, 250, 255], [240, 240, 240, 255])), null);
});
