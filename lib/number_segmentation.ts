/**
 * Reading a written number, the part that needs no model: the picture's ink is cut into
 * candidate digits, each prepared by MNIST's recipe (preprocess.ts); once a model has read
 * every candidate (all of them in one batch), `readNumber` (number_reading.ts) keeps, for each
 * group of ink, the reading the model is most confident about.
 *
 * Steps: ink (ink_map.ts) -> connected components (ink_components.ts) -> digit groups
 * (digit_groups.ts) -> for a group wider than a digit (touching digits), cuts at its thinnest
 * columns (column_cuts.ts), and, when the page sent its strokes, any group's strokes grouped
 * the same way (stroke_pieces.ts) -> every run between two cuts, and every run of consecutive
 * stroke groups, a candidate digit (digit_cut_out.ts).
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */
import { cutPoints } from "./column_cuts.ts";
import { cutOut, groupCrops } from "./digit_cut_out.ts";
import { type DigitGroup, groupDigits } from "./digit_groups.ts";
import { DigitlabError } from "./errors.ts";
import { inkBytes, inkComponents, inkPlane } from "./ink_components.ts";
import { inkLevels, type PixelImage } from "./ink_map.ts";
import {
  type DigitCandidate,
  type GroupPlan,
  MAX_PIECE,
  type NumberCandidates,
  type Partition,
} from "./number_plan.ts";
import { strokePartition } from "./stroke_pieces.ts";
import { type StrokeLabelling, strokeLabels, type UnitStroke } from "./stroke_labels.ts";

export type { UnitStroke };
export type { DigitCandidate, DigitReading, GroupPlan, NumberCandidates } from "./number_plan.ts";
export { readNumber } from "./number_reading.ts";

/** Digits read from one picture at most: a longer "number" is more likely noise. */
export const MAX_DIGITS = 64;

/** A group wider than this many digit widths may be touching digits: cuts are tried. */
const SPLIT_WIDTH = 1.2;
/** Without lone digits to measure, a digit's width in digit heights. */
const DEFAULT_DIGIT_WIDTH = 0.6;
/** Log-confidence a reading loses per cut at a column (number_reading.ts weighs it). */
const CUT_COST = 0.5;
/** A piece cut from a group is at least this share of its height: a digit, not a tail. */
const MIN_PIECE_HEIGHT = 0.6;
/** Candidate digits narrower than this (digit heights) are slivers, not digits. */
const MIN_PIECE = 0.1;
/** Past this many candidates (hostile strokes), groups are split by columns only. */
const MAX_CANDIDATES = 512;

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
  const { groups, digitHeight } = groupDigits(components.parts);
  if (groups.length === 0) throw noDigit();
  if (groups.length > MAX_DIGITS) {
    throw new DigitlabError(
      "too_many_digits",
      `the image holds ${groups.length} digit-like shapes; at most ${MAX_DIGITS} are read`,
    );
  }
  const crops = groupCrops(components, groups);
  const digitWidth = typicalWidth(groups, digitHeight);
  let strokeLabelling: StrokeLabelling | null | undefined;
  const candidates: DigitCandidate[] = [];
  const add = (candidate: DigitCandidate | null) => {
    if (candidate === null) return -1;
    candidates.push(candidate);
    return candidates.length - 1;
  };
  const plans = groups.map((group, index): GroupPlan => {
    const crop = crops[index];
    const expectedDigits = Math.max(1, (group.x1 - group.x0) / digitWidth);
    const margin = Math.max(1, Math.round(MIN_PIECE * digitHeight));
    const points = expectedDigits > SPLIT_WIDTH ? cutPoints(crop, margin) : [group.x0, group.x1];
    const last = points.length - 1;
    const table = points.map(() => points.map(() => -1));
    for (let i = 0; i < last; i++) {
      for (let j = i + 1; j <= last; j++) {
        const width = points[j] - points[i];
        const whole = i === 0 && j === last;
        if (!whole && (width < MIN_PIECE * digitHeight || width > MAX_PIECE * digitHeight)) {
          continue;
        }
        const candidate = cutOut(crop, points[i], points[j]);
        if (!whole && candidate && candidate.box.height < MIN_PIECE_HEIGHT * groupHeight(group)) {
          continue;
        }
        table[i][j] = add(candidate);
      }
    }
    const byColumns = { candidates: table, boundaryCosts: points.map(() => CUT_COST) };
    let byStrokes: Partition | null = null;
    if (strokes && candidates.length < MAX_CANDIDATES) {
      if (strokeLabelling === undefined) strokeLabelling = strokeLabels(inkBytes(plane), strokes);
      if (strokeLabelling) {
        byStrokes = strokePartition(
          crop,
          strokeLabelling,
          digitHeight,
          table[0][last],
          add,
        );
      }
    }
    return { expectedDigits, byColumns, byStrokes };
  });
  return { candidates, plans, digitHeight };
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
