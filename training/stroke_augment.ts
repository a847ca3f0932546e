/**
 * Augmentation of pen strokes before they are drawn: the writer's hand varies (slant, aspect,
 * rotation, where each stroke starts, a tremor, overshooting the end of a line) and so does
 * the device (how densely it samples the pen). Works in the strokes' own coordinates.
 *
 * @module
 */
import type { Point, Stroke } from "../lib/strokes.ts";
import { strokeBounds, type UnitBox } from "./pendigits.ts";
import type { Random } from "./random.ts";

export interface StrokeAugmentOptions {
  rotationDegrees: number;
  /** Horizontal shear (x += shear * y), both ways. */
  shear: number;
  /** log(width / height) change, both ways. */
  logAspect: number;
  /** Each stroke moved by up to this share of the digit's size (strokes that miss each other). */
  strokeShift: number;
  /** Each point moved by up to this share of the digit's size (tremor, sensor noise). */
  pointNoise: number;
  /** Chance that a stroke is resampled along its length at a random spacing. */
  resampleProbability: number;
  /** Resampling spacing range, as shares of the digit's size (dense mouse .. sparse tablet). */
  resampleSpacing: [number, number];
  /** Chance, per stroke end, of an overshoot along its last direction. */
  overshootProbability: number;
  /** Longest overshoot, as a share of the digit's size. */
  overshoot: number;
}

export const DEFAULT_STROKE_AUGMENT: StrokeAugmentOptions = {
  rotationDegrees: 10,
  shear: 0.3,
  logAspect: 0.25,
  strokeShift: 0.03,
  pointNoise: 0.008,
  resampleProbability: 0.5,
  resampleSpacing: [0.015, 0.08],
  overshootProbability: 0.2,
  overshoot: 0.06,
};

/** Points every `spacing` along the stroke's polyline, ends kept. */
export function resampleStroke(stroke: Stroke, spacing: number): Stroke {
  if (stroke.length < 2 || !(spacing > 0)) return stroke.slice();
  const out: Point[] = [stroke[0]];
  let carried = 0;
  for (let i = 1; i < stroke.length; i++) {
    const a = stroke[i - 1], b = stroke[i];
    const length = Math.hypot(b.x - a.x, b.y - a.y);
    let at = spacing - carried;
    while (at <= length) {
      const t = at / length;
      out.push({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t });
      at += spacing;
    }
    carried = length - (at - spacing);
  }
  const last = stroke[stroke.length - 1], end = out[out.length - 1];
  if (end.x !== last.x || end.y !== last.y) out.push(last);
  return out;
}

/** The stroke with its end (or start) carried on by `length` along its last direction. */
function overshoot(stroke: Stroke, length: number, atStart: boolean): Stroke {
  if (stroke.length < 2) return stroke;
  const points = atStart ? stroke.slice().reverse() : stroke.slice();
  const end = points[points.length - 1];
  // The direction over the last few points: the very last pair can be a jitter.
  const from = points[Math.max(0, points.length - 3)];
  const norm = Math.hypot(end.x - from.x, end.y - from.y);
  if (norm === 0) return stroke;
  points.push({
    x: end.x + (end.x - from.x) / norm * length,
    y: end.y + (end.y - from.y) / norm * length,
  });
  return atStart ? points.reverse() : points;
}

/** A new set of strokes: `strokes` as another hand on another device might have drawn them. */
export function augmentStrokes(
  strokes: readonly Stroke[],
  random: Random,
  options: StrokeAugmentOptions = DEFAULT_STROKE_AUGMENT,
): Stroke[] {
  const bounds: UnitBox = strokeBounds(strokes);
  const span = Math.max(bounds.width, bounds.height, 1e-9);
  const cx = bounds.x + bounds.width / 2, cy = bounds.y + bounds.height / 2;
  const angle = random.uniform(-1, 1) * options.rotationDegrees * Math.PI / 180;
  const shear = random.uniform(-1, 1) * options.shear;
  const sx = Math.exp(random.uniform(-1, 1) * options.logAspect / 2), sy = 1 / sx;
  const cos = Math.cos(angle), sin = Math.sin(angle);
  const warp = (p: Point): Point => {
    const x = (p.x - cx) * sx + shear * (p.y - cy) * sy, y = (p.y - cy) * sy;
    return { x: cos * x - sin * y + cx, y: sin * x + cos * y + cy };
  };
  return strokes.map((stroke) => {
    const dx = random.uniform(-1, 1) * options.strokeShift * span;
    const dy = random.uniform(-1, 1) * options.strokeShift * span;
    let points: Stroke = stroke.map((p) => {
      const w = warp(p);
      return {
        x: w.x + dx + random.uniform(-1, 1) * options.pointNoise * span,
        y: w.y + dy + random.uniform(-1, 1) * options.pointNoise * span,
      };
    });
    if (random.next() < options.overshootProbability) {
      points = overshoot(points, random.next() * options.overshoot * span, false);
    }
    if (random.next() < options.overshootProbability) {
      points = overshoot(points, random.next() * options.overshoot * span, true);
    }
    if (random.next() < options.resampleProbability) {
      const [low, high] = options.resampleSpacing;
      points = resampleStroke(
        points,
        Math.exp(random.uniform(Math.log(low), Math.log(high))) * span,
      );
    }
    return points;
  });
}
