/**
 * The held-out writers (pendigits writers never trained on) as the server would see their
 * digits: each drawn at the three sizes and places of {@link PLACEMENTS}, scored with an ONNX
 * model through onnxruntime-web, with the temperature that calibrates its probabilities.
 *
 * @module
 */
import { createSession, DIGIT_PIXELS, runLogits } from "../inference/onnx_runtime.ts";
import { expectedCalibrationError, fitTemperature, softmaxRows } from "../lib/calibration.ts";
import type { Normalisation } from "../lib/model_metadata.ts";
import { argmaxRows, type Evaluation, normaliseDigits, scorePredictions } from "./evaluate.ts";
import type { DigitSet } from "./mnist_idx.ts";
import type { PenDigit } from "./pendigits.ts";
import { PLACEMENTS, strokeField } from "./stroke_field.ts";

/** The held-out digits rendered at one placement. */
export interface PlacedSet {
  placement: string;
  set: DigitSet;
}

/** Every held-out digit at every placement, with the page's pen on a 280 px pad. */
export function renderHeldOut(digits: readonly PenDigit[]): PlacedSet[] {
  return PLACEMENTS.map(({ name, box }) => {
    const images = new Uint8Array(digits.length * DIGIT_PIXELS);
    const labels = new Uint8Array(digits.length);
    digits.forEach((digit, i) => {
      images.set(strokeField(digit.strokes, box), i * DIGIT_PIXELS);
      labels[i] = digit.label;
    });
    return { placement: name, set: { images, labels, count: digits.length, rows: 28, cols: 28 } };
  });
}

/** The model's logits for every image of a set ([count, 10]). */
export async function onnxLogits(
  modelBytes: Uint8Array,
  set: DigitSet,
  normalisation: Normalisation,
  batchSize = 500,
): Promise<Float32Array> {
  const session = await createSession(modelBytes);
  const logits = new Float32Array(set.count * 10);
  try {
    for (let start = 0; start < set.count; start += batchSize) {
      const batch = Math.min(batchSize, set.count - start);
      const pixels = set.images.subarray(start * DIGIT_PIXELS, (start + batch) * DIGIT_PIXELS);
      logits.set(
        await runLogits(session, normaliseDigits(pixels, normalisation), batch),
        start * 10,
      );
    }
  } finally {
    await session.release();
  }
  return logits;
}

/** What the metadata records about the held-out writers and calibration. */
export interface HeldOutReport {
  overall: Evaluation;
  byPlacement: { placement: string; accuracy: number }[];
  /** Temperature fitted on the held-out writers (all placements); the server applies it. */
  temperature: number;
  eceBefore: number;
  eceAfter: number;
}

/** Scores a model on the held-out sets and fits its temperature. */
export async function scoreHeldOut(
  modelBytes: Uint8Array,
  sets: readonly PlacedSet[],
  normalisation: Normalisation,
): Promise<HeldOutReport> {
  const all: Float32Array[] = [];
  const byPlacement = [];
  for (const { placement, set } of sets) {
    const logits = await onnxLogits(modelBytes, set, normalisation);
    all.push(logits);
    const { accuracy } = scorePredictions(set.labels, argmaxRows(logits));
    byPlacement.push({ placement, accuracy });
  }
  const logits = new Float32Array(all.reduce((n, l) => n + l.length, 0));
  let at = 0;
  for (const part of all) logits.set(part, at), at += part.length;
  const labels = Uint8Array.from(sets.flatMap(({ set }) => Array.from(set.labels)));
  const temperature = fitTemperature(logits, labels);
  return {
    overall: scorePredictions(labels, argmaxRows(logits)),
    byPlacement,
    temperature,
    eceBefore: expectedCalibrationError(softmaxRows(logits), labels),
    eceAfter: expectedCalibrationError(softmaxRows(logits, temperature), labels),
  };
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;

/** A confusion matrix as text, rows = true digit, with per-digit accuracy at the end. */
export function confusionText(evaluation: Evaluation): string {
  const header = "true\\read" +
    Array.from({ length: 10 }, (_, d) => String(d).padStart(5)).join("") +
    "   accuracy";
  const rows = evaluation.confusionMatrix.map((row, digit) =>
    String(digit).padStart(9) + row.map((n) => String(n).padStart(5)).join("") +
    `   ${percent(evaluation.perClassAccuracy[digit])}`
  );
  return [header, ...rows].join("\n");
}

/** The report as the lines `deno task train` and `deno task eval` print. */
export function heldOutLines(report: HeldOutReport): string[] {
  const { overall } = report;
  return [
    `held-out writers: ${percent(overall.accuracy)} (${overall.correct}/${overall.count}); ` +
    report.byPlacement.map((p) => `${p.placement} ${percent(p.accuracy)}`).join(", "),
    `  per digit: ${overall.perClassAccuracy.map((a, d) => `${d} ${percent(a)}`).join(", ")}`,
    `  calibration: temperature ${report.temperature.toFixed(3)}, ECE ${
      report.eceBefore.toFixed(4)
    } ` +
    `before, ${report.eceAfter.toFixed(4)} after`,
    ...confusionText(overall).split("\n").map((line) => "  " + line),
  ];
}
