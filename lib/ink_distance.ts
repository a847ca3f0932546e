/**
 * How far each ink pixel lies from the paper (a two-pass chamfer distance, steps 1 and
 * sqrt 2): on the skeleton that is half the pen's width, and where strokes overlap it grows.
 *
 * Pure TypeScript on typed arrays.
 *
 * @module
 */

/**
 * Distance from every pixel with ink over `threshold` to the nearest pixel without (0 on the
 * paper; the image's edge counts as paper one step away). Row-major `side`x`side`.
 *
 * @example
 * ```ts
 * import { inkDistance } from "./ink_distance.ts";
 * const bar = new Float32Array(28 * 28);
 * for (let y = 5; y < 23; y++) for (let x = 12; x < 17; x++) bar[y * 28 + x] = 1;
 * console.log(inkDistance(bar)[14 * 28 + 14]); // 3: the middle of a 5 px wide bar
 * ```
 */
export function inkDistance(field: Float32Array, threshold = 0.5, side = 28): Float32Array {
  const far = 1e6;
  const distance = new Float32Array(side * side);
  for (let i = 0; i < distance.length; i++) distance[i] = field[i] > threshold ? far : 0;
  const relax = (i: number, n: number, step: number) => {
    if (distance[n] + step < distance[i]) distance[i] = distance[n] + step;
  };
  const diagonal = Math.SQRT2;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = y * side + x;
      if (distance[i] === 0) continue;
      if (x === 0 || y === 0) distance[i] = Math.min(distance[i], 1);
      if (x > 0) relax(i, i - 1, 1);
      if (y > 0) relax(i, i - side, 1);
      if (x > 0 && y > 0) relax(i, i - side - 1, diagonal);
      if (x < side - 1 && y > 0) relax(i, i - side + 1, diagonal);
    }
  }
  for (let y = side - 1; y >= 0; y--) {
    for (let x = side - 1; x >= 0; x--) {
      const i = y * side + x;
      if (distance[i] === 0) continue;
      if (x === side - 1 || y === side - 1) distance[i] = Math.min(distance[i], 1);
      if (x < side - 1) relax(i, i + 1, 1);
      if (y < side - 1) relax(i, i + side, 1);
      if (x < side - 1 && y < side - 1) relax(i, i + side + 1, diagonal);
      if (x > 0 && y < side - 1) relax(i, i + side - 1, diagonal);
    }
  }
  return distance;
}
