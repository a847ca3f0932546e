/**
 * Ink that cannot be a digit, told from the 28x28 field the model reads (after MNIST's recipe,
 * so the size and place of the drawing no longer matter): a dot, a straight line that is not
 * a one, a filled blob, a scribble. A model answers something for any ink; these checks say
 * when that answer should not be trusted, whatever its probability.
 *
 * Measured on the field: how much of the ink's box is filled, how thin and which way the ink
 * lies (the principal axes of its mass), and on its skeleton (the pen's path without its
 * width) how long the path is and how often it crosses itself.
 *
 * Pure TypeScript on typed arrays: the server and the page share it.
 *
 * @module
 */
import { inkDistance } from "./ink_distance.ts";
import { countCrossings, countHoles } from "./ink_topology.ts";
import { skeletonize } from "./skeleton.ts";

const SIDE = 28;

/** Why ink is not a digit. */
export type InkProblem = "dot" | "line" | "filled" | "scribble";

/** What the checks measure; exported so tests and tuning can see the numbers. */
export interface InkShape {
  /** Share of the ink's bounding box with ink over half strength. */
  fill: number;
  /** Long side / short side of the ink's bounding box (>= 1). */
  boxAspect: number;
  /** Minor / major principal axis (standard deviations) of the ink mass: 0 is a line. */
  thinness: number;
  /** Angle of the major axis from vertical, degrees (0..90). */
  tiltFromVertical: number;
  /** Skeleton pixels: the pen path's length in field pixels. */
  pathLength: number;
  /** Skeleton pixels where three or more branches meet, counted as separate clusters. */
  crossings: number;
  /** Ink area / pen width: the length of pen path drawn, overlaps and all (field pixels). */
  drawnLength: number;
  /** Enclosed background regions (the loops of a 6, 8, 9, 0; the many cells of a scribble). */
  holes: number;
  /**
   * Enclosed regions of paper with any ink under 0.9: also the small grey cells left where
   * strokes cross close together, which a scribble has many of.
   */
  faintHoles: number;
  /** Total ink (sum of the field), field pixels. */
  mass: number;
  /** Distance from the ink's deepest pixel to paper: half the widest stretch of ink (px). */
  thickest: number;
  /** Height / width of the ink's bounding box: a one is tall, a scribble about square. */
  heightOverWidth: number;
  /**
   * Distance to paper along the skeleton (half the pen's width) at its 15th, 50th and 90th
   * percentiles: one pen draws a digit, so they stay close; where a scribble's strokes pile up
   * the upper ones grow.
   */
  skeletonDepth: readonly [low: number, middle: number, high: number];
  /** Share of the ink over 1.5 px deeper than the pen's low depth: ink piled on ink. */
  deepShare: number;
}

/** Measures the field (row-major 28x28, 0..1, ink = 1). */
export function measureInk(field: Float32Array): InkShape {
  let mass = 0, sumX = 0, sumY = 0;
  let minX = SIDE, minY = SIDE, maxX = -1, maxY = -1;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const v = field[y * SIDE + x];
      if (v <= 0.1) continue;
      mass += v, sumX += v * x, sumY += v * y;
      minX = Math.min(minX, x), maxX = Math.max(maxX, x);
      minY = Math.min(minY, y), maxY = Math.max(maxY, y);
    }
  }
  if (mass === 0) {
    return {
      fill: 0,
      boxAspect: 1,
      thinness: 0,
      tiltFromVertical: 0,
      pathLength: 0,
      crossings: 0,
      holes: 0,
      drawnLength: 0,
      faintHoles: 0,
      mass: 0,
      thickest: 0,
      heightOverWidth: 1,
      skeletonDepth: [0, 0, 0],
      deepShare: 0,
    };
  }
  const cx = sumX / mass, cy = sumY / mass;
  let xx = 0, yy = 0, xy = 0, strong = 0;
  for (let y = minY; y <= maxY; y++) {
    for (let x = minX; x <= maxX; x++) {
      const v = field[y * SIDE + x];
      if (v > 0.5) strong++;
      if (v <= 0.1) continue;
      xx += v * (x - cx) ** 2, yy += v * (y - cy) ** 2, xy += v * (x - cx) * (y - cy);
    }
  }
  xx /= mass, yy /= mass, xy /= mass;
  // Eigenvalues of the 2x2 covariance; a pixel's own width adds 1/12 to each axis.
  const mean = (xx + yy) / 2, spread = Math.sqrt(((xx - yy) / 2) ** 2 + xy * xy);
  const major = mean + spread + 1 / 12, minor = Math.max(0, mean - spread) + 1 / 12;
  // Major axis direction (eigenvector); angle from the vertical (y) axis.
  const angle = 0.5 * Math.atan2(2 * xy, xx - yy); // from the x axis
  const tiltFromVertical = 90 - Math.abs(angle * 180 / Math.PI);
  const width = maxX - minX + 1, height = maxY - minY + 1;
  const skeleton = skeletonize(field, 0.35, SIDE);
  const distance = inkDistance(field, 0.5, SIDE);
  let thickest = 0, total = 0;
  for (let i = 0; i < field.length; i++) {
    total += field[i];
    if (distance[i] > thickest) thickest = distance[i];
  }
  const depths = skeletonDepths(skeleton, distance);
  const depthAt = (q: number) =>
    depths.length === 0 ? 0 : depths[Math.min(depths.length - 1, Math.floor(depths.length * q))];
  const low = depthAt(0.15);
  let inked = 0, deep = 0;
  for (let i = 0; i < distance.length; i++) {
    if (distance[i] === 0) continue;
    inked++;
    if (distance[i] > low + 1.5) deep++;
  }
  return {
    fill: strong / (width * height),
    boxAspect: Math.max(width, height) / Math.min(width, height),
    thinness: Math.sqrt(minor / major),
    tiltFromVertical,
    pathLength: skeleton.reduce((sum, v) => sum + v, 0),
    crossings: countCrossings(skeleton),
    holes: countHoles(field),
    drawnLength: depths.length === 0 ? 0 : drawnLength(total, low),
    faintHoles: countHoles(field, 0.9),
    mass: total,
    thickest,
    heightOverWidth: height / width,
    skeletonDepth: [low, depthAt(0.5), depthAt(0.9)],
    deepShare: inked === 0 ? 0 : deep / inked,
  };
}

/** Where each check draws its line; measured on held-out pen digits and made-up non-digits. */
export const INK_LIMITS = {
  /** A filled disc covers ~0.79 of its box; digits stay under ~0.55 even with a thick pen. */
  dotFill: 0.68,
  /** A filled square, or a patch scribbled over until it is solid. */
  filledFill: 0.88,
  /** Blobs and dots have boxes no longer than this (a one's box is long and full). */
  blobAspect: 2.2,
  /** A dot is round: its box is nearly square. */
  dotAspect: 1.4,
  /** Thinner than this is a straight line... */
  lineThinness: 0.12,
  /** ...and one leaning further than this from vertical cannot be a one. */
  lineTilt: 40,
  /**
   * A scribble: this much pen path drawn into the 20 px box (real digits: median 60, 99.3% under
   * 150, measured on 6,000 pen digits at three sizes), this many self-crossings, or this many
   * enclosed cells. Each flags under 1% of real digits; together they catch about half of
   * random scribbles, and the model's own uncertainty most of the rest.
   */
  scribbleLength: 150,
  scribbleCrossings: 4,
  scribbleHoles: 5,
  /**
   * Strokes piled on one another: ink this deep (a pen's stroke in the 20 px box is at most
   * ~4.4 px wide, drawn small with the page's pen), this many faint cells, or this much ink.
   * Set at the 99.9th/99.7th percentile of a third of the training writers' digits (one size
   * each); `bench/ink_checks.ts` measures the price on the held-out writers: with the shape
   * ranges of digit_shapes.ts, 18 of 4,497 drawings (0.40%) are no longer confident, and 38 of
   * 51 confident scribbles (seeds 2026, 1, 2, 3, 7) are caught.
   */
  scribbleThickest: 5.25,
  scribbleFaintHoles: 4,
  scribbleMass: 209,
} as const;

/** The first reason the ink cannot be a digit, or null when it could be one. */
export function inkProblem(shape: InkShape): InkProblem | null {
  const limits = INK_LIMITS;
  if (shape.thinness <= limits.lineThinness && shape.tiltFromVertical >= limits.lineTilt) {
    return "line";
  }
  // A one is a filled thin box too: only squarish boxes count as blobs and dots.
  if (shape.boxAspect <= limits.blobAspect) {
    if (shape.fill >= limits.filledFill) return "filled";
    if (shape.fill >= limits.dotFill && shape.boxAspect <= limits.dotAspect) return "dot";
  }
  return scribbleSigns(shape).length > 0 ? "scribble" : null;
}

/** The scribble limits of {@link INK_LIMITS} the shape reaches (none for a digit). */
export function scribbleSigns(shape: InkShape): (keyof typeof INK_LIMITS)[] {
  const limits = INK_LIMITS;
  const signs: (keyof typeof INK_LIMITS)[] = [];
  if (shape.drawnLength >= limits.scribbleLength) signs.push("scribbleLength");
  if (shape.crossings >= limits.scribbleCrossings) signs.push("scribbleCrossings");
  if (shape.holes >= limits.scribbleHoles) signs.push("scribbleHoles");
  if (shape.thickest > limits.scribbleThickest) signs.push("scribbleThickest");
  if (shape.faintHoles >= limits.scribbleFaintHoles) signs.push("scribbleFaintHoles");
  if (shape.mass > limits.scribbleMass) signs.push("scribbleMass");
  return signs;
}

/** The distance to paper of every skeleton pixel, ascending. */
function skeletonDepths(skeleton: Uint8Array, distance: Float32Array): Float32Array {
  let count = 0;
  for (let i = 0; i < skeleton.length; i++) count += skeleton[i];
  const depths = new Float32Array(count);
  for (let i = 0, k = 0; i < skeleton.length; i++) if (skeleton[i]) depths[k++] = distance[i];
  return depths.sort();
}

/**
 * Ink area divided by the pen's width, where the width comes from the skeleton's depth (its
 * distance to paper). A low percentile, not the median: where strokes cross or overlap the
 * distance grows, and a scribble is mostly overlaps.
 */
function drawnLength(area: number, lowDepth: number): number {
  // A distance of 1 means the pixel touches the background: the pen is ~1 px wide there.
  return area / Math.max(1, 2 * lowDepth - 1);
}
