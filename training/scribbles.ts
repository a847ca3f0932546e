/**
 * Seeded random scribbles in the page's unit coordinates: drawings that are not digits. The
 * tests and benchmarks judge the confidence checks on some seeds (tests/helpers/non_digits.ts),
 * the scribble score is fitted on others (scribble_score_fit.ts), and `draw` trains on its own
 * as negatives (draw_data.ts), so one generator serves all three.
 *
 * @module
 */
import type { Stroke } from "../lib/strokes.ts";
import { Random } from "./random.ts";

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
