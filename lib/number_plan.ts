/**
 * What segmenting a written number hands to the model and back: the candidate digits cut out
 * of the picture, and for each group of ink the ways it may be split into them
 * (number_segmentation.ts makes these, number_reading.ts reads them).
 *
 * @module
 */
import type { Box } from "./ink_box.ts";

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
export interface Partition {
  candidates: number[][];
  /** `boundaryCosts[i]`: what splitting at inner boundary i costs (negative: a bonus). */
  boundaryCosts: number[];
}

/** A group of ink and the ways it may be split. */
export interface GroupPlan {
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

/** Candidate digits wider than this many digit heights are two digits, not one. */
export const MAX_PIECE = 1.2;
