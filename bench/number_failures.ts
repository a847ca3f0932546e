/**
 * Why whole numbers are misread: the held-out writers' numbers of `tests/number_accuracy_test.ts`
 * (the same samples), read in process as `/predict/number` reads them, each failure sorted into
 * wrong digit count (merged, split, dropped, extra) or right count but a digit misread; for a
 * misread digit, what the model makes of the same digit drawn alone on the same canvas (the
 * `/predict` recipe) and how far the two 28x28 fields lie apart.
 *
 * Run: `PENDIGITS_DIR=... deno run --allow-read --allow-env bench/number_failures.ts [model]
 * [--strokes|--pixels] [--show N]` (a minute or two; no server). `--show N` prints the first N
 * failures with both fields as text.
 *
 * @module
 */
import { decodeImage, initImageDecoders } from "../inference/image_decode.ts";
import { InferenceEngine } from "../inference/engine.ts";
import { loadModels } from "../inference/model_registry.ts";
import { DIGIT_PIXELS } from "../inference/onnx_runtime.ts";
import type { Box } from "../lib/ink_box.ts";
import { type DigitReading, numberCandidates, readNumber } from "../lib/number_segmentation.ts";
import { mnistField, normalise } from "../lib/preprocess.ts";
import { coverageToRgba, renderStrokes } from "../lib/stroke_raster.ts";
import { loadPendigits, splitByWriter } from "../training/pendigits.ts";
import {
  type NumberSample,
  PEN_LENGTHS,
  penSamples,
  rangeOf,
} from "../tests/helpers/number_samples.ts";

const args = [...Deno.args];
const flag = (name: string) => {
  const at = args.indexOf(name);
  if (at < 0) return null;
  return args.splice(at, 2)[1] ?? "";
};
const show = Number(flag("--show") ?? 0);
const modes = args.includes("--strokes") ? [true] : args.includes("--pixels") ? [false] : [
  false,
  true,
];
const LONE_DIGITS = 400;
const modelName = args.find((a) => !a.startsWith("--")) ?? "draw";

const pendigitsDir = Deno.env.get("PENDIGITS_DIR") ??
  new URL("../../shared/data/pendigits/", import.meta.url).pathname;
const { heldOut } = splitByWriter((await loadPendigits(pendigitsDir)).digits);
const samples = await penSamples(PEN_LENGTHS, 2026, heldOut);
/** Lone digits on the same canvases: a split one is a number that gained a digit. */
const lone = await penSamples(Array(LONE_DIGITS).fill(1), 1, heldOut);

await initImageDecoders();
const { registry } = await loadModels(new URL("../models/", import.meta.url), {
  preferred: modelName,
  required: true,
});
const engine = InferenceEngine.inProcess();
const model = registry.get(modelName);

async function probabilitiesOf(fields: Float32Array[]): Promise<Float32Array> {
  const input = new Float32Array(fields.length * DIGIT_PIXELS);
  fields.forEach((f, i) => input.set(normalise(f, model.metadata.input.normalisation), i * 784));
  const result = await engine.submit(model, { kind: "tensor", input, count: fields.length });
  if (!result.ok) throw new Error(JSON.stringify(result));
  return result.output.probabilities;
}

const argmax = (row: ArrayLike<number>) => {
  let best = 0;
  for (let d = 1; d < 10; d++) if (row[d] > row[best]) best = d;
  return best;
};

/** The field `/predict` makes of digit `k` of the number drawn alone on the same canvas. */
function loneField(sample: NumberSample, k: number): Float32Array {
  const written = sample.written!;
  const strokes = written.strokes.filter((_, s) => written.strokeDigit[s] === k);
  const coverage = renderStrokes(strokes, {
    size: written.height,
    width: written.width,
    height: written.height,
  });
  return mnistField({
    width: written.width,
    height: written.height,
    data: coverageToRgba(coverage),
  });
}

const centre = (b: Box) => b.x + b.width / 2;
const inside = (x: number, b: Box) => x >= b.x && x <= b.x + b.width;

/** How the readings' count went wrong, from their boxes against the written digits' boxes. */
function countFailure(readings: DigitReading[], truth: Box[]): string {
  if (readings.length < truth.length) {
    const merges = readings.some((r) => truth.filter((t) => inside(centre(t), r.box)).length > 1);
    return merges ? "merged" : "dropped";
  }
  const splits = truth.some((t) => readings.filter((r) => inside(centre(r.box), t)).length > 1);
  return splits ? "split" : "extra";
}

function fieldText(a: Float32Array, b: Float32Array): string {
  const shade = (v: number) => " .:-=+*#%@"[Math.min(9, Math.floor(v * 10))];
  const lines: string[] = [];
  for (let y = 0; y < 28; y++) {
    let line = "";
    for (let x = 0; x < 28; x++) line += shade(a[y * 28 + x]);
    line += "  |  ";
    for (let x = 0; x < 28; x++) line += shade(b[y * 28 + x]);
    lines.push(line);
  }
  return lines.join("\n");
}

for (const withStrokes of modes) {
  const causes = new Map<string, number>();
  const note = (key: string) => causes.set(key, (causes.get(key) ?? 0) + 1);
  let shown = 0, right4 = 0, all4 = 0;
  const misreads: string[] = [];
  for (const sample of samples) {
    const { image } = await decodeImage(sample.png);
    const plan = numberCandidates(image, withStrokes ? sample.strokes : null);
    const readings = readNumber(plan, await probabilitiesOf(plan.candidates.map((c) => c.field)));
    const read = readings.map((r) => r.result).join("");
    const range = rangeOf(sample.gap).split(" ")[0];
    if (sample.length === 4 && range === "visible") all4++;
    if (read === sample.truth) {
      if (sample.length === 4 && range === "visible") right4++;
      continue;
    }
    const truthBoxes = sample.written!.boxes;
    if (readings.length !== sample.length) {
      const cause = countFailure(readings, truthBoxes);
      note(`${range}: ${cause}`);
      if (shown < show) {
        shown++;
        console.log(
          `${sample.truth} read ${read} (${cause}, gap ${sample.gap}, ` +
            `${sample.written!.width}x${sample.written!.height}); boxes ` +
            readings.map((r) => `${r.box.x}+${r.box.width}`).join(" ") + " truth " +
            truthBoxes.map((b) => `${Math.round(b.x)}+${Math.round(b.width)}`).join(" "),
        );
      }
      continue;
    }
    const wrong = readings.flatMap((r, k) => r.result === Number(sample.truth[k]) ? [] : [k]);
    const lone = wrong.map((k) => loneField(sample, k));
    const loneProbabilities = await probabilitiesOf(lone);
    wrong.forEach((k, n) => {
      const loneRead = argmax(loneProbabilities.subarray(n * 10, n * 10 + 10));
      const crop = plan.candidates[readings[k].candidate].field;
      let difference = 0;
      for (let i = 0; i < 784; i++) difference += Math.abs(crop[i] - lone[n][i]);
      const alone = loneRead === Number(sample.truth[k]) ? "right alone" : "wrong alone too";
      note(`${range}: misread, ${alone}`);
      misreads.push(
        `${sample.truth[k]}->${readings[k].result} (alone ${loneRead}), field L1 ` +
          `${difference.toFixed(1)}, gap ${sample.gap}`,
      );
      if (shown < show) {
        shown++;
        console.log(
          `${sample.truth} read ${read}: digit ${k} ${misreads.at(-1)}\n` +
            fieldText(crop, lone[n]),
        );
      }
    });
  }
  console.log(
    `\n${model.metadata.name} (${model.metadata.precision}), ${
      withStrokes ? "strokes sent" : "pixels only"
    }: 4 digits, visible gaps ${right4}/${all4} = ${(100 * right4 / all4).toFixed(1)}%`,
  );
  for (const [cause, count] of [...causes].sort()) console.log(`  ${cause.padEnd(36)} ${count}`);
  console.log("  misread digits:\n    " + misreads.join("\n    "));
  const loneCounts = new Map<string, number>();
  for (const sample of lone) {
    const { image } = await decodeImage(sample.png);
    const plan = numberCandidates(image, withStrokes ? sample.strokes : null);
    const readings = readNumber(plan, await probabilitiesOf(plan.candidates.map((c) => c.field)));
    const read = readings.map((r) => r.result).join("");
    const key = read === sample.truth ? "right" : readings.length === 1 ? "misread" : "split";
    loneCounts.set(key, (loneCounts.get(key) ?? 0) + 1);
  }
  console.log(`  ${LONE_DIGITS} lone digits: ${JSON.stringify(Object.fromEntries(loneCounts))}`);
}
await registry.close();
