/**
 * The allocation-free skeleton and hole count against the plain versions they replaced (kept
 * here as the reference), on random blobs, strokes and noise at every threshold the checks use.
 */
import { deepStrictEqual } from "node:assert/strict";
import { countHoles } from "./ink_topology.ts";
import { neighbourRing, ringBranches, skeletonize } from "./skeleton.ts";

const SIDE = 28;

function referenceSkeleton(field: Float32Array, threshold: number): Uint8Array {
  const on = new Uint8Array(SIDE * SIDE);
  for (let i = 0; i < on.length; i++) on[i] = field[i] > threshold ? 1 : 0;
  const remove: number[] = [];
  for (let changed = true, rounds = 0; changed && rounds < 50; rounds++) {
    changed = false;
    for (const pass of [0, 1]) {
      remove.length = 0;
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) {
          if (!on[y * SIDE + x]) continue;
          const p = neighbourRing(on, x, y, SIDE);
          const count = p.reduce((a, b) => a + b, 0);
          if (count < 2 || count > 6 || ringBranches(p) !== 1) continue;
          const [p2, , p4, , p6, , p8] = p;
          if (
            pass === 0 ? p2 * p4 * p6 !== 0 || p4 * p6 * p8 !== 0 : p2 * p4 * p8 !== 0 ||
              p2 * p6 * p8 !== 0
          ) continue;
          remove.push(y * SIDE + x);
        }
      }
      for (const i of remove) on[i] = 0;
      if (remove.length > 0) changed = true;
    }
  }
  return on;
}

function referenceHoles(field: Float32Array, paper: number): number {
  const label = new Uint8Array(SIDE * SIDE);
  let holes = 0;
  for (let start = 0; start < label.length; start++) {
    if (label[start] || field[start] > paper) continue;
    let open = false;
    const stack = [start];
    label[start] = 1;
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % SIDE, y = (i - x) / SIDE;
      if (x === 0 || y === 0 || x === SIDE - 1 || y === SIDE - 1) open = true;
      for (const n of [i - 1, i + 1, i - SIDE, i + SIDE]) {
        if (n < 0 || n >= label.length || label[n] || field[n] > paper) continue;
        if ((n === i - 1 && x === 0) || (n === i + 1 && x === SIDE - 1)) continue;
        label[n] = 1;
        stack.push(n);
      }
    }
    if (!open) holes++;
  }
  return holes;
}

/** Rings, thick strokes and speckle, touching the edges too: a deterministic mix. */
function randomField(seed: number): Float32Array {
  let state = seed * 2654435761 >>> 0;
  const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const field = new Float32Array(SIDE * SIDE);
  for (let s = 0; s < 1 + Math.floor(random() * 4); s++) {
    const cx = random() * SIDE,
      cy = random() * SIDE,
      r = 2 + random() * 10,
      pen = 0.5 + random() * 3;
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const d = Math.abs(Math.hypot(x - cx, y - cy) - r);
        field[y * SIDE + x] = Math.max(field[y * SIDE + x], Math.max(0, 1 - d / pen));
      }
    }
  }
  if (seed % 3 === 0) {
    for (let i = 0; i < field.length; i++) if (random() < 0.2) field[i] = random();
  }
  return field;
}

Deno.test("skeletonize and countHoles give what the plain versions give", () => {
  for (let seed = 1; seed <= 300; seed++) {
    const field = randomField(seed);
    for (const threshold of [0.1, 0.35, 0.5]) {
      deepStrictEqual(
        skeletonize(field, threshold),
        referenceSkeleton(field, threshold),
        `seed ${seed}`,
      );
    }
    for (const paper of [0.5, 0.9]) {
      deepStrictEqual(countHoles(field, paper), referenceHoles(field, paper), `seed ${seed}`);
    }
  }
});

Deno.test("a ring has one hole, two rings two, a stroke none", () => {
  const ring = (field: Float32Array, cx: number, cy: number, r: number) => {
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        if (Math.abs(Math.hypot(x - cx, y - cy) - r) < 1.2) field[y * SIDE + x] = 1;
      }
    }
    return field;
  };
  deepStrictEqual(countHoles(ring(new Float32Array(784), 14, 14, 6)), 1);
  deepStrictEqual(countHoles(ring(ring(new Float32Array(784), 14, 7, 4), 14, 20, 4)), 2);
  const stroke = new Float32Array(784);
  for (let y = 4; y < 24; y++) stroke[y * SIDE + 14] = 1;
  deepStrictEqual(countHoles(stroke), 0);
  deepStrictEqual(skeletonize(stroke).reduce((a, b) => a + b, 0) > 0, true);
});
