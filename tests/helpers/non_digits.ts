/**
 * Drawings that are not digits, in the page's unit coordinates: a tap (dot), straight lines
 * across the pad, a filled square (strokes side by side) and seeded random scribbles.
 *
 * @module
 */
import type { Stroke } from "../../lib/strokes.ts";
import { Random } from "../../training/random.ts";

export const DOT: Stroke[] = [[{ x: 0.5, y: 0.5 }]];

export const LINES: Record<string, Stroke[]> = {
  "horizontal line": [[{ x: 0.08, y: 0.5 }, { x: 0.5, y: 0.51 }, { x: 0.92, y: 0.5 }]],
  "diagonal line": [[{ x: 0.1, y: 0.9 }, { x: 0.5, y: 0.5 }, { x: 0.9, y: 0.1 }]],
};

/** A square filled by back-and-forth strokes, as a person colours one in. */
export function filledSquare(left = 0.3, top = 0.3, side = 0.4): Stroke[] {
  const stroke: Stroke = [];
  for (let y = top, row = 0; y <= top + side; y += 0.02, row++) {
    stroke.push({ x: row % 2 ? left + side : left, y }, { x: row % 2 ? left : left + side, y });
  }
  return [stroke];
}

/**
 * `count` random scribbles: 1-2 strokes of 10-17 random points each over most of the pad, a
 * scrawl with many sharp turns and crossings (fewer random points can make a real digit).
 */
export function scribbles(count: number, seed = 13): Stroke[][] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => {
    const side = random.uniform(0.4, 0.9);
    const left = random.uniform(0.02, 0.98 - side), top = random.uniform(0.02, 0.98 - side);
    const strokes = 1 + Math.floor(random.next() * 2);
    return Array.from(
      { length: strokes },
      () =>
        Array.from({ length: 10 + Math.floor(random.next() * 8) }, () => ({
          x: left + random.next() * side,
          y: top + random.next() * side,
        })),
    );
  });
}
