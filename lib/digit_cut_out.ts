/**
 * Cutting candidate digits out of a picture of a number: one pass over the picture copies
 * each group's ink (edge haze included) into the group's own crop, and a candidate is a crop,
 * or some of its columns (or strokes), put through MNIST's recipe (preprocess.ts).
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */
import type { DigitGroup } from "./digit_groups.ts";
import { COMPONENT_THRESHOLD, type ComponentInk } from "./ink_components.ts";
import type { InkLevels } from "./ink_map.ts";
import type { DigitCandidate } from "./number_plan.ts";
import { inkLevelsField } from "./preprocess.ts";

/**
 * One group's ink within its bounding box, the rest 0; as the recipe reads it (`levels`: one
 * byte of ink per pixel, each row's ink within its range).
 */
export interface GroupCrop {
  group: DigitGroup;
  /** The picture's width: a crop pixel (x, y) is picture pixel (group.x0 + x, group.y0 + y). */
  pictureWidth: number;
  levels: InkLevels;
}

/** Gray value -> ink for the cut-out bytes, which hold ink directly. */
const IDENTITY_INK = Float32Array.from({ length: 256 }, (_, byte) => byte / 255);

/** The ink of a plane that holds ink directly. */
const IDENTITY_BYTES = Uint8Array.from({ length: 256 }, (_, byte) => byte);

/**
 * Each group's crop: its runs of full ink copied as they are, then its edge haze. Haze (ink
 * under the components' threshold, so unlabelled) goes with its first neighbour with full
 * ink, row above first, left to right (none: dropped): one step, not a flood, so haze never
 * links two components. Only pixels beside a run can be haze that is kept, so only those are
 * looked at: the blank paper between the digits costs nothing.
 */
export function groupCrops(
  { plane, parts, runs }: ComponentInk,
  groups: DigitGroup[],
  threshold = COMPONENT_THRESHOLD,
): GroupCrop[] {
  const { width, height, ink } = plane;
  const inkOf = plane.inkOf ?? IDENTITY_BYTES;
  const cut = Math.max(1, Math.round(threshold * 255));
  let maxLabel = 0;
  for (const part of parts) maxLabel = Math.max(maxLabel, part.label);
  const groupOf = new Int32Array(maxLabel + 1); // label -> 1-based group (0: a speck)
  groups.forEach((group, index) => {
    for (const label of group.labels) groupOf[label] = index + 1;
  });
  const crops = groups.map((group): GroupCrop => {
    const cropWidth = group.x1 - group.x0, cropHeight = group.y1 - group.y0;
    return {
      group,
      pictureWidth: width,
      levels: {
        width: cropWidth,
        height: cropHeight,
        bytes: new Uint8Array(cropWidth * cropHeight),
        offset: 0,
        stride: 1,
        ink: IDENTITY_INK,
        rowStart: new Int32Array(cropHeight),
        rowEnd: new Int32Array(cropHeight),
      },
    };
  });
  const { first, start, end, label: runLabel } = runs;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let r = first[y]; r < first[y + 1]; r++) {
      const index = groupOf[runLabel[r]];
      if (index === 0) continue;
      const { group, levels } = crops[index - 1];
      const cy = y - group.y0, at = cy * levels.width - group.x0;
      for (let x = start[r]; x < end[r]; x++) levels.bytes[at + x] = inkOf[ink[row + x]];
      widenRow(levels, cy, start[r] - group.x0, end[r] - group.x0);
    }
    // Haze: the pixels next to a run of this row or the rows beside it, each interval of
    // them (runs widened by one, overlaps merged) scanned once, left to right.
    let a = y > 0 ? first[y - 1] : 0, b = first[y], c = y + 1 < height ? first[y + 1] : 0;
    const aEnd = y > 0 ? first[y] : 0, bEnd = first[y + 1];
    const cEnd = y + 1 < height ? first[y + 2] : 0;
    // The runs a haze pixel's neighbours may be in, row above, this row, row below: each the
    // first of its row that ends right of the pixel's left neighbour (x only grows).
    let up = a, level = b, down = c;
    // This row's own runs are full ink, never haze: each span is scanned in the gaps between
    // them (`own`, the first of them ending right of the gap's start).
    let own = b;
    let spanFrom = 0, spanTo = 0;
    for (;;) {
      let next = -1, nextStart = Infinity;
      if (a < aEnd && start[a] < nextStart) nextStart = start[next = a];
      if (b < bEnd && start[b] < nextStart) nextStart = start[next = b];
      if (c < cEnd && start[c] < nextStart) nextStart = start[next = c];
      if (next >= 0) {
        if (next === a) a++;
        else if (next === b) b++;
        else c++;
        const from = nextStart > 0 ? nextStart - 1 : 0;
        const to = end[next] < width ? end[next] + 1 : width;
        if (from <= spanTo && spanTo > spanFrom) {
          if (to > spanTo) spanTo = to;
          continue;
        }
      }
      for (let x = spanFrom; x < spanTo; x++) {
        while (own < bEnd && end[own] <= x) own++;
        if (own < bEnd && start[own] <= x) {
          x = end[own] - 1;
          continue;
        }
        const value = inkOf[ink[row + x]];
        if (value === 0 || value >= cut) continue;
        // Its first neighbour with full ink, row above first, left to right: in each row,
        // the first run ending right of x - 1, if it starts by x + 1.
        while (up < aEnd && end[up] < x) up++;
        let label = 0;
        if (up < aEnd && start[up] <= x + 1) label = runLabel[up];
        else {
          while (level < bEnd && end[level] < x) level++;
          if (level < bEnd && start[level] <= x + 1) label = runLabel[level];
          else {
            while (down < cEnd && end[down] < x) down++;
            if (down < cEnd && start[down] <= x + 1) label = runLabel[down];
          }
        }
        const index = groupOf[label];
        if (index === 0) continue;
        const { group, levels } = crops[index - 1];
        // Haze just outside its group's box stays out, as the box says.
        if (x < group.x0 || x >= group.x1 || y < group.y0 || y >= group.y1) continue;
        const cy = y - group.y0, cx = x - group.x0;
        levels.bytes[cy * levels.width + cx] = value;
        widenRow(levels, cy, cx, cx + 1);
      }
      if (next < 0) break;
      spanFrom = nextStart > 0 ? nextStart - 1 : 0;
      spanTo = end[next] < width ? end[next] + 1 : width;
    }
  }
  return crops;
}

/** Widens crop row `cy`'s ink range to hold columns [from, to) (an empty row has end 0). */
function widenRow(levels: InkLevels, cy: number, from: number, to: number) {
  if (levels.rowEnd[cy] === 0 || from < levels.rowStart[cy]) levels.rowStart[cy] = from;
  if (to > levels.rowEnd[cy]) levels.rowEnd[cy] = to;
}

/** Which of a crop's ink a cut-out keeps, besides its columns: only some strokes' ink. */
export interface StrokeFilter {
  /** Each picture pixel's stroke label. */
  strokeLabels: Int32Array;
  /** Per stroke label, 1: keep its ink. */
  keep: Uint8Array;
}

/** The whole crop as a candidate digit; null when none of its ink reaches the recipe's box. */
export function wholeCrop(crop: GroupCrop): DigitCandidate | null {
  const { levels, group } = crop;
  let bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity;
  for (let y = 0; y < levels.height; y++) {
    if (levels.rowEnd[y] === 0) continue;
    if (levels.rowStart[y] < bx0) bx0 = levels.rowStart[y];
    if (levels.rowEnd[y] - 1 > bx1) bx1 = levels.rowEnd[y] - 1;
    if (y < by0) by0 = y;
    by1 = y;
  }
  if (bx1 < 0) return null;
  const field = inkLevelsField(levels);
  if (field === null) return null;
  const box = {
    x: group.x0 + bx0,
    y: group.y0 + by0,
    width: bx1 - bx0 + 1,
    height: by1 - by0 + 1,
  };
  return { field, box };
}

/**
 * The crop's ink in picture columns [from, to) (and of the `strokes` kept) as a candidate
 * digit; null without ink there.
 */
export function cutOut(
  crop: GroupCrop,
  from: number,
  to: number,
  strokes?: StrokeFilter,
): DigitCandidate | null {
  const { group, pictureWidth, levels: source } = crop;
  if (!strokes && from === group.x0 && to === group.x1) return wholeCrop(crop);
  const width = to - from, height = source.height;
  const bytes = new Uint8Array(width * height);
  // Each row's ink, tight: the recipe's passes then skip the rest of the cut-out.
  const rowStart = new Int32Array(height), rowEnd = new Int32Array(height);
  let bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity;
  for (let y = 0; y < height; y++) {
    let first = -1, last = -1;
    const start = Math.max(source.rowStart[y] + group.x0, from);
    const end = Math.min(source.rowEnd[y] + group.x0, to);
    for (let x = start; x < end; x++) {
      const value = source.bytes[y * source.width + x - group.x0];
      if (value === 0) continue;
      if (strokes) {
        const label = strokes.strokeLabels[(group.y0 + y) * pictureWidth + x];
        if (strokes.keep[label] !== 1) continue;
      }
      bytes[y * width + x - from] = value;
      if (first < 0) first = x - from;
      last = x - from;
    }
    if (first < 0) continue;
    rowStart[y] = first;
    rowEnd[y] = last + 1;
    if (first < bx0) bx0 = first;
    if (last > bx1) bx1 = last;
    if (y < by0) by0 = y;
    by1 = y;
  }
  if (bx1 < 0) return null;
  const levels: InkLevels = {
    width,
    height,
    bytes,
    offset: 0,
    stride: 1,
    ink: IDENTITY_INK,
    rowStart,
    rowEnd,
  };
  const field = inkLevelsField(levels);
  if (field === null) return null;
  const box = { x: from + bx0, y: group.y0 + by0, width: bx1 - bx0 + 1, height: by1 - by0 + 1 };
  return { field, box };
}
