/**
 * The connected pieces of ink in a picture (8-connected, over pixels with enough ink): the
 * first step of reading a number, where each piece is a digit, part of one, a few touching
 * digits or a speck.
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */
import type { InkLevels } from "./ink_map.ts";

/** One pixel of ink per byte, 0 (none) .. 255 (full), row-major. */
export interface InkPlane {
  width: number;
  height: number;
  ink: Uint8Array;
}

/** A labelled piece of ink (a connected component, or the ink nearest one pen stroke). */
export interface InkPart {
  /** Its label in the label map (1-based; 0 is no ink). */
  label: number;
  /** Pixels. */
  area: number;
  /** Bounding box, `x1`/`y1` exclusive. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Parts of a picture and, per pixel, the part it belongs to (0: background or dropped). */
export interface LabelledInk {
  plane: InkPlane;
  labels: Int32Array;
  parts: InkPart[];
}

/**
 * Below this ink a pixel joins no component: anti-aliasing haze between two digits drawn
 * close together must not glue them into one.
 */
export const COMPONENT_THRESHOLD = 0.3;

/** The ink of `levels` as bytes, one per pixel. */
export function inkPlane(levels: InkLevels): InkPlane {
  const { width, height, bytes, offset, stride, ink, rowStart, rowEnd } = levels;
  const table = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) table[byte] = Math.round(ink[byte] * 255);
  const plane = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = rowStart[y], p = offset + (y * width + x) * stride; x < rowEnd[y]; x++) {
      plane[y * width + x] = table[bytes[p]];
      p += stride;
    }
  }
  return { width, height, ink: plane };
}

/**
 * Labels the 8-connected components of the pixels with at least `threshold` ink, in two
 * passes with union-find: linear in the pixels, whatever the drawing (10,000 specks cost
 * what one digit does).
 */
export function inkComponents(plane: InkPlane, threshold = COMPONENT_THRESHOLD): LabelledInk {
  const { width, height, ink } = plane;
  const cut = Math.max(1, Math.round(threshold * 255));
  const labels = new Int32Array(width * height);
  // A new provisional label needs an empty pixel before it: at most one per two pixels.
  const parent = new Int32Array((width * height >> 1) + 2);
  let next = 1;
  const find = (a: number) => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a]];
    return a;
  };
  const union = (a: number, b: number) => {
    a = find(a);
    b = find(b);
    if (a < b) parent[b] = a;
    else if (b < a) parent[a] = b;
    return a < b ? a : b;
  };
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (ink[i] < cut) continue;
      let label = 0;
      const consider = (j: number) => {
        const other = labels[j];
        if (other !== 0) label = label === 0 ? other : union(label, other);
      };
      if (x > 0) consider(i - 1);
      if (y > 0) {
        if (x > 0) consider(i - width - 1);
        consider(i - width);
        if (x < width - 1) consider(i - width + 1);
      }
      if (label === 0) {
        label = next++;
        parent[label] = label;
      }
      labels[i] = label;
    }
  }
  // Second pass: final labels 1..n in order of first appearance, and each part's extent.
  const final = new Int32Array(next);
  const parts: InkPart[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 0) continue;
    const root = find(labels[i]);
    let label = final[root];
    if (label === 0) {
      label = final[root] = parts.length + 1;
      const x = i % width, y = (i - x) / width;
      parts.push({ label, area: 0, x0: x, y0: y, x1: x + 1, y1: y + 1 });
    }
    labels[i] = label;
  }
  spreadIntoHaze(plane, labels, cut);
  return { plane, labels, parts: measureParts(labels, width, parts) };
}

/**
 * Gives the faint pixels at a component's edge (anti-aliasing) the label of a neighbour with
 * full ink, so each digit keeps the edges /predict would see. One step, not a flood: haze
 * never links two components.
 */
function spreadIntoHaze(plane: InkPlane, labels: Int32Array, cut: number): void {
  const { width, height, ink } = plane;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (ink[i] === 0 || ink[i] >= cut) continue;
      search: for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx, j = ny * width + nx;
          if (nx < 0 || nx >= width || ink[j] < cut) continue;
          labels[i] = labels[j];
          break search;
        }
      }
    }
  }
}

/**
 * Recomputes each part's area and bounding box from the label map, dropping parts left with
 * no pixel. Labels must be 1..n with `parts[label - 1]` the part of that label.
 */
export function measureParts(labels: Int32Array, width: number, parts: InkPart[]): InkPart[] {
  for (const part of parts) {
    part.area = 0;
    part.x0 = part.y0 = Infinity;
    part.x1 = part.y1 = -Infinity;
  }
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label === 0) continue;
    const part = parts[label - 1];
    const x = i % width, y = (i - x) / width;
    part.area++;
    if (x < part.x0) part.x0 = x;
    if (x >= part.x1) part.x1 = x + 1;
    if (y < part.y0) part.y0 = y;
    if (y >= part.y1) part.y1 = y + 1;
  }
  return parts.filter((part) => part.area > 0);
}
