/**
 * The price and the catch of the ink checks (lib/confidence.ts: lib/ink_shape.ts's limits,
 * lib/digit_shapes.ts's ranges, lib/scribble_score.ts's score): real digits the checks must
 * leave confident, the held-out pendigits writers' (all of them, at the three sizes and places
 * the handwriting test uses) and, with MNIST_DIR set, MNIST's test set (sent as a 28x28 scan);
 * and seeded random scribbles they must not, of seeds the score was never fitted on. All are
 * read by a model as the server reads them (calibrated, MNIST's recipe on the page's pixels).
 *
 * For each set: how many answers are confident without the scribble score and with it, how many
 * of the confident ones are right, and what one assessment costs (mean over the set); for the
 * scribbles also the model's own top probability, which `draw`'s --negatives trains down.
 *
 * `PENDIGITS_DIR=../shared/data/pendigits [MNIST_DIR=../shared/data/mnist] deno run --allow-read
 * --allow-env bench/ink_checks.ts [models/draw.int8.onnx]` (a few minutes: every drawing is
 * rendered at 280 px).
 *
 * @module
 */
import { assessAnswer } from "../lib/confidence.ts";
import { NO_SCRIBBLE_SCORE } from "../lib/scribble_score.ts";
import { scribbles } from "../tests/helpers/non_digits.ts";
import { loadMnist } from "../training/mnist_data.ts";
import { fitStrokes, loadPendigits, splitByWriter } from "../training/pendigits.ts";
import {
  drawnFields,
  openServedModel,
  scanFields,
  servedProbabilities,
} from "../training/served_reads.ts";
import { PLACEMENTS } from "../training/stroke_field.ts";

/**
 * Scribble seeds, none fitted on (the score's are 100-199, training/scribble_score_fit.ts): the
 * ones earlier versions of the checks were compared on, and 25 more first measured with the
 * score's network (3000-3024).
 */
const SCRIBBLE_SETS: readonly { name: string; seeds: readonly [seed: number, count: number][] }[] =
  [
    {
      name: "seeds 1, 2, 3, 7, 11, 13, 99",
      seeds: [[1, 100], [2, 100], [3, 100], [7, 100], [11, 200], [13, 200], [99, 200]],
    },
    {
      name: "seeds 3000-3024",
      seeds: Array.from({ length: 25 }, (_, i): [number, number] => [3000 + i, 200]),
    },
  ];

const dir = Deno.env.get("PENDIGITS_DIR");
if (!dir) {
  console.error("set PENDIGITS_DIR to the folder of pendigits-orig.tra");
  Deno.exit(2);
}
const mnistDir = Deno.env.get("MNIST_DIR");
const modelPath = Deno.args[0] ?? "models/draw.int8.onnx";
const model = await openServedModel(modelPath);

interface Tally {
  count: number;
  /** Confident with every check but the scribble score. */
  unscored: number;
  confident: number;
  /** Confident and right (real digits only). */
  right: number;
  /** Milliseconds spent in assessAnswer. */
  assessMs: number;
  /** The model's own (calibrated) top probabilities: their sum, and how many exceed 0.9. */
  topSum: number;
  topOver90: number;
}

/** Reads fields (labels: the digit, or -1 for a scribble) and tallies the verdicts. */
async function judge(fields: Float32Array[], labels: readonly number[]): Promise<Tally> {
  const tally: Tally = {
    count: 0,
    unscored: 0,
    confident: 0,
    right: 0,
    assessMs: 0,
    topSum: 0,
    topOver90: 0,
  };
  const probabilities = await servedProbabilities(model, fields);
  fields.forEach((field, i) => {
    const p = probabilities[i];
    const started = performance.now();
    const answer = assessAnswer(p, field);
    tally.assessMs += performance.now() - started;
    tally.count++;
    const top = Math.max(...p);
    tally.topSum += top;
    if (top > 0.9) tally.topOver90++;
    if (assessAnswer(p, field, NO_SCRIBBLE_SCORE).confident) tally.unscored++;
    if (!answer.confident) return;
    tally.confident++;
    if (p.indexOf(Math.max(...p)) === labels[i]) tally.right++;
  });
  return tally;
}

const percent = (n: number, of: number) => `${(n / of * 100).toFixed(2)}%`;

function reportDigits(name: string, t: Tally) {
  console.log(
    `${name}: ${t.count}, confident ${t.confident} (${percent(t.confident, t.count)}; ` +
      `${t.unscored} without the scribble score), right among confident ${t.right} ` +
      `(${percent(t.right, t.confident)}); assessAnswer ${(t.assessMs / t.count).toFixed(3)} ms`,
  );
}

console.log(`model ${modelPath} (temperature ${model.temperature})`);
const { heldOut } = splitByWriter((await loadPendigits(dir)).digits);
reportDigits(
  "held-out writers' drawings",
  await judge(
    drawnFields(
      heldOut.flatMap((digit) => PLACEMENTS.map(({ box }) => fitStrokes(digit.strokes, box))),
    ),
    heldOut.flatMap((digit) => PLACEMENTS.map(() => digit.label)),
  ),
);
if (mnistDir) {
  const { test } = await loadMnist({ dataDir: mnistDir, cacheDir: mnistDir, quiet: true });
  reportDigits("MNIST test digits", await judge(scanFields(test), Array.from(test.labels)));
}
for (const { name, seeds } of SCRIBBLE_SETS) {
  const drawings = seeds.flatMap(([seed, count]) => scribbles(count, seed));
  const t = await judge(drawnFields(drawings), drawings.map(() => -1));
  console.log(
    `scribbles, ${name}: ${t.count}, confident ${t.confident} (${percent(t.confident, t.count)}` +
      `; ${t.unscored} without the scribble score); the model's top probability: mean ` +
      `${(t.topSum / t.count).toFixed(3)}, above 0.9 ${t.topOver90}; assessAnswer ` +
      `${(t.assessMs / t.count).toFixed(3)} ms`,
  );
}
