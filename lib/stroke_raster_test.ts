import { strictEqual } from "node:assert/strict";
import { STROKE_WIDTH_FRACTION } from "./strokes.ts";
import { coverageToRgba, INK_LEVEL, PAPER_LEVEL, renderStrokes } from "./stroke_raster.ts";

const sum = (values: Float32Array) => values.reduce((a, b) => a + b, 0);
const close = (actual: number, expected: number, tolerance: number) =>
  Math.abs(actual - expected) <= tolerance * expected;

Deno.test("a horizontal line covers its length times the page's pen width, plus round caps", () => {
  const size = 280;
  const ink = renderStrokes([[{ x: 0.25, y: 0.5 }, { x: 0.75, y: 0.5 }]], { size });
  const width = size * STROKE_WIDTH_FRACTION, length = size / 2;
  const expected = length * width + Math.PI * (width / 2) ** 2;
  strictEqual(close(sum(ink), expected, 0.02), true, `${sum(ink)} vs ${expected}`);
  // Solid in the middle of the pen, paper well outside it.
  strictEqual(ink[140 * size + 140], 1);
  strictEqual(ink[(140 + Math.ceil(width)) * size + 140], 0);
});

Deno.test("a tap is a round dot of the pen's width", () => {
  const size = 280;
  const ink = renderStrokes([[{ x: 0.5, y: 0.5 }]], { size });
  const radius = (size * STROKE_WIDTH_FRACTION) / 2;
  strictEqual(close(sum(ink), Math.PI * radius * radius, 0.02), true);
});

Deno.test("curves pass through midpoints, so a stroke's ink stays inside its points' hull", () => {
  const size = 100;
  const stroke = [{ x: 0.2, y: 0.2 }, { x: 0.8, y: 0.2 }, { x: 0.8, y: 0.8 }, { x: 0.2, y: 0.8 }];
  const ink = renderStrokes([stroke], { size, lineWidth: 4 });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (x < 17 || x > 83 || y < 17 || y > 83) strictEqual(ink[y * size + x], 0, `${x},${y}`);
    }
  }
});

Deno.test("overlapping strokes composite like canvas source-over, never above 1", () => {
  const ink = renderStrokes([
    [{ x: 0.2, y: 0.5 }, { x: 0.8, y: 0.5 }],
    [{ x: 0.5, y: 0.2 }, { x: 0.5, y: 0.8 }],
  ], { size: 56 });
  strictEqual(Math.max(...ink), 1);
  strictEqual(Math.min(...ink), 0);
});

Deno.test("wider rasters render unit coordinates beyond 1 (a number's pad)", () => {
  const ink = renderStrokes([[{ x: 1.5, y: 0.5 }, { x: 1.6, y: 0.5 }]], {
    size: 100,
    width: 200,
    height: 100,
  });
  strictEqual(ink.length, 200 * 100);
  strictEqual(ink[50 * 200 + 155], 1);
});

Deno.test("coverageToRgba paints the page's ink on white paper", () => {
  const rgba = coverageToRgba(new Float32Array([0, 1, 0.5]));
  strictEqual(rgba[0], PAPER_LEVEL);
  strictEqual(rgba[4], INK_LEVEL);
  strictEqual(rgba[8], Math.round((PAPER_LEVEL + INK_LEVEL) / 2));
  strictEqual(rgba[11], 255);
});
