/**
 * The `draw` model's training data: MNIST as it is, MNIST redrawn with a round pen of random
 * width (pen_mnist.ts), and the training writers' pen strokes (pendigits, never the held-out
 * writers) augmented and drawn at random sizes and places on the page's pad. Without the
 * pendigits data it trains on the MNIST parts and says so.
 *
 * @module
 */
import type { DataSet } from "../lib/model_metadata.ts";
import type { Mnist } from "./mnist_data.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { penRenderedMnist } from "./pen_mnist.ts";
import {
  HELD_OUT_WRITERS,
  loadPendigits,
  type PenDigit,
  type Pendigits,
  PENDIGITS_FILE,
  splitByWriter,
} from "./pendigits.ts";
import { Random } from "./random.ts";
import { scribbles } from "./scribbles.ts";
import { NOT_A_DIGIT } from "./soft_targets.ts";
import { augmentStrokes } from "./stroke_augment.ts";
import { PAD_SIZE, strokeField } from "./stroke_field.ts";

const PIXELS = 784;

export const PENDIGITS_CREDIT =
  "UCI Pen-Based Recognition of Handwritten Digits (E. Alpaydin, F. Alimoglu, Bogazici " +
  "University, 1998), doi:10.24432/C5MG6K";

export interface DrawDataOptions {
  seed: number;
  /** Where pendigits-orig.tra is; undefined = train on the MNIST parts only. */
  pendigitsDir?: string;
  /** Pen-rendered copies of MNIST training digits (default PEN_MNIST_SHARE of them). */
  penMnistCount?: number;
  /** Augmented renderings of each training writer's digit (default STROKE_COPIES). */
  strokeCopies?: number;
  /** Train on the first N MNIST digits only (quick runs). */
  limit?: number | null;
  /** Share of the training set that is scribbles labelled NOT_A_DIGIT (default 0: none). */
  negatives?: number;
  log?: (line: string) => void;
}

export interface DrawData {
  train: DigitSet;
  /** The held-out writers' digits (strokes), or null without the pendigits data. */
  heldOut: PenDigit[] | null;
  sources: DataSet[];
}

/** Concatenates digit sets. */
export function concatSets(sets: DigitSet[]): DigitSet {
  const count = sets.reduce((sum, set) => sum + set.count, 0);
  const images = new Uint8Array(count * PIXELS), labels = new Uint8Array(count);
  let at = 0;
  for (const set of sets) {
    images.set(set.images.subarray(0, set.count * PIXELS), at * PIXELS);
    labels.set(set.labels.subarray(0, set.count), at);
    at += set.count;
  }
  return { images, labels, count, rows: 28, cols: 28 };
}

/**
 * `copies` renderings of each digit: strokes augmented, written into a random box (a quarter
 * to nearly all of the pad, anywhere on it), with the page's pen give or take a third, on a
 * 280 or 140 px pad (a second antialiasing of the same line, so no one rasteriser's edges
 * become a feature).
 */
export function renderPenDigits(
  digits: readonly Pick<PenDigit, "strokes" | "label">[],
  copies: number,
  random: Random,
) {
  const images = new Uint8Array(digits.length * copies * PIXELS);
  const labels = new Uint8Array(digits.length * copies);
  let count = 0;
  for (const digit of digits) {
    for (let copy = 0; copy < copies; copy++) {
      const side = random.uniform(0.25, 0.95);
      const box = {
        x: random.uniform(0, 1 - side),
        y: random.uniform(0, 1 - side),
        width: side,
        height: side,
      };
      const size = random.next() < 0.35 ? PAD_SIZE : PAD_SIZE / 2;
      const lineWidth = size / 14 * Math.exp(random.uniform(Math.log(0.7), Math.log(1.35)));
      try {
        images.set(
          strokeField(augmentStrokes(digit.strokes, random), box, { size, lineWidth }),
          count * PIXELS,
        );
        labels[count++] = digit.label;
      } catch {
        // An augmentation that left no ink (cannot happen with real strokes): skip it.
      }
    }
  }
  return {
    images: images.subarray(0, count * PIXELS),
    labels: labels.subarray(0, count),
    count,
    rows: 28,
    cols: 28,
  } satisfies DigitSet;
}

function firstDigits(set: DigitSet, limit: number | null | undefined): DigitSet {
  if (limit == null || limit >= set.count) return set;
  return {
    ...set,
    count: limit,
    images: set.images.subarray(0, limit * PIXELS),
    labels: set.labels.subarray(0, limit),
  };
}

/**
 * Seeds of the training scribbles, {@link SCRIBBLES_PER_SEED} per seed from this one up: far from
 * every seed a test or benchmark judges (2026, 4242, bench/ink_checks.ts's 1-99 and 3000-3024)
 * and the scribble score's (100-199, scribble_score_fit.ts).
 */
export const FIRST_NEGATIVE_SEED = 1_000_000;
export const SCRIBBLES_PER_SEED = 200;

/** Scribbles to add so that they are `share` of a set that has `digits` digits. */
export function negativeCount(digits: number, share: number): number {
  return share > 0 ? Math.round(digits * share / (1 - share)) : 0;
}

/**
 * `count` training scribbles (training/scribbles.ts, seeds from {@link FIRST_NEGATIVE_SEED}),
 * drawn as the pen digits are (renderPenDigits: stroke jitter, random box, pen and pad size),
 * labelled {@link NOT_A_DIGIT}.
 */
export function renderNegatives(count: number, random: Random): DigitSet {
  const drawings = Array.from(
    { length: Math.ceil(count / SCRIBBLES_PER_SEED) },
    (_, i) => scribbles(SCRIBBLES_PER_SEED, FIRST_NEGATIVE_SEED + i),
  ).flat().slice(0, count);
  return renderPenDigits(drawings.map((strokes) => ({ strokes, label: NOT_A_DIGIT })), 1, random);
}

/** Pen-rendered MNIST digits per MNIST training digit. */
export const PEN_MNIST_SHARE = 0.4;
/** Augmented renderings of each training writer's digit. */
export const STROKE_COPIES = 4;

/**
 * What a `draw` model was trained and validated on, for its metadata: derived from the
 * inputs alone, so a model exported from a checkpoint records the same.
 */
export function drawDataSets(
  mnist: Pick<Mnist, "sha256">,
  mnistCount: number,
  pendigits: Pendigits | null,
  negatives = 0,
): DataSet[] {
  const sets: DataSet[] = [
    { name: "MNIST training digits", use: "train", count: mnistCount, sha256: mnist.sha256 },
    {
      name: "MNIST training digits redrawn with a round pen of random width",
      use: "train",
      count: Math.round(mnistCount * PEN_MNIST_SHARE),
      sha256: mnist.sha256,
    },
  ];
  if (pendigits) {
    const { train, heldOut } = splitByWriter(pendigits.digits);
    const sha256 = { [PENDIGITS_FILE]: pendigits.sha256 };
    const credit = PENDIGITS_CREDIT, licence = "CC BY 4.0";
    sets.push(
      {
        name: `pendigits strokes of the 24 training writers, ${STROKE_COPIES} augmented ` +
          "renderings each",
        use: "train",
        count: train.length,
        sha256,
        credit,
        licence,
      },
      {
        name: `pendigits strokes of writers ${
          HELD_OUT_WRITERS.join(", ")
        } (validation, calibration)`,
        use: "held-out",
        count: heldOut.length,
        sha256,
        credit,
        licence,
      },
    );
  }
  if (negatives > 0) {
    const digits = sets.reduce((sum, set) => sum + set.count, 0) +
      (pendigits ? splitByWriter(pendigits.digits).train.length * (STROKE_COPIES - 1) : 0);
    sets.push({
      name: `random scribbles (seeds from ${FIRST_NEGATIVE_SEED}), ${
        (negatives * 100).toFixed(1)
      }% of the set, target: uniform over the ten digits`,
      use: "train",
      count: negativeCount(digits, negatives),
      sha256: {}, // made by a seeded generator, from no file
    });
  }
  return sets;
}

/** Builds the training set and says what went into it. */
export async function prepareDrawData(mnist: Mnist, options: DrawDataOptions): Promise<DrawData> {
  const log = options.log ?? console.log;
  const random = new Random(options.seed + 1000);
  const mnistTrain = firstDigits(mnist.train, options.limit);
  let started = performance.now();
  const penCount = options.penMnistCount ?? Math.round(mnistTrain.count * PEN_MNIST_SHARE);
  const pen = penRenderedMnist(mnistTrain, penCount, random);
  log(`draw data: ${pen.count} pen-rendered MNIST digits (${seconds(started)} s)`);
  const sets = [mnistTrain, pen];
  let heldOut: PenDigit[] | null = null;
  const pendigits = options.pendigitsDir ? await loadPendigits(options.pendigitsDir) : null;
  if (pendigits) {
    const split = splitByWriter(pendigits.digits);
    heldOut = split.heldOut;
    started = performance.now();
    const strokes = renderPenDigits(split.train, options.strokeCopies ?? STROKE_COPIES, random);
    log(
      `draw data: ${strokes.count} renderings of ${split.train.length} pen digits by the ` +
        `training writers (${seconds(started)} s); ` +
        `${heldOut.length} digits of writers ${HELD_OUT_WRITERS.join(", ")} held out`,
    );
    sets.push(strokes);
  } else {
    log(
      "draw data: no pendigits data (--pendigits DIR or PENDIGITS_DIR): training on MNIST and " +
        "pen-rendered MNIST only, with no held-out writers to calibrate on",
    );
  }
  const negatives = options.negatives ?? 0;
  if (negatives > 0) {
    started = performance.now();
    const digits = sets.reduce((sum, set) => sum + set.count, 0);
    const scrawls = renderNegatives(negativeCount(digits, negatives), random);
    log(
      `draw data: ${scrawls.count} scribbles as negatives (${(negatives * 100).toFixed(1)}% ` +
        `of the set, target uniform; ${seconds(started)} s)`,
    );
    sets.push(scrawls);
  }
  return {
    train: concatSets(sets),
    heldOut,
    sources: drawDataSets(mnist, mnistTrain.count, pendigits, negatives),
  };
}

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
