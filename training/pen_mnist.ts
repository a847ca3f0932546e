/**
 * Pen-rendered MNIST: each digit thinned to its one-pixel skeleton (Zhang-Suen), then redrawn
 * as a round pen of a chosen width would draw it, with antialiased edges, and placed again by
 * MNIST's recipe. Stroke width and scan texture then carry no meaning for the model: a digit
 * drawn small on the page (a thick pen once scaled up) looks like one of these.
 *
 * Pure functions on typed arrays (28x28 fields, 0..1, ink = 1).
 *
 * @module
 */
import { mnistField } from "../lib/preprocess.ts";
import { skeletonize } from "../lib/skeleton.ts";
import type { DigitSet } from "./mnist_idx.ts";
import type { Random } from "./random.ts";

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Distance from (px, py) to the segment (ax, ay)-(bx, by). */
function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number) {
  const dx = bx - ax, dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0
    ? 0
    : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/**
 * Redraws a skeleton with a round pen of `radius` pixels: every skeleton pixel joined to its
 * 8-neighbours by capsules, coverage antialiased over one pixel.
 */
export function penStroke(skeleton: Uint8Array, radius: number, side = SIDE): Float32Array {
  const distance = new Float32Array(side * side).fill(Infinity);
  const reach = Math.ceil(radius + 1.5);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      if (!skeleton[y * side + x]) continue;
      // Each segment once: to the east, south-east, south and south-west neighbours.
      const ends: [number, number][] = [[x, y]];
      for (const [dx, dy] of [[1, 0], [1, 1], [0, 1], [-1, 1]]) {
        const nx = x + dx, ny = y + dy;
        if (nx >= 0 && ny >= 0 && nx < side && ny < side && skeleton[ny * side + nx]) {
          ends.push([nx, ny]);
        }
      }
      for (let yy = Math.max(0, y - reach); yy <= Math.min(side - 1, y + reach + 1); yy++) {
        for (let xx = Math.max(0, x - reach - 1); xx <= Math.min(side - 1, x + reach + 1); xx++) {
          let d = Infinity;
          for (const [ex, ey] of ends) d = Math.min(d, segmentDistance(xx, yy, x, y, ex, ey));
          const i = yy * side + xx;
          if (d < distance[i]) distance[i] = d;
        }
      }
    }
  }
  const out = new Float32Array(side * side);
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.max(0, Math.min(1, radius + 0.5 - distance[i]));
  }
  return out;
}

/** A 0..1 field as the grey bytes of a white-on-black 28x28 image. */
function toBytes(field: Float32Array): Uint8Array {
  const bytes = new Uint8Array(field.length);
  for (let i = 0; i < field.length; i++) bytes[i] = Math.round(field[i] * 255);
  return bytes;
}

/**
 * One MNIST digit (grey bytes) redrawn with a pen of `radius` px (in the 28x28 field), then
 * put through MNIST's recipe again (fit into 20x20, centre of mass) as the server would.
 * Null when the skeleton is empty.
 */
export function penRedraw(digit: Uint8Array, radius: number): Uint8Array | null {
  const field = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) field[i] = digit[i] / 255;
  const skeleton = skeletonize(field);
  if (!skeleton.some((v) => v === 1)) return null;
  // Drawn on a 3x larger grid so the pen's width is not quantised to whole pixels of the field.
  const scale = 3, big = SIDE * scale;
  const bigSkeleton = new Uint8Array(big * big);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      if (skeleton[y * SIDE + x]) bigSkeleton[(y * scale + 1) * big + x * scale + 1] = 1;
    }
  }
  const drawn = penStroke(joinScaled(bigSkeleton, big, scale), radius * scale, big);
  try {
    return toBytes(mnistField({ width: big, height: big, channels: 1, data: toBytes(drawn) }));
  } catch {
    return null;
  }
}

/** Joins skeleton points placed `scale` apart back into 8-connected lines on the big grid. */
function joinScaled(points: Uint8Array, big: number, scale: number): Uint8Array {
  const joined = new Uint8Array(points);
  for (let y = 1; y < big; y += scale) {
    for (let x = 1; x < big; x += scale) {
      if (!points[y * big + x]) continue;
      for (const [dx, dy] of [[1, 0], [1, 1], [0, 1], [-1, 1]]) {
        const nx = x + dx * scale, ny = y + dy * scale;
        if (nx < 0 || ny < 0 || nx >= big || ny >= big || !points[ny * big + nx]) continue;
        for (let k = 1; k < scale; k++) joined[(y + dy * k) * big + x + dx * k] = 1;
      }
    }
  }
  return joined;
}

/** Pen radii in field pixels: MNIST's own pen is ~1; a small drawing on the page reaches ~2.5. */
export const PEN_RADIUS_RANGE: [number, number] = [0.55, 2.4];

/**
 * `count` digits of `source` (cycling through it from `offset`) redrawn with random pen widths.
 */
export function penRenderedMnist(
  source: DigitSet,
  count: number,
  random: Random,
  offset = 0,
): DigitSet {
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let made = 0;
  for (let n = 0; made < count && n < source.count * 2; n++) {
    const index = (offset + n) % source.count;
    // Log-uniform: thin pens are as common as thick ones in a drawing's scale.
    const [low, high] = PEN_RADIUS_RANGE;
    const radius = Math.exp(random.uniform(Math.log(low), Math.log(high)));
    const drawn = penRedraw(source.images.subarray(index * PIXELS, (index + 1) * PIXELS), radius);
    if (!drawn) continue;
    images.set(drawn, made * PIXELS);
    labels[made++] = source.labels[index];
  }
  return {
    images: images.subarray(0, made * PIXELS),
    labels: labels.subarray(0, made),
    count: made,
    rows: SIDE,
    cols: SIDE,
  };
}
