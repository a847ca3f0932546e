/**
 * Centre-of-mass placement, MNIST's last step: the digit goes into the 28x28 field so that the
 * ink's centre of mass lands on the field's centre.
 *
 * @module
 */

/** The ink-weighted mean pixel index (x, y); null for an image with no ink. */
export function centreOfMass(
  ink: Float32Array,
  width: number,
  height: number,
): { x: number; y: number } | null {
  let mass = 0, sumX = 0, sumY = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = ink[y * width + x];
      mass += v;
      sumX += v * x;
      sumY += v * y;
    }
  }
  return mass > 0 ? { x: sumX / mass, y: sumY / mass } : null;
}

/**
 * Copies `patch` into a `size` x `size` field, shifted by whole pixels so its centre of mass
 * sits at index `size / 2` (MNIST's digits average 14.0 on both axes). Ink pushed past an edge
 * is cut, as in MNIST.
 */
export function placeByCentreOfMass(
  patch: Float32Array,
  width: number,
  height: number,
  size: number,
): Float32Array {
  const field = new Float32Array(size * size);
  const centre = centreOfMass(patch, width, height);
  if (centre === null) return field;
  const left = Math.round(size / 2 - centre.x);
  const top = Math.round(size / 2 - centre.y);
  for (let y = 0; y < height; y++) {
    const fy = top + y;
    if (fy < 0 || fy >= size) continue;
    for (let x = 0; x < width; x++) {
      const fx = left + x;
      if (fx < 0 || fx >= size) continue;
      field[fy * size + fx] = patch[y * width + x];
    }
  }
  return field;
}
