/**
 * Fits lib/scribble_score.ts's weights: the pendigits training writers' digits (never the
 * held-out writers, who measure the price) drawn as the page draws them at the tests' three
 * sizes and places, against seeded random scribbles (seeds {@link FIT_SEEDS}, which no test
 * uses), both read by a model as the server reads them (calibrated). A logistic regression on
 * standardised features (scribbles weighted up to as many as the digits), folded back into
 * plain weights; the limit is the score that the top {@link TAIL} of the training writers'
 * confident digits reach.
 *
 * `PENDIGITS_DIR=../shared/data/pendigits deno run --allow-read --allow-env
 * training/scribble_score_fit.ts [models/draw.onnx]` prints the table as TypeScript (minutes).
 *
 * @module
 */
import { createSession, runLogits } from "../inference/onnx_runtime.ts";
import { softmaxRows, temperatureScale } from "../lib/calibration.ts";
import { assessAnswer } from "../lib/confidence.ts";
import { measureInk } from "../lib/ink_shape.ts";
import { mnistField, normalise } from "../lib/preprocess.ts";
import { NO_SCRIBBLE_SCORE, SCRIBBLE_FEATURES, scribbleFeatures } from "../lib/scribble_score.ts";
import type { Stroke } from "../lib/strokes.ts";
import { scribbles } from "../tests/helpers/non_digits.ts";
import { fitStrokes, loadPendigits, splitByWriter } from "./pendigits.ts";
import { padPixels, PLACEMENTS } from "./stroke_field.ts";

/** Scribble seeds fitted on: 200 scribbles each; the tests and bench/ink_checks.ts use others. */
export const FIT_SEEDS: readonly number[] = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109];
/** Share of the training writers' confident digits allowed to score as scribbles. */
export const TAIL = 0.002;

/** Fits weights for rows of features labelled 1 (scribble) or 0 (digit). */
export function fitLogistic(
  rows: readonly number[][],
  labels: readonly number[],
  { steps = 3000, rate = 0.2, ridge = 1e-3 } = {},
): { weights: number[]; bias: number } {
  const n = rows.length, k = rows[0].length;
  const mean = new Array(k).fill(0), std = new Array(k).fill(0);
  for (const row of rows) row.forEach((v, j) => mean[j] += v / n);
  for (const row of rows) row.forEach((v, j) => std[j] += (v - mean[j]) ** 2 / n);
  for (let j = 0; j < k; j++) std[j] = Math.sqrt(std[j]) + 1e-6;
  const z = rows.map((row) => row.map((v, j) => (v - mean[j]) / std[j]));
  const positives = labels.reduce((s, y) => s + y, 0);
  // Scribbles weigh as much in total as digits: the score ranks, the limit sets the price.
  const weightOf = (y: number) => y === 1 ? (n - positives) / positives : 1;
  const w = new Array(k).fill(0);
  let b = 0;
  for (let step = 0; step < steps; step++) {
    const gradient = new Array(k).fill(0);
    let gradientB = 0;
    for (let i = 0; i < n; i++) {
      let s = b;
      for (let j = 0; j < k; j++) s += w[j] * z[i][j];
      const error = (1 / (1 + Math.exp(-s)) - labels[i]) * weightOf(labels[i]);
      for (let j = 0; j < k; j++) gradient[j] += error * z[i][j];
      gradientB += error;
    }
    for (let j = 0; j < k; j++) w[j] -= rate * (gradient[j] / n + ridge * w[j]);
    b -= rate * gradientB / n;
  }
  // Back to raw features: w.(x - mean)/std + b.
  const weights = w.map((wj, j) => wj / std[j]);
  const bias = b - weights.reduce((s, wj, j) => s + wj * mean[j], 0);
  return { weights, bias };
}

if (import.meta.main) {
  const dir = Deno.env.get("PENDIGITS_DIR");
  if (!dir) {
    console.error("set PENDIGITS_DIR to the folder of pendigits-orig.tra");
    Deno.exit(2);
  }
  const modelPath = Deno.args[0] ?? "models/draw.onnx";
  const metadata = JSON.parse(
    await Deno.readTextFile(modelPath.replace(/(\.int8)?\.onnx$/, ".json")),
  );
  const session = await createSession(await Deno.readFile(modelPath));
  /** Features of each drawing, and whether it is confident without the score. */
  const read = async (drawings: Stroke[][]) => {
    const out: { features: number[]; confident: boolean }[] = [];
    for (let start = 0; start < drawings.length; start += 250) {
      const fields = drawings.slice(start, start + 250).map((s) => mnistField(padPixels(s)));
      const input = new Float32Array(fields.length * 784);
      fields.forEach((f, i) => input.set(normalise(f, metadata.input.normalisation), i * 784));
      const probabilities = softmaxRows(await runLogits(session, input, fields.length));
      fields.forEach((field, i) => {
        const p = temperatureScale(
          probabilities.subarray(i * 10, i * 10 + 10),
          metadata.calibration?.temperature ?? 1,
        );
        out.push({
          features: scribbleFeatures(measureInk(field), p),
          confident: assessAnswer(p, field, NO_SCRIBBLE_SCORE).confident,
        });
      });
    }
    return out;
  };
  const { train } = splitByWriter((await loadPendigits(dir)).digits);
  const digits = (await read(
    train.flatMap((d) => PLACEMENTS.map(({ box }) => fitStrokes(d.strokes, box))),
  )).filter((d) => d.confident);
  const scrawls = await read(FIT_SEEDS.flatMap((seed) => scribbles(200, seed)));
  const { weights, bias } = fitLogistic(
    [...digits.map((d) => d.features), ...scrawls.map((s) => s.features)],
    [...digits.map(() => 0), ...scrawls.map(() => 1)],
  );
  const score = (f: number[]) => f.reduce((s, v, j) => s + v * weights[j], bias);
  const sorted = digits.map((d) => score(d.features)).sort((a, b) => a - b);
  const limit = sorted[Math.floor((1 - TAIL) * sorted.length)];
  const caught = scrawls.filter((s) => s.confident && score(s.features) >= limit).length;
  console.log(
    `// ${digits.length} confident training-writer drawings, ${scrawls.length} scribbles ` +
      `(${scrawls.filter((s) => s.confident).length} confident without the score, ${caught} ` +
      `caught); ${modelPath}`,
  );
  console.log("export const SCRIBBLE_SCORE: ScribbleScore = {\n  weights: [");
  weights.forEach((w, j) => console.log(`    ${w.toFixed(4)}, // ${SCRIBBLE_FEATURES[j]}`));
  console.log(`  ],\n  bias: ${bias.toFixed(4)},\n  limit: ${limit.toFixed(4)},\n};`);
}
