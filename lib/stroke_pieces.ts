/**
 * Splitting a group of ink by the page's strokes: the group's strokes grouped into digits as
 * digit_groups.ts groups ink, and every run of consecutive stroke groups a candidate digit.
 * Strokes that only touch (two digits written close) earn their split a bonus: the model
 * alone reads two touching digits as one confident digit too often.
 *
 * Pure TypeScript on typed arrays: the browser, the server and evaluation share it.
 *
 * @module
 */
import { groupDigits } from "./digit_groups.ts";
import { cutOut, type GroupCrop } from "./digit_cut_out.ts";
import type { InkPart } from "./ink_components.ts";
import { type DigitCandidate, MAX_PIECE, type Partition } from "./number_plan.ts";
import type { StrokeLabelling } from "./stroke_labels.ts";

/** At most this many digits' strokes in one group are combined. */
export const MAX_STROKE_PIECES = 12;

/**
 * Strokes whose ink boxes overlap by less than this share of the pen's width only touch: a
 * digit's own strokes cross or join (a 4, a crossed 7), neighbouring digits' merely touch.
 */
const TOUCH_OVERLAP = 0.25;
/** Log-confidence a reading gains per split where strokes only touch. */
const TOUCH_BONUS = 0.5;

/** Strokes of one digit, as digit_groups.ts groups them: their labels and columns. */
interface StrokePiece {
  labels: number[];
  x0: number;
  x1: number;
}

/**
 * The group's split by strokes: runs of its stroke pieces as candidates (`add` keeps one and
 * gives its index; `whole` is the whole group's), or null when its strokes make one digit
 * or more than MAX_STROKE_PIECES.
 */
export function strokePartition(
  crop: GroupCrop,
  labelling: StrokeLabelling,
  digitHeight: number,
  whole: number,
  add: (candidate: DigitCandidate | null) => number,
): Partition | null {
  const pieces = strokePieces(labelling.labels, crop, digitHeight);
  if (pieces.length <= 1 || pieces.length > MAX_STROKE_PIECES) return null;
  const n = pieces.length;
  const runs = Array.from({ length: n + 1 }, () => new Array<number>(n + 1).fill(-1));
  let maxLabel = 0;
  for (const piece of pieces) {
    for (const label of piece.labels) maxLabel = Math.max(maxLabel, label);
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j <= n; j++) {
      if (i === 0 && j === n) {
        runs[i][j] = whole;
        continue;
      }
      const run = pieces.slice(i, j);
      const x0 = Math.min(...run.map((p) => p.x0)), x1 = Math.max(...run.map((p) => p.x1));
      if (x1 - x0 > MAX_PIECE * digitHeight) continue;
      const keepStroke = new Uint8Array(maxLabel + 1);
      for (const piece of run) for (const label of piece.labels) keepStroke[label] = 1;
      runs[i][j] = add(cutOut(crop, x0, x1, { strokeLabels: labelling.labels, keep: keepStroke }));
    }
  }
  // The writer's own strokes: no cut to pay for, and where two digits' worth of strokes
  // only touch, a split the model must read badly to overrule.
  const boundaryCosts = pieces.map((piece, k) => {
    if (k === 0) return 0;
    const before = pieces[k - 1];
    const overlap = Math.min(before.x1, piece.x1) - Math.max(before.x0, piece.x0);
    return overlap < TOUCH_OVERLAP * labelling.penWidth ? -TOUCH_BONUS : 0;
  });
  return { candidates: runs, boundaryCosts };
}

/**
 * The group's pixels split by stroke and the strokes grouped into digits (digit_groups.ts's
 * rules), left to right.
 */
function strokePieces(
  strokeLabels: Int32Array,
  { group, pictureWidth, levels }: GroupCrop,
  digitHeight: number,
): StrokePiece[] {
  // Each stroke's extent within this group's ink only.
  const parts: InkPart[] = [];
  for (let y = 0; y < levels.height; y++) {
    for (let x = levels.rowStart[y]; x < levels.rowEnd[y]; x++) {
      if (levels.bytes[y * levels.width + x] === 0) continue;
      const px = group.x0 + x, py = group.y0 + y;
      const label = strokeLabels[py * pictureWidth + px];
      if (label === 0) continue;
      for (let k = parts.length; k < label; k++) {
        parts.push({
          label: k + 1,
          area: 0,
          x0: Infinity,
          y0: Infinity,
          x1: -Infinity,
          y1: -Infinity,
        });
      }
      const part = parts[label - 1];
      part.area++;
      if (px < part.x0) part.x0 = px;
      if (px >= part.x1) part.x1 = px + 1;
      if (py < part.y0) part.y0 = py;
      if (py >= part.y1) part.y1 = py + 1;
    }
  }
  // Fragments stay apart: which digit a short stroke belongs to is the model's to say.
  const { groups } = groupDigits(parts.filter((part) => part.area > 0), {
    digitHeight,
    attachFragments: false,
  });
  return groups.map(({ labels, x0, x1 }) => ({ labels, x0, x1 }));
}
