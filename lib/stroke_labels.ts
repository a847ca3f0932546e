/**
 * Labels a drawing's ink by the pen stroke that made it: when the page sends its strokes
 * with the picture, two digits that touch on the canvas are still two sets of strokes.
 * Every ink pixel goes to the nearest stroke within reach of the pen.
 *
 * Pure TypeScript: the browser, the server and evaluation share it.
 *
 * @module
 */
import { type InkPart, type InkPlane, type LabelledInk, measureParts } from "./ink_components.ts";

/**
 * A stroke as the page records it: points `[x, y]` in units of the image's height (the pad's
 * side: 0..1 down, 0..width/height across), as `web/strokes.ts` draws them.
 */
export type UnitStroke = [number, number][];

/** Ink labelled by stroke, and the width of the pen that drew it. */
export interface StrokeLabelling extends LabelledInk {
  labels: Int32Array;
  /** Pixels: the ink's area over the strokes' length. */
  penWidth: number;
}

/** Below this share of the ink reached by the strokes, they do not describe the picture. */
const MIN_COVERAGE = 0.9;

/** The work allowed, in pixel visits per image pixel: hostile strokes fall back to pixels. */
const WORK_PER_PIXEL = 24;

/**
 * The ink labelled by stroke (stroke `i` is label `i + 1`), or null when the strokes do not
 * explain at least MIN_COVERAGE of the ink (an uploaded picture under them, strokes from
 * another drawing) or would cost too much to follow.
 */
export function strokeLabels(plane: InkPlane, strokes: UnitStroke[]): StrokeLabelling | null {
  const { width, height, ink } = plane;
  let inkPixels = 0, inkMass = 0;
  for (let i = 0; i < ink.length; i++) {
    if (ink[i] === 0) continue;
    inkPixels++;
    inkMass += ink[i] / 255;
  }
  let length = 0;
  const paths = strokes.map((stroke) =>
    stroke.map(([x, y]): [number, number] => [x * height, y * height])
  );
  for (const path of paths) {
    for (let k = 1; k < path.length; k++) {
      length += Math.hypot(path[k][0] - path[k - 1][0], path[k][1] - path[k - 1][1]);
    }
  }
  if (inkPixels === 0 || paths.length === 0) return null;
  // The pen's width from the ink it left: area over length (a dot: the whole ink's size).
  const pen = length > 0 ? inkMass / length : Math.sqrt(inkMass);
  const reach = pen / 2 + 2;
  let work = 0;
  for (const path of paths) {
    for (let k = 0; k < path.length; k++) {
      const [ax, ay] = path[k], [bx, by] = path[Math.min(k + 1, path.length - 1)];
      work += (Math.abs(bx - ax) + 2 * reach + 1) * (Math.abs(by - ay) + 2 * reach + 1);
    }
  }
  if (!(work <= WORK_PER_PIXEL * width * height)) return null;

  const labels = new Int32Array(width * height);
  const distance = new Float32Array(width * height).fill(Infinity);
  paths.forEach((path, index) => {
    for (let k = 0; k < path.length; k++) {
      const a = path[k], b = path[Math.min(k + 1, path.length - 1)];
      const x0 = Math.max(0, Math.floor(Math.min(a[0], b[0]) - reach));
      const x1 = Math.min(width - 1, Math.ceil(Math.max(a[0], b[0]) + reach));
      const y0 = Math.max(0, Math.floor(Math.min(a[1], b[1]) - reach));
      const y1 = Math.min(height - 1, Math.ceil(Math.max(a[1], b[1]) + reach));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0, i = y * width + x0; x <= x1; x++, i++) {
          if (ink[i] === 0) continue;
          const d = segmentDistance(x + 0.5, y + 0.5, a, b);
          if (d > reach || d >= distance[i]) continue;
          distance[i] = d;
          labels[i] = index + 1;
        }
      }
    }
  });
  let reached = 0;
  for (let i = 0; i < ink.length; i++) if (labels[i] !== 0) reached += ink[i] / 255;
  if (reached < MIN_COVERAGE * inkMass) return null;
  const parts = paths.map((_, index): InkPart => ({
    label: index + 1,
    area: 0,
    x0: 0,
    y0: 0,
    x1: 0,
    y1: 0,
  }));
  return { plane, labels, parts: measureParts(labels, width, parts), penWidth: pen };
}

function segmentDistance(
  px: number,
  py: number,
  [ax, ay]: [number, number],
  [bx, by]: [number, number],
): number {
  const dx = bx - ax, dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0
    ? 0
    : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}
