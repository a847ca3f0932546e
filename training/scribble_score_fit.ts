/**
 * Fits lib/scribble_score.ts's network and writes it to lib/scribble_score_table.ts: real digits
 * (the pendigits training writers' digits, never the held-out writers who measure the price,
 * drawn as the page draws them at the tests' three sizes and places; and the first
 * {@link MNIST_DIGITS} MNIST training digits, sent as a client would send a 28x28 scan) against
 * seeded random scribbles (seeds {@link FIT_SEEDS}, which no test or benchmark uses), all read by
 * a model as the server reads them (calibrated). Scribbles weigh as much in total as digits;
 * the limit is the score that the top {@link TAIL} of the confident real digits reach.
 *
 * `PENDIGITS_DIR=../shared/data/pendigits MNIST_DIR=../shared/data/mnist deno run --allow-read
 * --allow-write=lib --allow-env training/scribble_score_fit.ts [models/draw.int8.onnx]` (minutes;
 * without MNIST_DIR it fits on the pen digits alone and says so).
 *
 * @module
 */
import { assessAnswer } from "../lib/confidence.ts";
import { measureInk } from "../lib/ink_shape.ts";
import {
  NO_SCRIBBLE_SCORE,
  scoreFeatures,
  SCRIBBLE_FEATURES,
  scribbleFeatures,
  type ScribbleScore,
} from "../lib/scribble_score.ts";
import { scribbles } from "../tests/helpers/non_digits.ts";
import { loadMnist } from "./mnist_data.ts";
import { fitStrokes, loadPendigits, splitByWriter } from "./pendigits.ts";
import { Random } from "./random.ts";
import { drawnFields, openServedModel, scanFields, servedProbabilities } from "./served_reads.ts";
import { PLACEMENTS } from "./stroke_field.ts";

/** Scribble seeds fitted on, 200 scribbles each; the tests and bench/ink_checks.ts use others. */
export const FIT_SEEDS: readonly number[] = Array.from({ length: 100 }, (_, i) => 100 + i);
/** Share of the confident real digits allowed to score as scribbles. */
export const TAIL = 0.005;
/** MNIST training digits fitted on (the first ones). */
export const MNIST_DIGITS = 12_000;

export interface FitOptions {
  hiddenUnits?: number;
  epochs?: number;
  rate?: number;
  /** L2 penalty on the weights. */
  decay?: number;
  seed?: number;
}

/**
 * Fits the network for rows of features labelled 1 (scribble) or 0 (digit), with Adam on
 * mini-batches of 256; the limit is left at Infinity for the caller to set.
 */
export function fitScribbleNet(
  rows: readonly number[][],
  labels: readonly number[],
  { hiddenUnits = 16, epochs = 30, rate = 3e-3, decay = 1e-4, seed = 1 }: FitOptions = {},
): ScribbleScore {
  const n = rows.length, k = rows[0].length, h = hiddenUnits;
  const centre = new Array(k).fill(0), scale = new Array(k).fill(0);
  for (const row of rows) row.forEach((v, j) => centre[j] += v / n);
  for (const row of rows) row.forEach((v, j) => scale[j] += (v - centre[j]) ** 2 / n);
  for (let j = 0; j < k; j++) scale[j] = Math.sqrt(scale[j]) + 1e-3;
  const z = rows.map((row) => Float64Array.from(row, (v, j) => (v - centre[j]) / scale[j]));
  const positives = labels.reduce((s, y) => s + y, 0);
  const weightOf = (y: number) => y === 1 ? (n - positives) / positives : 1;
  const random = new Random(seed);
  const normal = () =>
    Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  // Parameters in one array so that one Adam loop updates them all:
  // hidden weights (h x k), hidden biases (h), output weights (h), output bias (1).
  const params = new Float64Array(h * k + 2 * h + 1);
  for (let i = 0; i < h * k; i++) params[i] = normal() / Math.sqrt(k);
  for (let j = 0; j < h; j++) params[h * k + h + j] = normal() / Math.sqrt(h);
  const bias = h * k, out = h * k + h, outBias = h * k + 2 * h;
  const m = new Float64Array(params.length), v = new Float64Array(params.length);
  const gradient = new Float64Array(params.length), unit = new Float64Array(h);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  let t = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    random.shuffle(order);
    for (let start = 0; start < n; start += 256) {
      const end = Math.min(n, start + 256);
      gradient.fill(0);
      for (let b = start; b < end; b++) {
        const i = order[b], x = z[i];
        let s = params[outBias];
        for (let j = 0; j < h; j++) {
          let u = params[bias + j];
          for (let f = 0; f < k; f++) u += params[j * k + f] * x[f];
          unit[j] = u > 0 ? u : 0;
          s += params[out + j] * unit[j];
        }
        const error = (1 / (1 + Math.exp(-s)) - labels[i]) * weightOf(labels[i]) / (end - start);
        gradient[outBias] += error;
        for (let j = 0; j < h; j++) {
          gradient[out + j] += error * unit[j];
          if (unit[j] === 0) continue;
          const back = error * params[out + j];
          gradient[bias + j] += back;
          for (let f = 0; f < k; f++) gradient[j * k + f] += back * x[f];
        }
      }
      for (let i = 0; i < h * k; i++) gradient[i] += decay * params[i];
      t++;
      for (let i = 0; i < params.length; i++) {
        m[i] = 0.9 * m[i] + 0.1 * gradient[i];
        v[i] = 0.999 * v[i] + 0.001 * gradient[i] ** 2;
        params[i] -= rate * (m[i] / (1 - 0.9 ** t)) / (Math.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8);
      }
    }
  }
  return {
    centre,
    scale,
    hidden: Array.from({ length: h }, (_, j) => Array.from(params.subarray(j * k, j * k + k))),
    hiddenBias: Array.from(params.subarray(bias, bias + h)),
    output: Array.from(params.subarray(out, out + h)),
    outputBias: params[outBias],
    limit: Infinity,
  };
}

/** lib/scribble_score_table.ts's text for a fitted score. */
export function scoreTable(score: ScribbleScore, note: string): string {
  const list = (values: readonly number[]) => values.map((v) => v.toFixed(4)).join(", ");
  const lines = [""];
  for (const word of `${note}.`.split(" ")) {
    if (lines[lines.length - 1].length + word.length > 92) lines.push("");
    lines[lines.length - 1] += (lines[lines.length - 1] ? " " : "") + word;
  }
  return `/**
 * The scribble score's network, written by training/scribble_score_fit.ts (do not edit):
${lines.map((line) => ` * ${line}`).join("\n")}
 *
 * @module
 */
import type { ScribbleScore } from "./scribble_score.ts";

// deno-fmt-ignore
export const SCRIBBLE_SCORE: ScribbleScore = {
  centre: [${list(score.centre)}],
  scale: [${list(score.scale)}],
  hidden: [
${score.hidden.map((row) => `    [${list(row)}],`).join("\n")}
  ],
  hiddenBias: [${list(score.hiddenBias)}],
  output: [${list(score.output)}],
  outputBias: ${score.outputBias.toFixed(4)},
  limit: ${score.limit.toFixed(4)},
};
`;
}

if (import.meta.main) {
  const dir = Deno.env.get("PENDIGITS_DIR");
  if (!dir) {
    console.error("set PENDIGITS_DIR to the folder of pendigits-orig.tra");
    Deno.exit(2);
  }
  const mnistDir = Deno.env.get("MNIST_DIR");
  const modelPath = Deno.args[0] ?? "models/draw.int8.onnx";
  const model = await openServedModel(modelPath);
  /** Features of each field, and whether it is confident without the score. */
  const read = async (fields: Float32Array[]) => {
    const probabilities = await servedProbabilities(model, fields);
    return fields.map((field, i) => ({
      features: scribbleFeatures(measureInk(field), probabilities[i]),
      confident: assessAnswer(probabilities[i], field, NO_SCRIBBLE_SCORE).confident,
    }));
  };
  const { train } = splitByWriter((await loadPendigits(dir)).digits);
  const digits = await read(
    drawnFields(train.flatMap((d) => PLACEMENTS.map(({ box }) => fitStrokes(d.strokes, box)))),
  );
  if (mnistDir) {
    const mnist = await loadMnist({ dataDir: mnistDir, cacheDir: mnistDir, quiet: true });
    digits.push(...await read(scanFields(mnist.train, MNIST_DIGITS)));
  } else {
    console.warn("MNIST_DIR is not set: fitting on the pen digits alone");
  }
  const scrawls = await read(drawnFields(FIT_SEEDS.flatMap((seed) => scribbles(200, seed))));
  const fitted = fitScribbleNet(
    [...digits.map((d) => d.features), ...scrawls.map((s) => s.features)],
    [...digits.map(() => 0), ...scrawls.map(() => 1)],
  );
  const confident = digits.filter((d) => d.confident);
  const sorted = confident.map((d) => scoreFeatures(d.features, fitted)).sort((a, b) => a - b);
  const score = { ...fitted, limit: sorted[Math.floor((1 - TAIL) * sorted.length)] };
  const unsure = scrawls.filter((s) => s.confident);
  const caught = unsure.filter((s) => scoreFeatures(s.features, score) >= score.limit).length;
  const note = `on ${modelPath}, ${confident.length} confident real digits (pen: training ` +
    `writers; ${mnistDir ? `the first ${MNIST_DIGITS} MNIST training digits` : "no MNIST"}) ` +
    `against ${scrawls.length} scribbles of seeds ${FIT_SEEDS[0]}-${FIT_SEEDS.at(-1)} ` +
    `(${unsure.length} confident without the score, ${caught} of them caught); ` +
    `${SCRIBBLE_FEATURES.length} features`;
  await Deno.writeTextFile(
    new URL("../lib/scribble_score_table.ts", import.meta.url),
    scoreTable(score, note),
  );
  console.log(`wrote lib/scribble_score_table.ts: ${note}`);
}
