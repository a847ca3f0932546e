/**
 * Thinning a digit to its one-pixel skeleton (Zhang-Suen, 1984): the pen's path without its
 * width. Pen-rendered MNIST redraws it; the ink-shape checks measure stroke length and
 * crossings on it, whatever pen drew the digit.
 *
 * Pure TypeScript on typed arrays.
 *
 * @module
 */

/** Zhang-Suen thinning of `ink > threshold`: 1 where the skeleton is, 0 elsewhere. */
export function skeletonize(field: Float32Array, threshold = 0.35, side = 28): Uint8Array {
  const on = new Uint8Array(side * side);
  for (let i = 0; i < on.length; i++) on[i] = field[i] > threshold ? 1 : 0;
  const at = (x: number, y: number) =>
    x >= 0 && y >= 0 && x < side && y < side ? on[y * side + x] : 0;
  const remove: number[] = [];
  for (let changed = true, rounds = 0; changed && rounds < 50; rounds++) {
    changed = false;
    for (const pass of [0, 1]) {
      remove.length = 0;
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          if (!on[y * side + x]) continue;
          // Neighbours clockwise from north: p2..p9.
          const p = [
            at(x, y - 1),
            at(x + 1, y - 1),
            at(x + 1, y),
            at(x + 1, y + 1),
            at(x, y + 1),
            at(x - 1, y + 1),
            at(x - 1, y),
            at(x - 1, y - 1),
          ];
          const count = p.reduce((a, b) => a + b, 0);
          if (count < 2 || count > 6) continue;
          let transitions = 0;
          for (let k = 0; k < 8; k++) transitions += Number(p[k] === 0 && p[(k + 1) % 8] === 1);
          if (transitions !== 1) continue;
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
