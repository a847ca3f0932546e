/**
 * Reading a written number, the part that needs no model: the picture's ink is cut into
 * candidate digits, each prepared by MNIST's recipe (preprocess.ts), and once a model has
 * read every candidate (all of them in one batch), `readNumber` keeps the reading of each
 * group of ink that the model is most confident about.
 *
 * Steps: ink (ink_map.ts) -> pieces (connected components, or the page's strokes) -> digit
 * groups (digit_groups.ts) -> for a group wider than one digit (touching digits), cuts at its
 * thinnest columns -> every run between two cuts a candidate digit.
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */
import { type DigitGroup, groupDigits } from "./digit_groups.ts";
import { DigitlabError } from "./errors.ts";
import type { Box } from "./ink_box.ts";
import { inkComponents, type InkPlane, inkPlane, type LabelledInk } from "./ink_components.ts";
import { type InkLevels, inkLevels, type PixelImage } from "./ink_map.ts";
import { inkLevelsField } from "./preprocess.ts";
import { strokeLabels, type UnitStroke } from "./stroke_labels.ts";

export type { UnitStroke };

/** Digits read from one picture at most: a longer "number" is more likely noise. */
export const MAX_DIGITS = 64;

/** A group wider than this many digit heights may be touching digits: cuts are tried. */
const SPLIT_WIDTH = 0.75;
/** Candidate digits narrower than this (digit heights) are slivers, not digits. */
const MIN_PIECE = 0.1;
/** ...and wider than this, two digits. */
const MAX_PIECE = 1.2;
/** At most this many cuts per group: the candidates grow as its square. */
const MAX_CUTS = 6;

/** One candidate digit: the 28x28 field to read (0..1, before normalisation) and its box. */
export interface DigitCandidate {
  field: Float32Array;
  /** Its ink's bounding box in the picture's pixels. */
  box: Box;
}

/** A group of ink, the positions it may be cut at, and the candidate between each two. */
interface GroupPlan {
  /** Cut positions (columns), its left and right edges included. */
  points: number[];
  /** `candidates[i][j]`: index of the candidate between points i and j, or -1. */
  candidates: number[][];
}

/** Everything to read for one picture, and how the readings combine into a number. */
export interface NumberCandidates {
  candidates: DigitCandidate[];
  plans: GroupPlan[];
  digitHeight: number;
}

/** One digit of the number as read. */
export interface DigitReading {
  /** Index into `candidates` (and into the probabilities the model gave). */
  candidate: number;
  result: number;
  probabilities: Float32Array;
  box: Box;
}

/**
 * The candidate digits of the number in `image`, left to right. With the page's `strokes`,
 * ink is grouped by stroke (when they explain the picture); otherwise by connected pixels.
 * Throws `no_digit_found` without ink and `too_many_digits` for a picture of noise.
 */
export function numberCandidates(
  image: PixelImage,
  strokes?: UnitStroke[] | null,
): NumberCandidates {
  const levels = inkLevels(image);
  if (levels === null) throw noDigit();
  const plane = inkPlane(levels);
  const labelled = (strokes && strokeLabels(plane, strokes)) || inkComponents(plane);
  const { groups, digitHeight } = groupDigits(labelled.parts);
  if (groups.length === 0) throw noDigit();
  if (groups.length > MAX_DIGITS) {
    throw new DigitlabError(
      "too_many_digits",
      `the image holds ${groups.length} digit-like shapes; at most ${MAX_DIGITS} are read`,
    );
  }
  const groupOf = labelGroups(labelled, groups);
  const candidates: DigitCandidate[] = [];
  const plans = groups.map((group, index): GroupPlan => {
    const mask = { plane, labels: labelled.labels, groupOf, group: index + 1 };
    const points = cutPoints(mask, group, digitHeight);
    const last = points.length - 1;
    const table = points.map(() => points.map(() => -1));
    for (let i = 0; i < last; i++) {
      for (let j = i + 1; j <= last; j++) {
        const width = points[j] - points[i];
        const whole = i === 0 && j === last;
        if (!whole && (width < MIN_PIECE * digitHeight || width > MAX_PIECE * digitHeight)) {
          continue;
        }
        const candidate = cutOut(mask, group, points[i], points[j]);
        if (candidate === null) continue;
        table[i][j] = candidates.length;
        candidates.push(candidate);
      }
    }
    return { points, candidates: table };
  });
  return { candidates, plans, digitHeight };
}

/**
 * The number, given each candidate's probabilities (`[candidates, 10]` row-major): per group,
 * the cuts whose pieces the model reads most confidently (the highest product of each
 * piece's top probability), then all groups left to right.
 */
export function readNumber(
  { candidates, plans }: NumberCandidates,
  probabilities: Float32Array,
): DigitReading[] {
  const reading = (index: number): DigitReading => {
    const row = probabilities.subarray(index * 10, index * 10 + 10);
    let result = 0;
    for (let d = 1; d < 10; d++) if (row[d] > row[result]) result = d;
    return { candidate: index, result, probabilities: row, box: candidates[index].box };
  };
  const digits: DigitReading[] = [];
  for (const { points, candidates: table } of plans) {
    const last = points.length - 1;
    // best[j]: the best log-confidence of reading the group up to point j, and its last cut.
    const best = points.map(() => ({ score: -Infinity, from: -1 }));
    best[0].score = 0;
    for (let j = 1; j <= last; j++) {
      for (let i = 0; i < j; i++) {
        const index = table[i][j];
        if (index < 0 || best[i].score === -Infinity) continue;
        const { result, probabilities: row } = reading(index);
        const score = best[i].score + Math.log(Math.max(row[result], 1e-9));
        if (score > best[j].score) best[j] = { score, from: i };
      }
    }
    const path: number[] = [];
    for (let j = last; j > 0 && best[j].from >= 0; j = best[j].from) {
      path.unshift(table[best[j].from][j]);
    }
    for (const index of path) digits.push(reading(index));
  }
  return digits;
}

function noDigit(): DigitlabError {
  return new DigitlabError("no_digit_found", "no digit found: the image has no visible ink");
}

/** Pixels of one group: those whose label maps to `group` in `groupOf`. */
interface GroupMask {
  plane: InkPlane;
  labels: Int32Array;
  groupOf: Int32Array;
  group: number;
}

/** Label -> 1-based group index (0: dropped as a speck). */
function labelGroups({ parts }: LabelledInk, groups: DigitGroup[]): Int32Array {
  let maxLabel = 0;
  for (const part of parts) maxLabel = Math.max(maxLabel, part.label);
  const groupOf = new Int32Array(maxLabel + 1);
  groups.forEach((group, index) => {
    for (const label of group.labels) groupOf[label] = index + 1;
  });
  return groupOf;
}

/**
 * Where a group may be cut: its edges and, when it is wider than one digit, up to MAX_CUTS
 * of its thinnest columns (local minima of the ink per column), no two closer than the
 * narrowest digit.
 */
function cutPoints(mask: GroupMask, group: DigitGroup, digitHeight: number): number[] {
  const { x0, x1, y0, y1 } = group;
  if (x1 - x0 <= SPLIT_WIDTH * digitHeight) return [x0, x1];
  const { plane, labels, groupOf } = mask;
  const profile = new Float64Array(x1 - x0);
  for (let y = y0; y < y1; y++) {
    for (let x = x0, i = y * plane.width + x0; x < x1; x++, i++) {
      if (groupOf[labels[i]] === mask.group) profile[x - x0] += plane.ink[i];
    }
  }
  const smooth = profile.map((_, k) =>
    (profile[Math.max(0, k - 1)] + profile[k] + profile[Math.min(profile.length - 1, k + 1)]) / 3
  );
  const margin = Math.max(1, Math.round(MIN_PIECE * digitHeight));
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

/** Gray value -> ink for the cut-out bytes, which hold ink directly. */
const IDENTITY_INK = Float32Array.from({ length: 256 }, (_, byte) => byte / 255);

/** The group's ink in columns [from, to) as a candidate digit; null without ink there. */
function cutOut(mask: GroupMask, group: DigitGroup, from: number, to: number) {
  const { plane, labels, groupOf } = mask;
  const width = to - from, height = group.y1 - group.y0;
  const bytes = new Uint8Array(width * height);
  let bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity;
  for (let y = 0; y < height; y++) {
    for (let x = 0, i = (group.y0 + y) * plane.width + from; x < width; x++, i++) {
      if (groupOf[labels[i]] !== mask.group || plane.ink[i] === 0) continue;
      bytes[y * width + x] = plane.ink[i];
      if (x < bx0) bx0 = x;
      if (x > bx1) bx1 = x;
      if (y < by0) by0 = y;
      if (y > by1) by1 = y;
    }
  }
  if (bx1 < 0) return null;
  const levels: InkLevels = {
    width,
    height,
    bytes,
    offset: 0,
    stride: 1,
    ink: IDENTITY_INK,
    rowStart: new Int32Array(height),
    rowEnd: new Int32Array(height).fill(width),
  };
  const field = inkLevelsField(levels);
  if (field === null) return null;
  const box = { x: from + bx0, y: group.y0 + by0, width: bx1 - bx0 + 1, height: by1 - by0 + 1 };
  return { field, box };
}
