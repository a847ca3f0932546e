import { deepStrictEqual } from "node:assert/strict";
import { inkBoundingBox } from "./ink_box.ts";

function image(width: number, height: number, ink: [number, number, number][]): Float32Array {
  const out = new Float32Array(width * height);
  for (const [x, y, v] of ink) out[y * width + x] = v;
  return out;
}

/** A solid rectangle of ink, as a list of pixels. */
function rect(x: number, y: number, w: number, h: number, v = 1): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) out.push([i, j, v]);
  return out;
}

Deno.test("inkBoundingBox finds the extent of the ink", () => {
  deepStrictEqual(inkBoundingBox(image(20, 10, rect(3, 2, 5, 4)), 20, 10), {
    x: 3,
    y: 2,
    width: 5,
    height: 4,
  });
});

Deno.test("inkBoundingBox ignores faint pixels and returns null without ink", () => {
  const faint = rect(0, 0, 20, 10, 0.1);
  deepStrictEqual(inkBoundingBox(image(20, 10, [...faint, ...rect(5, 5, 2, 2)]), 20, 10), {
    x: 5,
    y: 5,
    width: 2,
    height: 2,
  });
  deepStrictEqual(inkBoundingBox(image(20, 10, faint), 20, 10), null);
});

Deno.test("inkBoundingBox drops a small speck apart from the digit", () => {
  const digit = rect(10, 10, 10, 30);
  const withSpeck = image(60, 60, [...digit, [55, 2, 1], [56, 2, 1]]);
  deepStrictEqual(inkBoundingBox(withSpeck, 60, 60), { x: 10, y: 10, width: 10, height: 30 });
});

Deno.test("inkBoundingBox keeps a faint tail that touches the digit", () => {
  // The tail holds under 2% of the ink but is connected, so it is part of the digit.
  const digit = [...rect(10, 10, 10, 30), [20, 39, 0.5] as [number, number, number]];
  deepStrictEqual(inkBoundingBox(image(60, 60, digit), 60, 60), {
    x: 10,
    y: 10,
    width: 11,
    height: 30,
  });
});

Deno.test("inkBoundingBox keeps a separate stroke that carries real ink", () => {
  // Two strokes with a gap (a 5's detached bar): each far above the speck share.
  const strokes = [...rect(10, 10, 3, 20), ...rect(16, 10, 10, 3)];
  deepStrictEqual(inkBoundingBox(image(40, 40, strokes), 40, 40), {
    x: 10,
    y: 10,
    width: 16,
    height: 20,
  });
});
