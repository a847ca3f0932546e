/**
 * The written numbers `tests/number_accuracy_test.ts` measures, in one place so the failure
 * breakdown (`bench/number_failures.ts`) reads exactly the same numbers: MNIST test digits or
 * held-out pendigits writers' strokes side by side, gaps between the digits' ink from -2 px
 * (touching, overlapping) to 40 px, canvases from 280x140 to 1000x280.
 *
 * @module
 */
import { coverageToRgba } from "../../lib/stroke_raster.ts";
import type { PenDigit } from "../../training/pendigits.ts";
import { Random } from "../../training/random.ts";
import type { DigitSet } from "../../training/mnist_idx.ts";
import { mnistDigit } from "./mnist.ts";
import {
  composeNumber,
  composeStrokeNumber,
  mnistInk,
  type NumberCanvas,
  numberRgba,
  renderStrokeNumber,
  type StrokeNumber,
} from "./number_canvas.ts";
import { encodePng } from "./png_encode.ts";

export const CANVASES: [number, number][] = [[280, 140], [560, 280], [700, 200], [1000, 280]];
export const GAPS = [-2, -1, 0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 40];
export const RANGES: [string, number, number][] = [
  ["touching (-2..0 px)", -2, 0],
  ["narrow (1..3 px)", 1, 3],
  ["visible (4..40 px)", 4, 40],
];

/** The name of the gap range `gap` falls in. */
export const rangeOf = (gap: number): string =>
  RANGES.find(([, low, high]) => gap >= low && gap <= high)![0];

/** One composed number to send, and what it says. */
export interface NumberSample {
  truth: string;
  length: number;
  gap: number;
  png: Uint8Array;
  /** Pen numbers: the strokes the page would send, in its unit coordinates. */
  strokes?: [number, number][][];
  /** Pen numbers: how they were written (each stroke's digit, each digit's box). */
  written?: StrokeNumber;
}

/** Numbers of MNIST test digits: `count` of them, lengths 2-6, every gap and canvas. */
export function mnistSamples(set: DigitSet, count: number, seed: number): Promise<NumberSample[]> {
  const random = new Random(seed);
  return Promise.all(Array.from({ length: count }, (_, n) => {
    const length = 2 + n % 5;
    const gap = GAPS[Math.floor(n / 5) % GAPS.length];
    const [width, height] = CANVASES[Math.floor(random.next() * CANVASES.length)];
    const digits = Array.from({ length }, () => {
      const index = Math.floor(random.next() * set.count);
      return mnistInk(mnistDigit(set, index), set.labels[index]);
    });
    const canvas = composeNumber(digits, {
      width,
      height,
      digitHeight: height * (0.45 + 0.35 * random.next()),
      gaps: digits.slice(1).map(() => gap),
      jitter: () => (random.next() - 0.5) * height * 0.08,
    });
    return toSample(canvas, gap, numberRgba(canvas));
  }));
}

async function toSample(
  canvas: NumberCanvas,
  gap: number,
  rgba: Uint8Array,
): Promise<NumberSample> {
  return {
    truth: canvas.labels.join(""),
    length: canvas.labels.length,
    gap,
    png: await encodePng(rgba, canvas.width, canvas.height, "rgba"),
  };
}

/** Numbers written by held-out pendigits writers, lengths as given, each gap and canvas. */
export function penSamples(
  lengths: number[],
  seed: number,
  digits: PenDigit[],
): Promise<NumberSample[]> {
  const random = new Random(seed);
  return Promise.all(lengths.map(async (length, n) => {
    const gap = GAPS[n % GAPS.length];
    const [width, height] = CANVASES[Math.floor(random.next() * CANVASES.length)];
    const written = Array.from({ length }, () => digits[Math.floor(random.next() * digits.length)]);
    const number = composeStrokeNumber(written, {
      width,
      height,
      digitHeight: height * (0.5 + 0.3 * random.next()),
      gaps: written.slice(1).map(() => gap),
      jitter: () => (random.next() - 0.5) * height * 0.08,
    });
    const canvas = renderStrokeNumber(number);
    const sample = await toSample(canvas, gap, new Uint8Array(coverageToRgba(canvas.ink).buffer));
    sample.strokes = number.strokes.map((s) => s.map(({ x, y }): [number, number] => [x, y]));
    sample.written = number;
    return sample;
  }));
}

/** The pen numbers the accuracy test measures: 196 of 4 digits (each gap 14 times), 35 of 2-6. */
export const PEN_LENGTHS: number[] = [
  ...Array(196).fill(4),
  ...Array.from({ length: 35 }, (_, n) => 2 + n % 5),
];
