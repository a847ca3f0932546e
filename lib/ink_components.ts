/**
 * The connected pieces of ink in a picture (8-connected, over pixels with enough ink): the
 * first step of reading a number, where each piece is a digit, part of one, a few touching
 * digits or a speck.
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */
import { DigitlabError } from "./errors.ts";
import type { InkLevels } from "./ink_map.ts";
import type { LevelPlane } from "./level_scan.ts";

/**
 * One byte per pixel, row-major: the pixel's ink, 0 (none) .. 255 (full), or with `inkOf` a
 * level (the picture's luma or grey) whose ink `inkOf` gives.
 */
export interface InkPlane {
  width: number;
  height: number;
  ink: Uint8Array;
  /**
   * Ink (0..255) for each byte of `ink` when those are levels: the picture's own bytes then
   * serve as the plane, and no plane is written per request. Absent: `ink` is the ink.
   */
  inkOf?: Uint8Array;
  /**
   * Row `y` has no ink outside pixels `[rowStart[y], rowEnd[y])` (as `InkLevels` says): the
   * passes over the plane skip the blank paper. Absent: any pixel may hold ink.
   */
  rowStart?: Int32Array;
  rowEnd?: Int32Array;
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
  /** 16 bits a pixel when the parts fit (nearly always): less memory to clear per request. */
  labels: Int32Array | Uint16Array;
  parts: InkPart[];
}

/**
 * The runs of full ink the components are made of, in raster order: row `y`'s runs are
 * `first[y]` .. `first[y + 1] - 1`, left to right. A run is pixels `[start, end)` of its row.
 */
export interface InkRuns {
  first: Int32Array;
  start: number[];
  end: number[];
  /** Each run's label (0: none of the parts). */
  label: Int32Array;
}

/**
 * Components and the runs they were joined from. The segmentation reads the runs
 * (digit_cut_out.ts); `labels`, the label map, is only drawn from them when read: that saves
 * clearing two bytes a pixel per request.
 */
export interface ComponentInk extends LabelledInk {
  runs: InkRuns;
}

/**
 * Below this ink a pixel joins no component: anti-aliasing haze between two digits drawn
 * close together must not glue them into one.
 */
export const COMPONENT_THRESHOLD = 0.3;

/**
 * More runs of ink than this is noise, not writing (a 1000x280 number has a few thousand): a
 * checkerboard compresses into a small PNG and would otherwise cost hundreds of MB here.
 */
export const MAX_RUNS = 500_000;

/**
 * The ink of `levels` as a plane: their own bytes and a table to the ink when they are one byte
 * a pixel (luma or grey), else the ink written out a byte per pixel (`inkBytes`).
 */
export function inkPlane(levels: InkLevels): InkPlane {
  const { width, height, bytes, offset, stride, ink, rowStart, rowEnd } = levels;
  const inkOf = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) inkOf[byte] = Math.round(ink[byte] * 255);
  if (stride === 1 && offset === 0 && bytes instanceof Uint8Array) {
    return { width, height, ink: bytes.subarray(0, width * height), inkOf, rowStart, rowEnd };
  }
  return { width, height, ink: writtenInk(levels, inkOf, rowStart, rowEnd), rowStart, rowEnd };
}

/** The plane with its ink written out, one byte per pixel (as it is, when it has no levels). */
export function inkBytes(plane: InkPlane): InkPlane {
  const { width, height, ink, inkOf, rowStart, rowEnd } = plane;
  if (inkOf === undefined) return plane;
  const levels = { width, height, bytes: ink, offset: 0, stride: 1 };
  return { width, height, ink: writtenInk(levels, inkOf, rowStart, rowEnd), rowStart, rowEnd };
}

/** Each pixel's ink, `inkOf` its byte's, within the rows' ranges when given (0 outside). */
function writtenInk(
  { width, height, bytes, offset, stride }: LevelPlane,
  inkOf: Uint8Array,
  rowStart?: Int32Array,
  rowEnd?: Int32Array,
): Uint8Array {
  const plane = new Uint8Array(width * height);
  // One byte per pixel (luma): four pixels of paper (no ink) are one word, skipped at once.
  const paper = bytes[offset];
  const words = stride === 1 && (bytes.byteOffset + offset) % 4 === 0 && inkOf[paper] === 0
    ? new Uint32Array(bytes.buffer, bytes.byteOffset + offset, (width * height) >> 2)
    : null;
  const paperWord = Math.imul(paper, 0x01010101) >>> 0;
  for (let y = 0; y < height; y++) {
    const end = y * width + (rowEnd ? rowEnd[y] : width);
    const start = y * width + (rowStart ? rowStart[y] : 0);
    for (let i = start, p = offset + i * stride; i < end; i++, p += stride) {
      if (words !== null && (i & 3) === 0 && i + 4 <= end && words[i >> 2] === paperWord) {
        i += 3;
        p += 3;
        continue;
      }
      plane[i] = inkOf[bytes[p]];
    }
  }
  return plane;
}

/** Byte of `plane.ink` -> 1 when that pixel has at least `cut` ink. */
export function fullInk(plane: InkPlane, cut: number): Uint8Array {
  const full = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) full[byte] = (plane.inkOf?.[byte] ?? byte) >= cut ? 1 : 0;
  return full;
}

/**
 * A byte of `plane.ink` with no ink, repeated in a word: four such pixels are skipped at once.
 * Null when the plane cannot be read a word at a time.
 */
export function quietWord(plane: InkPlane): number | null {
  const { ink, inkOf } = plane;
  if (ink.byteOffset % 4 !== 0) return null;
  const quiet = inkOf === undefined ? 0 : ink[0];
  if (inkOf !== undefined && inkOf[quiet] !== 0) return null;
  return Math.imul(quiet, 0x01010101) >>> 0;
}

/**
 * Labels the 8-connected components of the pixels with at least `threshold` ink: runs of ink
 * along each row, joined (union-find) to the runs they touch in the row above. Linear in the
 * pixels, whatever the drawing (10,000 specks cost what one digit does). Throws
 * `too_many_digits` past MAX_RUNS runs.
 */
export function inkComponents(plane: InkPlane, threshold = COMPONENT_THRESHOLD): ComponentInk {
  const { width, height, ink } = plane;
  const cut = Math.max(1, Math.round(threshold * 255));
  const full = fullInk(plane, cut);
  // Runs as parallel arrays: row, first pixel, one past the last, provisional label.
  const runRow: number[] = [], runStart: number[] = [], runEnd: number[] = [];
  const parent: number[] = [];
  const find = (a: number) => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a]];
    return a;
  };
  // Four pixels of blank paper are one word: skipped with one comparison.
  const quiet = quietWord(plane);
  const words = quiet === null
    ? null
    : new Uint32Array(ink.buffer, ink.byteOffset, ink.length >> 2);
  let above = 0, aboveEnd = 0; // the previous row's runs: [above, aboveEnd)
  const rowFirst = new Int32Array(height + 1);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const first = runRow.length;
    rowFirst[y] = first;
    const from = plane.rowStart ? row + plane.rowStart[y] : row;
    const to = plane.rowEnd ? row + plane.rowEnd[y] : row + width;
    for (let i = from; i < to; i++) {
      if (words !== null && (i & 3) === 0 && i + 4 <= to && words[i >> 2] === quiet) {
        // A stretch of paper (between two digits) in one tight loop.
        let word = (i >> 2) + 1;
        const lastWord = to >> 2;
        while (word < lastWord && words[word] === quiet) word++;
        i = (word << 2) - 1;
        continue;
      }
      if (full[ink[i]] === 0) continue;
      const start = i - row;
      while (i < to && full[ink[i]] === 1) i++;
      const x = i - row;
      const run = runRow.length;
      if (run === MAX_RUNS) {
        throw new DigitlabError(
          "too_many_digits",
          `the image's ink is broken into over ${MAX_RUNS} pieces: noise, not a number`,
        );
      }
      runRow.push(y);
      runStart.push(start);
      runEnd.push(x);
      parent.push(run);
      // Runs above that touch this one, diagonals included: start - 1 <= their end, and
      // their start <= x (this run's end, exclusive, plus one).
      while (above < aboveEnd && runEnd[above] < start) above++;
      for (let k = above; k < aboveEnd && runStart[k] <= x; k++) {
        const a = find(k), b = find(run);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
    above = first;
    aboveEnd = runRow.length;
  }
  rowFirst[height] = runRow.length;
  const final = new Int32Array(runRow.length);
  const runLabel = new Int32Array(runRow.length);
  const parts: InkPart[] = [];
  for (let run = 0; run < runRow.length; run++) {
    const root = find(run);
    let label = final[root];
    const y = runRow[run], x0 = runStart[run], x1 = runEnd[run];
    if (label === 0) {
      label = final[root] = parts.length + 1;
      parts.push({ label, area: 0, x0, y0: y, x1, y1: y + 1 });
    }
    const part = parts[label - 1];
    part.area += x1 - x0;
    if (x0 < part.x0) part.x0 = x0;
    if (x1 > part.x1) part.x1 = x1;
    if (y + 1 > part.y1) part.y1 = y + 1;
    runLabel[run] = label;
  }
  const runs = { first: rowFirst, start: runStart, end: runEnd, label: runLabel };
  let labels: Int32Array | Uint16Array | undefined;
  return {
    plane,
    parts,
    runs,
    get labels() {
      return labels ??= labelMap(runs, width, height, parts.length);
    },
  };
}

/** Each pixel's label, from the runs (16 bits a pixel when the labels fit). */
function labelMap(
  { first, start, end, label }: InkRuns,
  width: number,
  height: number,
  count: number,
): Int32Array | Uint16Array {
  const labels = count < 0xffff ? new Uint16Array(width * height) : new Int32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let r = first[y]; r < first[y + 1]; r++) {
      labels.fill(label[r], y * width + start[r], y * width + end[r]);
    }
  }
  return labels;
}

/**
 * Recomputes each part's area and bounding box from the label map, dropping parts left with
 * no pixel. Labels must be 1..n with `parts[label - 1]` the part of that label.
 */
export function measureParts(
  labels: Int32Array | Uint16Array,
  width: number,
  parts: InkPart[],
): InkPart[] {
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
