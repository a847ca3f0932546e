/**
 * Drawings that are not digits, in the page's unit coordinates: a tap (dot), straight lines
 * across the pad, a filled square (strokes side by side) and seeded random scribbles.
 *
 * @module
 */
import type { Stroke } from "../../lib/strokes.ts";

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

/** Seeded random scribbles (the generator `draw` also trains on, with seeds of its own). */
export { scribbles } from "../../training/scribbles.ts";
