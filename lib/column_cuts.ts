/**
 * Where touching digits may be cut apart: a group of ink wider than one digit is cut at its
 * thinnest columns (local minima of its ink per column).
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */
import type { GroupCrop } from "./digit_cut_out.ts";

/** At most this many cuts per group: the candidates grow as its square. */
export const MAX_CUTS = 6;

/**
 * Where a group may be cut: its edges and up to MAX_CUTS of its thinnest columns, no two
 * closer than `margin` (the narrowest digit) nor closer than that to its edges. Columns
 * are in the picture's pixels.
 */
export function cutPoints({ group, levels }: GroupCrop, margin: number): number[] {
  const { x0, x1 } = group;
  const { width, height, bytes, rowStart, rowEnd } = levels;
  const profile = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    for (let x = rowStart[y], i = y * width + x; x < rowEnd[y]; x++, i++) profile[x] += bytes[i];
  }
  const smooth = profile.map((_, k) =>
    (profile[Math.max(0, k - 1)] + profile[k] + profile[Math.min(profile.length - 1, k + 1)]) / 3
  );
  const minima: number[] = [];
  for (let k = margin; k < smooth.length - margin; k++) {
    if (smooth[k] <= smooth[k - 1] && smooth[k] <= smooth[k + 1]) minima.push(k);
  }
  minima.sort((a, b) => smooth[a] - smooth[b] || a - b);
  const cuts: number[] = [];
  for (const k of minima) {
    if (cuts.length === MAX_CUTS) break;
    if (cuts.every((c) => Math.abs(c - k) >= margin)) cuts.push(k);
  }
  return [x0, ...cuts.map((k) => x0 + k).sort((a, b) => a - b), x1];
}
