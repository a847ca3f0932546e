/**
 * Reading a written number, the part that needs no model: the picture's ink is cut into
 * candidate digits, each prepared by MNIST's recipe (preprocess.ts), and once a model has
 * read every candidate (all of them in one batch), `readNumber` keeps, for each group of
 * ink, the reading the model is most confident about.
 *
 * Steps: ink (ink_map.ts) -> connected components (ink_components.ts) -> digit groups
 * (digit_groups.ts) -> for a group wider than a digit (touching digits), cuts at its thinnest
 * columns, and, when the page sent its strokes, any group's strokes grouped the same way
 * -> every run between two cuts, and every run of consecutive stroke groups, a candidate
 * digit. Strokes that only touch (two digits written close) earn their split a bonus: the
 * model alone reads two touching digits as one confident digit too often.
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */
import { type DigitGroup, groupDigits } from "./digit_groups.ts";
import { DigitlabError } from "./errors.ts";
import type { Box } from "./ink_box.ts";
import {
  hazeLabel,
  inkComponents,
  type InkPart,
  type InkPlane,
  inkPlane,
  measureParts,
} from "./ink_components.ts";
import { type InkLevels, inkLevels, type PixelImage } from "./ink_map.ts";
import { inkLevelsField } from "./preprocess.ts";
import { type StrokeLabelling, strokeLabels, type UnitStroke } from "./stroke_labels.ts";

export type { UnitStroke };

/** Digits read from one picture at most: a longer "number" is more likely noise. */
export const MAX_DIGITS = 64;

/** A group wider than this many digit widths may be touching digits: cuts are tried. */
const SPLIT_WIDTH = 1.2;
/** Without lone digits to measure, a digit's width in digit heights. */
const DEFAULT_DIGIT_WIDTH = 0.6;
/**
 * Log-confidence a reading loses per digit more or fewer than the group's width suggests:
 * a model reads half a 0 as a confident 1, so confidence alone over-splits.
 */
const COUNT_COST = 0.5;
/** ...and per cut at a column. */
const CUT_COST = 0.5;
/** A piece cut from a group is at least this share of its height: a digit, not a tail. */
const MIN_PIECE_HEIGHT = 0.6;
/** Candidate digits narrower than this (digit heights) are slivers, not digits. */
const MIN_PIECE = 0.1;
/** ...and wider than this, two digits. */
const MAX_PIECE = 1.2;
/** At most this many cuts per group: the candidates grow as its square. */
const MAX_CUTS = 6;
/**
 * Strokes whose ink boxes overlap by less than this share of the pen's width only touch: a
 * digit's own strokes cross or join (a 4, a crossed 7), neighbouring digits' merely touch.
 */
const TOUCH_OVERLAP = 0.25;
/** Log-confidence a reading gains per split where strokes only touch. */
const TOUCH_BONUS = 0.5;
/** Past this many candidates (hostile strokes), groups are split by columns only. */
const MAX_CANDIDATES = 512;
/** ...and at most this many digits' strokes in one group are combined. */
const MAX_STROKE_PIECES = 12;

/** One candidate digit: the 28x28 field to read (0..1, before normalisation) and its box. */
export interface DigitCandidate {
  field: Float32Array;
  /** Its ink's bounding box in the picture's pixels. */
  box: Box;
}

/**
 * One way to split a group into digits: boundaries 0..n, `candidates[i][j]` the candidate
 * digit between boundaries i and j (-1: none), and what each inner boundary costs.
 */
interface Partition {
  candidates: number[][];
  /** `boundaryCosts[i]`: what splitting at inner boundary i costs (negative: a bonus). */
  boundaryCosts: number[];
}

/** A group of ink and the ways it may be split. */
interface GroupPlan {
  /** How many digits wide the group is, by the typical digit width of this number. */
  expectedDigits: number;
  /** Cuts at its thinnest columns (its left and right edges the outer boundaries). */
  byColumns: Partition;
  /** Runs of the page's strokes grouped into digits, left to right (null without strokes). */
  byStrokes: Partition | null;
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

/** Whether pixel `i` belongs to the ink being cut out. */
type PixelFilter = (i: number) => boolean;

/**
 * The candidate digits of the number in `image`, left to right. The page's `strokes` (when
 * they explain the picture) offer a second way to split touching digits.
 * Throws `no_digit_found` without ink and `too_many_digits` for a picture of noise.
 */
export function numberCandidates(
  image: PixelImage,
  strokes?: UnitStroke[] | null,
): NumberCandidates {
  const levels = inkLevels(image);
  if (levels === null) throw noDigit();
  const plane = inkPlane(levels);
  const components = inkComponents(plane);
  const { labels, parts } = components;
  const { groups, digitHeight } = groupDigits(parts);
  if (groups.length === 0) throw noDigit();
  if (groups.length > MAX_DIGITS) {
    throw new DigitlabError(
      "too_many_digits",
      `the image holds ${groups.length} digit-like shapes; at most ${MAX_DIGITS} are read`,
    );
  }
  const groupOf = labelGroups(parts, groups);
  const digitWidth = typicalWidth(groups, digitHeight);
  let strokeLabelling: StrokeLabelling | null | undefined;
  const candidates: DigitCandidate[] = [];
  const add = (candidate: DigitCandidate | null) => {
    if (candidate === null) return -1;
    candidates.push(candidate);
    return candidates.length - 1;
  };
  const plans = groups.map((group, index): GroupPlan => {
    // Edge haze (unlabelled ink) goes with the component beside it.
    const inGroup: PixelFilter = (i) =>
      plane.ink[i] !== 0 && groupOf[labels[i] || hazeLabel(components, i)] === index + 1;
    const expectedDigits = Math.max(1, (group.x1 - group.x0) / digitWidth);
    const split = expectedDigits > SPLIT_WIDTH;
    const points = split ? cutPoints(plane, inGroup, group, digitHeight) : [group.x0, group.x1];
    const last = points.length - 1;
    const table = points.map(() => points.map(() => -1));
    for (let i = 0; i < last; i++) {
      for (let j = i + 1; j <= last; j++) {
        const width = points[j] - points[i];
        const whole = i === 0 && j === last;
        if (!whole && (width < MIN_PIECE * digitHeight || width > MAX_PIECE * digitHeight)) {
          continue;
        }
        const candidate = cutOut(plane, inGroup, group, points[i], points[j]);
        if (!whole && candidate && candidate.box.height < MIN_PIECE_HEIGHT * groupHeight(group)) {
          continue;
        }
        table[i][j] = add(candidate);
      }
    }
    const byColumns = { candidates: table, boundaryCosts: points.map(() => CUT_COST) };
    let byStrokes: Partition | null = null;
    if (strokes) {
      if (strokeLabelling === undefined) strokeLabelling = strokeLabels(plane, strokes);
      const pieces = strokeLabelling &&
        strokePieces(strokeLabelling.labels, plane.width, inGroup, group, digitHeight);
      const affordable = candidates.length < MAX_CANDIDATES;
      if (affordable && pieces && pieces.length > 1 && pieces.length <= MAX_STROKE_PIECES) {
        const local = strokeLabelling!.labels;
        const pen = strokeLabelling!.penWidth;
        const n = pieces.length;
        const runs = Array.from({ length: n + 1 }, () => new Array<number>(n + 1).fill(-1));
        for (let i = 0; i < pieces.length; i++) {
          for (let j = i + 1; j <= pieces.length; j++) {
            if (i === 0 && j === pieces.length) {
              runs[i][j] = table[0][last];
              continue;
            }
            const run = pieces.slice(i, j);
            const x0 = Math.min(...run.map((p) => p.x0)), x1 = Math.max(...run.map((p) => p.x1));
            if (x1 - x0 > MAX_PIECE * digitHeight) continue;
            const labels = new Set(run.flatMap((p) => p.labels));
            const filter = (k: number) => inGroup(k) && labels.has(local[k]);
            runs[i][j] = add(cutOut(plane, filter, group, x0, x1));
          }
        }
        // The writer's own strokes: no cut to pay for, and where two digits' worth of strokes
        // only touch, a split the model must read badly to overrule.
        const boundaryCosts = pieces.map((piece, k) => {
          if (k === 0) return 0;
          const before = pieces[k - 1];
          const overlap = Math.min(before.x1, piece.x1) - Math.max(before.x0, piece.x0);
          return overlap < TOUCH_OVERLAP * pen ? -TOUCH_BONUS : 0;
        });
        byStrokes = { candidates: runs, boundaryCosts };
      }
    }
    return { expectedDigits, byColumns, byStrokes };
  });
  return { candidates, plans, digitHeight };
}

/**
 * The number, given each candidate's probabilities (`[candidates, 10]` row-major): for each
 * group the reading with the best confidence (the product of each digit's top probability),
 * less the costs of cutting, then all groups left to right.
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
  const confidence = (index: number) => {
    const { result, probabilities: row } = reading(index);
    return Math.log(Math.max(row[result], 1e-9));
  };
  return plans.flatMap((plan) => readGroup(plan, confidence).map(reading));
}

/**
 * A group's best reading: the split (by columns or by strokes) whose pieces the model reads
 * most confidently, less COUNT_COST for each digit more or fewer than its width suggests and
 * each boundary's cost.
 */
function readGroup(
  { expectedDigits, byColumns, byStrokes }: GroupPlan,
  confidence: (candidate: number) => number,
): number[] {
  const columns = bestSplit(byColumns, expectedDigits, confidence);
  if (byStrokes === null) return columns.path;
  const strokes = bestSplit(byStrokes, expectedDigits, confidence);
  return strokes.score > columns.score ? strokes.path : columns.path;
}

/** The best-scoring path through a partition's candidates, and its score. */
function bestSplit(
  { candidates: table, boundaryCosts }: Partition,
  expectedDigits: number,
  confidence: (candidate: number) => number,
): { score: number; path: number[] } {
  const last = table.length - 1;
  // best[j][k]: the best log-confidence of reading up to boundary j as k digits, and from where.
  const best = table.map(() => table.map(() => ({ score: -Infinity, from: -1 })));
  best[0][0].score = 0;
  for (let j = 1; j <= last; j++) {
    for (let i = 0; i < j; i++) {
      const index = table[i][j];
      if (index < 0) continue;
      const gain = confidence(index) - (i === 0 ? 0 : boundaryCosts[i]);
      for (let k = 0; k < j; k++) {
        if (best[i][k].score === -Infinity) continue;
        const score = best[i][k].score + gain;
        if (score > best[j][k + 1].score) best[j][k + 1] = { score, from: i };
      }
    }
  }
  let count = 0, top = -Infinity;
  for (let k = 1; k <= last; k++) {
    const score = best[last][k].score - COUNT_COST * Math.abs(k - expectedDigits);
    if (score > top) [top, count] = [score, k];
  }
  const path: number[] = [];
  for (let j = last, k = count; j > 0 && k > 0 && best[j][k].from >= 0; k--) {
    const from = best[j][k].from;
    path.unshift(table[from][j]);
    j = from;
  }
  return { score: top, path };
}

/**
 * A digit's width in this number: the median width of the groups no wider than a digit is
 * tall (lone digits, not touching ones), or a usual digit's proportions without any.
 */
function typicalWidth(groups: DigitGroup[], digitHeight: number): number {
  const widths = groups.map((g) => g.x1 - g.x0).filter((w) => w <= digitHeight)
    .sort((a, b) => a - b);
  if (widths.length === 0) return DEFAULT_DIGIT_WIDTH * digitHeight;
  // A number of 1s must not make a 0 look like three digits.
  return Math.max(widths[widths.length >> 1], 0.4 * digitHeight);
}

function groupHeight(group: DigitGroup): number {
  return group.y1 - group.y0;
}

function noDigit(): DigitlabError {
  return new DigitlabError("no_digit_found", "no digit found: the image has no visible ink");
}

/** Label -> 1-based group index (0: dropped as a speck). */
function labelGroups(parts: InkPart[], groups: DigitGroup[]): Int32Array {
  let maxLabel = 0;
  for (const part of parts) maxLabel = Math.max(maxLabel, part.label);
  const groupOf = new Int32Array(maxLabel + 1);
  groups.forEach((group, index) => {
    for (const label of group.labels) groupOf[label] = index + 1;
  });
  return groupOf;
}

/** Strokes of one digit, as digit_groups.ts groups them: their labels and columns. */
interface StrokePiece {
  labels: number[];
  x0: number;
  x1: number;
}

/**
 * The group's pixels split by stroke and the strokes grouped into digits (digit_groups.ts's
 * rules), left to right.
 */
function strokePieces(
  strokeLabelling: Int32Array,
  width: number,
  inGroup: PixelFilter,
  group: DigitGroup,
  digitHeight: number,
): StrokePiece[] {
  let maxLabel = 0;
  for (let y = group.y0; y < group.y1; y++) {
    for (let i = y * width + group.x0; i < y * width + group.x1; i++) {
      if (inGroup(i)) maxLabel = Math.max(maxLabel, strokeLabelling[i]);
    }
  }
  // Only this group's pixels count towards each stroke's extent.
  const local = new Int32Array(strokeLabelling.length);
  for (let y = group.y0; y < group.y1; y++) {
    for (let i = y * width + group.x0; i < y * width + group.x1; i++) {
      if (inGroup(i)) local[i] = strokeLabelling[i];
    }
  }
  const parts = measureParts(
    local,
    width,
    Array.from({ length: maxLabel }, (_, k) => ({
      label: k + 1,
      area: 0,
      x0: 0,
      y0: 0,
      x1: 0,
      y1: 0,
    })),
  );
  // Fragments stay apart: which digit a short stroke belongs to is the model's to say.
  const { groups } = groupDigits(parts, { digitHeight, attachFragments: false });
  return groups.map(({ labels, x0, x1 }) => ({ labels, x0, x1 }));
}

/**
 * Where a group may be cut: its edges and, when it is wider than one digit, up to MAX_CUTS
 * of its thinnest columns (local minima of the ink per column), no two closer than the
 * narrowest digit.
 */
function cutPoints(
  plane: InkPlane,
  inGroup: PixelFilter,
  group: DigitGroup,
  digitHeight: number,
): number[] {
  const { x0, x1, y0, y1 } = group;
  const profile = new Float64Array(x1 - x0);
  for (let y = y0; y < y1; y++) {
    for (let x = x0, i = y * plane.width + x0; x < x1; x++, i++) {
      if (inGroup(i)) profile[x - x0] += plane.ink[i];
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

/** The filtered ink in columns [from, to) as a candidate digit; null without ink there. */
function cutOut(
  plane: InkPlane,
  filter: PixelFilter,
  group: DigitGroup,
  from: number,
  to: number,
): DigitCandidate | null {
  const width = to - from, height = group.y1 - group.y0;
  const bytes = new Uint8Array(width * height);
  let bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity;
  for (let y = 0; y < height; y++) {
    for (let x = 0, i = (group.y0 + y) * plane.width + from; x < width; x++, i++) {
      if (plane.ink[i] === 0 || !filter(i)) continue;
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
