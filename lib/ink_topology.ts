/**
 * The topology of a 28x28 field: how many enclosed holes the ink has and how often its skeleton
 * branches. The ink-shape checks (ink_shape.ts) read digits and scribbles by them.
 *
 * Pure TypeScript on typed arrays.
 *
 * @module
 */
import { neighbourRing, ringBranches } from "./skeleton.ts";

const SIDE = 28;

/**
 * Paper regions (ink <= `paper`, 4-connected) that do not reach the field's edge: the loops of
 * a 0, 6, 8 or 9, the cells between a scribble's crossing strokes.
 */
export function countHoles(field: Float32Array, paper = 0.5): number {
  const seen = new Uint8Array(SIDE * SIDE); // 1 = visited background
  const stack = new Int32Array(SIDE * SIDE); // each pixel is pushed at most once
  let holes = 0;
  for (let start = 0; start < seen.length; start++) {
    if (seen[start] || field[start] > paper) continue;
    let open = false, top = 0;
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const i = stack[--top];
      const x = i % SIDE, y = (i - x) / SIDE;
      if (x === 0 || y === 0 || x === SIDE - 1 || y === SIDE - 1) open = true;
      // The four neighbours inside the image, without an array per pixel (every answer runs this).
      if (x > 0 && !seen[i - 1] && field[i - 1] <= paper) seen[stack[top++] = i - 1] = 1;
      if (x < SIDE - 1 && !seen[i + 1] && field[i + 1] <= paper) seen[stack[top++] = i + 1] = 1;
      if (y > 0 && !seen[i - SIDE] && field[i - SIDE] <= paper) seen[stack[top++] = i - SIDE] = 1;
      if (y < SIDE - 1 && !seen[i + SIDE] && field[i + SIDE] <= paper) {
        seen[stack[top++] = i + SIDE] = 1;
      }
    }
    if (!open) holes++;
  }
  return holes;
}

/** Clusters of skeleton pixels where three or more branches meet (within 2 px: one crossing). */
export function countCrossings(skeleton: Uint8Array): number {
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
