/**
 * Thinning a digit to its one-pixel skeleton (Zhang-Suen, 1984): the pen's path without its
 * width. Pen-rendered MNIST redraws it; the ink-shape checks measure stroke length and
 * crossings on it, whatever pen drew the digit.
 *
 * Pure TypeScript on typed arrays.
 *
 * @module
 */

/**
 * The 8 neighbours of (x, y) in a one-bit `side`x`side` image, clockwise from north (Zhang and
 * Suen's p2..p9); outside the image counts as 0.
 */
export function neighbourRing(on: Uint8Array, x: number, y: number, side: number): number[] {
  const at = (nx: number, ny: number) =>
    nx >= 0 && ny >= 0 && nx < side && ny < side ? on[ny * side + nx] : 0;
  return [
    at(x, y - 1),
    at(x + 1, y - 1),
    at(x + 1, y),
    at(x + 1, y + 1),
    at(x, y + 1),
    at(x - 1, y + 1),
    at(x - 1, y),
    at(x - 1, y - 1),
  ];
}

/**
 * 0 -> 1 steps going once round a ring: how many separate branches of ink touch the pixel
 * (a thick corner is one branch, however many of its neighbours are set).
 */
export function ringBranches(ring: readonly number[]): number {
  let branches = 0;
  for (let k = 0; k < 8; k++) branches += Number(ring[k] === 0 && ring[(k + 1) % 8] === 1);
  return branches;
}

/** Zhang-Suen thinning of `ink > threshold`: 1 where the skeleton is, 0 elsewhere. */
export function skeletonize(field: Float32Array, threshold = 0.35, side = 28): Uint8Array {
  const on = new Uint8Array(side * side);
  for (let i = 0; i < on.length; i++) on[i] = field[i] > threshold ? 1 : 0;
  const remove: number[] = [];
  for (let changed = true, rounds = 0; changed && rounds < 50; rounds++) {
    changed = false;
    for (const pass of [0, 1]) {
      remove.length = 0;
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          if (!on[y * side + x]) continue;
          const p = neighbourRing(on, x, y, side);
          const count = p.reduce((a, b) => a + b, 0);
          if (count < 2 || count > 6) continue;
          if (ringBranches(p) !== 1) continue;
          const [p2, , p4, , p6, , p8] = p;
          if (
            pass === 0 ? p2 * p4 * p6 !== 0 || p4 * p6 * p8 !== 0 : p2 * p4 * p8 !== 0 ||
              p2 * p6 * p8 !== 0
          ) continue;
          remove.push(y * side + x);
        }
      }
      for (const i of remove) on[i] = 0;
      if (remove.length > 0) changed = true;
    }
  }
  return on;
}
