/**
 * Which pieces of ink make one digit: a 4 or a 5 written in two strokes, a crossed 7 and a 1
 * with a detached flag are several pieces, one digit. Pieces are merged by horizontal overlap
 * (digits of a number sit side by side, the parts of one digit above and across each other),
 * short fragments join their nearest neighbour, specks are dropped.
 *
 * Pure TypeScript: the browser, the server and evaluation share it.
 *
 * @module
 */
import { DigitlabError } from "./errors.ts";
import type { InkPart } from "./ink_components.ts";

/** The pieces of ink read as one digit (before touching digits are split). */
export interface DigitGroup {
  /** Labels of its parts in the label map. */
  labels: number[];
  area: number;
  /** Bounding box, `x1`/`y1` exclusive. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A piece holding less than this share of the largest piece's pixels is a speck. */
export const SPECK_FRACTION = 0.04;

/** More pieces than this (after specks are dropped) is not a number anyone wrote. */
export const MAX_PARTS = 256;

/** Two pieces overlapping by this share of the narrower one's width are one digit. */
const OVERLAP_TO_MERGE = 0.5;

/**
 * Two pieces that are both nearly a digit tall are two digits unless they overlap more: a
 * slanted 1 leans over its neighbour.
 */
const TALL_OVERLAP_TO_MERGE = 0.75;

/** Shorter than this share of a digit's height: a fragment (a 1's flag, a 5's bar). */
const FRAGMENT_HEIGHT = 0.5;

/** A fragment joins a neighbour at most this far away (share of a digit's height). */
const FRAGMENT_REACH = 0.15;

/** ...and holds less than this share of the median group's ink (a small 0 is a digit). */
const FRAGMENT_AREA = 0.4;

/** How to group: defaults for a whole picture's pieces. */
export interface GroupOptions {
  /** A digit's height, when known from more of the picture than these parts. */
  digitHeight?: number;
  /** Whether short fragments join their nearest neighbour (default true). */
  attachFragments?: boolean;
}

/**
 * The digits' groups of pieces, left to right, and the height of a digit in this number.
 * Throws `too_many_digits` when more than MAX_PARTS pieces remain after dropping specks.
 */
export function groupDigits(
  parts: InkPart[],
  options: GroupOptions = {},
): { groups: DigitGroup[]; digitHeight: number } {
  if (parts.length === 0) return { groups: [], digitHeight: 0 };
  let largest = 0;
  for (const part of parts) largest = Math.max(largest, part.area);
  const kept = parts.filter((part) => part.area >= SPECK_FRACTION * largest);
  if (kept.length > MAX_PARTS) {
    throw new DigitlabError(
      "too_many_digits",
      `the image holds ${kept.length} separate pieces of ink; at most ${MAX_PARTS} are read`,
    );
  }
  const digitHeight = options.digitHeight ?? typicalHeight(kept);
  let groups = kept.map((part): DigitGroup => ({
    labels: [part.label],
    area: part.area,
    x0: part.x0,
    y0: part.y0,
    x1: part.x1,
    y1: part.y1,
  }));
  groups = mergeOverlapping(groups, digitHeight);
  if (options.attachFragments !== false) groups = attachFragments(groups, digitHeight);
  groups.sort((a, b) => a.x0 + a.x1 - b.x0 - b.x1);
  return { groups, digitHeight };
}

/** The median height of the pieces at least half as tall as the tallest: a digit's height. */
export function typicalHeight(parts: { y0: number; y1: number }[]): number {
  if (parts.length === 0) return 0;
  const heights = parts.map((p) => p.y1 - p.y0).sort((a, b) => a - b);
  const tall = heights.filter((h) => h >= heights[heights.length - 1] / 2);
  return tall[tall.length >> 1];
}

function merged(a: DigitGroup, b: DigitGroup): DigitGroup {
  return {
    labels: [...a.labels, ...b.labels],
    area: a.area + b.area,
    x0: Math.min(a.x0, b.x0),
    y0: Math.min(a.y0, b.y0),
    x1: Math.max(a.x1, b.x1),
    y1: Math.max(a.y1, b.y1),
  };
}

/** Horizontal overlap as a share of the narrower group's width (negative: a gap). */
function overlapShare(a: DigitGroup, b: DigitGroup): number {
  const overlap = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  return overlap / Math.min(a.x1 - a.x0, b.x1 - b.x0);
}

/** Merges overlapping groups until none overlap enough (at most MAX_PARTS rounds). */
function mergeOverlapping(groups: DigitGroup[], digitHeight: number): DigitGroup[] {
  const tall = (g: DigitGroup) => g.y1 - g.y0 >= 0.7 * digitHeight;
  for (let changed = true; changed;) {
    changed = false;
    outer: for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const a = groups[i], b = groups[j];
        const needed = tall(a) && tall(b) ? TALL_OVERLAP_TO_MERGE : OVERLAP_TO_MERGE;
        if (overlapShare(a, b) < needed) continue;
        groups[i] = merged(a, b);
        groups.splice(j, 1);
        changed = true;
        break outer;
      }
    }
  }
  return groups;
}

/** Joins each short group to the nearest group within reach, horizontally. */
function attachFragments(groups: DigitGroup[], digitHeight: number): DigitGroup[] {
  const areas = groups.map((g) => g.area).sort((a, b) => a - b);
  const medianArea = areas[areas.length >> 1];
  const isFragment = (g: DigitGroup) =>
    g.y1 - g.y0 < FRAGMENT_HEIGHT * digitHeight && g.area < FRAGMENT_AREA * medianArea;
  const reach = FRAGMENT_REACH * digitHeight;
  // Smallest first, so a fragment joins a digit rather than another fragment.
  const order = [...groups].sort((a, b) => a.area - b.area);
  const alive = new Set(groups);
  for (const fragment of order) {
    if (!alive.has(fragment) || !isFragment(fragment)) continue;
    let nearest: DigitGroup | null = null, nearestGap = Infinity;
    for (const other of alive) {
      if (other === fragment) continue;
      const gap = Math.max(other.x0 - fragment.x1, fragment.x0 - other.x1, 0);
      // Ties (both overlap): the taller neighbour.
      const rank = gap - (other.y1 - other.y0) * 1e-6;
      if (rank < nearestGap) {
        nearest = other;
        nearestGap = rank;
      }
    }
    if (nearest === null || nearestGap > reach) continue;
    alive.delete(fragment);
    alive.delete(nearest);
    alive.add(merged(nearest, fragment));
  }
  return [...alive];
}
