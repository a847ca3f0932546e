/**
 * The price and the catch of the ink checks that no probability can overrule (lib/ink_shape.ts
 * scribble limits, lib/digit_shapes.ts): the held-out pendigits writers' digits (all of them, at
 * the three sizes and places the handwriting test uses) and seeded random scribbles, scored by a
 * model as the server scores them (calibrated, MNIST's recipe on the page's PNG pixels).
 *
 * Prints how many real digits were confident with the older checks and how many of those the
 * newer limits take away (the price, per limit), then what the scribble score
 * (lib/scribble_score.ts) takes on top, and how many scribbles are still confident.
 *
 * `PENDIGITS_DIR=../shared/data/pendigits deno run --allow-read --allow-env bench/ink_checks.ts
 * [models/draw.int8.onnx]` (a few minutes: every drawing is rendered at 280 px).
 *
 * @module
 */
import { createSession, runLogits } from "../inference/onnx_runtime.ts";
import { softmaxRows, temperatureScale } from "../lib/calibration.ts";
import { assessAnswer, probabilityDoubt } from "../lib/confidence.ts";
import { unlikeDigit } from "../lib/digit_shapes.ts";
import { INK_LIMITS, inkProblem, measureInk, scribbleSigns } from "../lib/ink_shape.ts";
import { mnistField, normalise } from "../lib/preprocess.ts";
import type { Stroke } from "../lib/strokes.ts";
import { fitStrokes, loadPendigits, splitByWriter } from "../training/pendigits.ts";
import { padPixels, PLACEMENTS } from "../training/stroke_field.ts";
import { NO_SCRIBBLE_SCORE } from "../lib/scribble_score.ts";
import { scribbles } from "../tests/helpers/non_digits.ts";

/** Limits added after the first ink checks: what they cost is what this measures. */
const NEWER: readonly (keyof typeof INK_LIMITS)[] = [
  "scribbleThickest",
  "scribbleFaintHoles",
  "scribbleMass",
];

/**
 * Scribble seeds: the handwriting test's (2026, 20 of them) and others never fitted on (the
 * scribble score's fit seeds are 100-109, training/scribble_score_fit.ts).
 */
const SEEDS: readonly [number, number][] = [
  [2026, 20],
  [1, 100],
  [2, 100],
  [3, 100],
  [7, 100],
  [11, 200],
  [13, 200],
  [99, 200],
];

const dir = Deno.env.get("PENDIGITS_DIR");
if (!dir) {
  console.error("set PENDIGITS_DIR to the folder of pendigits-orig.tra");
  Deno.exit(2);
}
const modelPath = Deno.args[0] ?? "models/draw.int8.onnx";
const metadataPath = modelPath.replace(/(\.int8)?\.onnx$/, ".json");
const metadata = JSON.parse(await Deno.readTextFile(metadataPath));
const temperature = metadata.calibration?.temperature ?? 1;
const session = await createSession(await Deno.readFile(modelPath));

interface Verdict {
  /** Confident with the first checks only (line, dot, filled, the first scribble limits). */
  before: boolean;
  /** Confident with every check but the scribble score. */
  unscored: boolean;
  /** Confident now. */
  after: boolean;
  /** The newer checks that refused it. */
  why: string[];
}

async function judge(drawings: Stroke[][]): Promise<Verdict[]> {
  const fields = drawings.map((strokes) => mnistField(padPixels(strokes)));
  const input = new Float32Array(fields.length * 784);
  fields.forEach((field, i) => input.set(normalise(field, metadata.input.normalisation), i * 784));
  const logits = await runLogits(session, input, fields.length);
  const probabilities = softmaxRows(logits);
  return fields.map((field, i) => {
    const p = temperatureScale(probabilities.subarray(i * 10, i * 10 + 10), temperature);
    const shape = measureInk(field);
    const signs = scribbleSigns(shape);
    const older = signs.filter((sign) => !NEWER.includes(sign));
    const problem = inkProblem(shape);
    const before = (problem !== "scribble" ? problem === null : older.length === 0) &&
      probabilityDoubt(p) === undefined;
    const top = p.indexOf(Math.max(...p));
    const unlike = unlikeDigit(shape, top);
    const why = [...signs.filter((sign) => NEWER.includes(sign)), ...(unlike ? [unlike] : [])];
    return {
      before,
      unscored: assessAnswer(p, field, NO_SCRIBBLE_SCORE).confident,
      after: assessAnswer(p, field).confident,
      why,
    };
  });
}

async function judgeAll(drawings: Stroke[][]): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  for (let start = 0; start < drawings.length; start += 250) {
    verdicts.push(...await judge(drawings.slice(start, start + 250)));
  }
  return verdicts;
}

const percent = (n: number, of: number) => `${(n / of * 100).toFixed(2)}%`;
const { heldOut } = splitByWriter((await loadPendigits(dir)).digits);
const digits = await judgeAll(
  heldOut.flatMap((digit) => PLACEMENTS.map(({ box }) => fitStrokes(digit.strokes, box))),
);
const confident = digits.filter((v) => v.before);
const lost = confident.filter((v) => !v.unscored);
console.log(`model ${modelPath} (temperature ${temperature})`);
console.log(
  `held-out writers: ${digits.length} drawings, ${confident.length} confident with the first ` +
    `checks; the newer checks take ${lost.length} of them (${
      percent(lost.length, digits.length)
    } of all)`,
);
const byCheck = new Map<string, number>();
for (const v of lost) for (const why of v.why) byCheck.set(why, (byCheck.get(why) ?? 0) + 1);
console.log(`  by check: ${[...byCheck].map(([why, n]) => `${why} ${n}`).join(", ") || "none"}`);
const scored = digits.filter((v) => v.unscored && !v.after).length;
const lostNow = confident.filter((v) => !v.after).length;
console.log(
  `  the scribble score takes ${scored} more (${percent(scored, digits.length)}); all ink ` +
    `checks together: ${lostNow} (${percent(lostNow, digits.length)} of all drawings)`,
);
for (const [seed, count] of SEEDS) {
  const verdicts = await judgeAll(scribbles(count, seed));
  console.log(
    `scribbles (seed ${seed}): ${verdicts.filter((v) => v.before).length} of ${count} ` +
      `confident with the first checks, ${verdicts.filter((v) => v.unscored).length} without ` +
      `the scribble score, ${verdicts.filter((v) => v.after).length} now`,
  );
}
