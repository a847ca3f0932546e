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

/**
 * Zhang-Suen thinning of `ink > threshold`: 1 where the skeleton is, 0 elsewhere. The image
 * sits in a frame of zeros one pixel wide so neighbours need no bounds checks, and no ring is
 * allocated per pixel: it runs on every /predict answer (the ink checks), four times for a
 * four-digit number.
 */
export function skeletonize(field: Float32Array, threshold = 0.35, side = 28): Uint8Array {
  const w = side + 2;
  const on = new Uint8Array(w * w);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      on[(y + 1) * w + x + 1] = field[y * side + x] > threshold ? 1 : 0;
    }
  }
  const remove = new Int32Array(side * side);
  for (let changed = true, rounds = 0; changed && rounds < 50; rounds++) {
    changed = false;
    for (let pass = 0; pass < 2; pass++) {
      let removing = 0;
      for (let y = 1; y <= side; y++) {
        for (let x = 1; x <= side; x++) {
          const i = y * w + x;
          if (!on[i]) continue;
          // p2..p9 clockwise from north, as neighbourRing gives them.
          const p2 = on[i - w], p3 = on[i - w + 1], p4 = on[i + 1], p5 = on[i + w + 1];
          const p6 = on[i + w], p7 = on[i + w - 1], p8 = on[i - 1], p9 = on[i - w - 1];
          const count = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
          if (count < 2 || count > 6) continue;
          // One 0 -> 1 step round the ring (values are 0 or 1, so a < b means 0 then 1).
          const branches = Number(p2 < p3) + Number(p3 < p4) + Number(p4 < p5) + Number(p5 < p6) +
            Number(p6 < p7) + Number(p7 < p8) + Number(p8 < p9) + Number(p9 < p2);
          if (branches !== 1) continue;
          if (
            pass === 0 ? p2 * p4 * p6 !== 0 || p4 * p6 * p8 !== 0 : p2 * p4 * p8 !== 0 ||
              p2 * p6 * p8 !== 0
          ) continue;
          remove[removing++] = i;
        }
      }
      for (let k = 0; k < removing; k++) on[remove[k]] = 0;
      if (removing > 0) changed = true;
    }
  }
  const skeleton = new Uint8Array(side * side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) skeleton[y * side + x] = on[(y + 1) * w + x + 1];
  }
  return skeleton;
}
