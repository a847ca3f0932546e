/**
 * Test pictures of digits: strokes drawn with a round pen, MNIST digits enlarged onto a
 * canvas, and the colour schemes people send (transparent canvas, ink on paper, MNIST's
 * white on black).
 *
 * @module
 */
import type { RgbaImage } from "../../lib/ink_map.ts";

/** A grey coverage map (0..1, 1 = ink) of a square canvas. */
export interface Coverage {
  size: number;
  ink: Float32Array;
}

export type Point = [number, number];

/**
 * Draws polylines with a round pen of `penWidth` pixels, anti-aliased over one pixel. Points
 * are in a unit square mapped to the square `box` (x, y, side) of a `size` canvas.
 */
export function drawStrokes(
  strokes: Point[][],
  options: { size: number; penWidth: number; box: [number, number, number] },
): Coverage {
  const { size, penWidth, box: [bx, by, side] } = options;
  const ink = new Float32Array(size * size);
  const radius = penWidth / 2;
  for (const stroke of strokes) {
    const points = stroke.map(([u, v]): Point => [bx + u * side, by + v * side]);
    for (let i = 0; i < points.length; i++) {
      const a = points[i], b = points[Math.min(i + 1, points.length - 1)];
      const x0 = Math.max(0, Math.floor(Math.min(a[0], b[0]) - radius - 1));
      const x1 = Math.min(size - 1, Math.ceil(Math.max(a[0], b[0]) + radius + 1));
      const y0 = Math.max(0, Math.floor(Math.min(a[1], b[1]) - radius - 1));
      const y1 = Math.min(size - 1, Math.ceil(Math.max(a[1], b[1]) + radius + 1));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const d = segmentDistance([x + 0.5, y + 0.5], a, b);
          const cover = Math.min(1, Math.max(0, radius + 0.5 - d));
          if (cover > ink[y * size + x]) ink[y * size + x] = cover;
        }
      }
    }
  }
  return { size, ink };
}

function segmentDistance(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0
    ? 0
    : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/**
 * An MNIST digit (28x28, 0..255) enlarged bilinearly to `side` pixels and placed with its
 * top-left corner at (x, y) on a `size` canvas.
 */
export function placeMnistDigit(
  digit: Uint8Array,
  options: { size: number; side: number; x: number; y: number },
): Coverage {
  const { size, side, x: left, y: top } = options;
  const ink = new Float32Array(size * size);
  const grey = (x: number, y: number) =>
    x < 0 || y < 0 || x > 27 || y > 27 ? 0 : digit[y * 28 + x] / 255;
  for (let y = 0; y < side; y++) {
    const cy = top + y;
    if (cy < 0 || cy >= size) continue;
    const sy = (y + 0.5) * 28 / side - 0.5;
    const y0 = Math.floor(sy), fy = sy - y0;
    for (let x = 0; x < side; x++) {
      const cx = left + x;
      if (cx < 0 || cx >= size) continue;
      const sx = (x + 0.5) * 28 / side - 0.5;
      const x0 = Math.floor(sx), fx = sx - x0;
      ink[cy * size + cx] = (1 - fy) * ((1 - fx) * grey(x0, y0) + fx * grey(x0 + 1, y0)) +
        fy * ((1 - fx) * grey(x0, y0 + 1) + fx * grey(x0 + 1, y0 + 1));
    }
  }
  return { size, ink };
}

export type Scheme = "transparent" | "black-on-white" | "white-on-black";

/** RGBA pixels for a coverage map drawn in one of the usual colour schemes. */
export function toRgba({ size, ink }: Coverage, scheme: Scheme): RgbaImage {
  const data = new Uint8Array(size * size * 4);
  for (let i = 0; i < ink.length; i++) {
    const v = Math.round(ink[i] * 255);
    const p = i * 4;
    if (scheme === "transparent") { // a browser canvas: black strokes, alpha = coverage
      data[p + 3] = v;
    } else {
      const grey = scheme === "white-on-black" ? v : 255 - v;
      data[p] = data[p + 1] = data[p + 2] = grey;
      data[p + 3] = 255;
    }
  }
  return { width: size, height: size, data };
}

/** Simple stroke paths for a few digits, in a unit square. */
export const DIGIT_STROKES: Record<string, Point[][]> = {
  "1": [[[0.35, 0.2], [0.55, 0.02], [0.55, 1]]],
  "7": [[[0.1, 0.05], [0.9, 0.05], [0.4, 1]]],
  "0": [
    Array.from({ length: 25 }, (_, i): Point => {
      const t = (i / 24) * 2 * Math.PI;
      return [0.5 + 0.35 * Math.sin(t), 0.5 - 0.48 * Math.cos(t)];
    }),
  ],
  "4": [[[0.65, 1], [0.65, 0], [0.05, 0.7], [0.95, 0.7]]],
};
