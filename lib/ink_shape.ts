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
import { neighbourRing, ringBranches, skeletonize } from "./skeleton.ts";

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
  return {
    fill: strong / (width * height),
    boxAspect: Math.max(width, height) / Math.min(width, height),
    thinness: Math.sqrt(minor / major),
    tiltFromVertical,
    pathLength: skeleton.reduce((sum, v) => sum + v, 0),
    crossings: countCrossings(skeleton),
    holes: countHoles(field),
    drawnLength: drawnLength(field, skeleton),
  };
}

/** Background regions (ink <= 0.5, 4-connected) that do not reach the field's edge. */
function countHoles(field: Float32Array): number {
  const label = new Uint8Array(SIDE * SIDE); // 1 = visited background
  let holes = 0;
  for (let start = 0; start < label.length; start++) {
    if (label[start] || field[start] > 0.5) continue;
    let open = false;
    const stack = [start];
    label[start] = 1;
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % SIDE, y = (i - x) / SIDE;
      if (x === 0 || y === 0 || x === SIDE - 1 || y === SIDE - 1) open = true;
      for (const n of [i - 1, i + 1, i - SIDE, i + SIDE]) {
        if (n < 0 || n >= label.length || label[n] || field[n] > 0.5) continue;
        if ((n === i - 1 && x === 0) || (n === i + 1 && x === SIDE - 1)) continue;
        label[n] = 1;
        stack.push(n);
      }
    }
    if (!open) holes++;
  }
  return holes;
}

/** Clusters of skeleton pixels with three or more skeleton neighbours. */
function countCrossings(skeleton: Uint8Array): number {
  const junction = new Uint8Array(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      if (!skeleton[y * SIDE + x]) continue;
      if (ringBranches(neighbourRing(skeleton, x, y, SIDE)) >= 3) junction[y * SIDE + x] = 1;
    }
  }
  // Junction pixels within two pixels of each other are one crossing.
  let clusters = 0;
  const seen = new Uint8Array(SIDE * SIDE);
  for (let start = 0; start < junction.length; start++) {
    if (!junction[start] || seen[start]) continue;
    clusters++;
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % SIDE, y = (i - x) / SIDE;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const nx = x + dx, ny = y + dy, n = ny * SIDE + nx;
          if (nx < 0 || ny < 0 || nx >= SIDE || ny >= SIDE || !junction[n] || seen[n]) continue;
          seen[n] = 1;
          stack.push(n);
        }
      }
    }
  }
  return clusters;
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
  if (
    shape.drawnLength >= limits.scribbleLength || shape.crossings >= limits.scribbleCrossings ||
    shape.holes >= limits.scribbleHoles
  ) return "scribble";
  return null;
}

/**
 * Ink area divided by the pen's width, where the width comes from the distance between the
 * skeleton and the background (chamfer distances). A low percentile, not the median: where
 * strokes cross or overlap the distance grows, and a scribble is mostly overlaps.
 */
function drawnLength(field: Float32Array, skeleton: Uint8Array): number {
  const big = 1e6;
  const distance = new Float32Array(SIDE * SIDE);
  let area = 0;
  for (let i = 0; i < distance.length; i++) {
    distance[i] = field[i] > 0.5 ? big : 0;
    area += field[i];
  }
  const d1 = 1, d2 = Math.SQRT2;
  const relax = (i: number, n: number, step: number) => {
    if (distance[n] + step < distance[i]) distance[i] = distance[n] + step;
  };
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const i = y * SIDE + x;
      if (distance[i] === 0) continue;
      if (x === 0 || y === 0) distance[i] = Math.min(distance[i], 1);
      if (x > 0) relax(i, i - 1, d1);
      if (y > 0) relax(i, i - SIDE, d1);
      if (x > 0 && y > 0) relax(i, i - SIDE - 1, d2);
      if (x < SIDE - 1 && y > 0) relax(i, i - SIDE + 1, d2);
    }
  }
  for (let y = SIDE - 1; y >= 0; y--) {
    for (let x = SIDE - 1; x >= 0; x--) {
      const i = y * SIDE + x;
      if (distance[i] === 0) continue;
      if (x === SIDE - 1 || y === SIDE - 1) distance[i] = Math.min(distance[i], 1);
      if (x < SIDE - 1) relax(i, i + 1, d1);
      if (y < SIDE - 1) relax(i, i + SIDE, d1);
      if (x < SIDE - 1 && y < SIDE - 1) relax(i, i + SIDE + 1, d2);
      if (x > 0 && y < SIDE - 1) relax(i, i + SIDE - 1, d2);
    }
  }
  const radii: number[] = [];
  for (let i = 0; i < skeleton.length; i++) {
    if (skeleton[i] && distance[i] < big) radii.push(distance[i]);
  }
  if (radii.length === 0) return 0;
  radii.sort((a, b) => a - b);
  // A distance of 1 means the pixel touches the background: the pen is ~1 px wide there.
  const width = Math.max(1, 2 * radii[Math.floor(radii.length * 0.15)] - 1);
  return area / width;
}
