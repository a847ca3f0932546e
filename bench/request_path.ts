/**
 * Where a `/predict` request's time goes, stage by stage, in one thread: multipart parsing,
 * PNG decode, preprocessing (MNIST's recipe), inference at several batch sizes, and writing
 * the JSON answer. Run: `deno task bench:path` (a few seconds; no server, no network).
 *
 * Payloads: the two grey PNGs in payloads/, and the 280x280 one as the draw page sends it,
 * RGBA with dark ink on opaque white paper. Then the whole path from bytes to answer, in
 * process: one digit through `/predict`'s function, and a 4-digit number (bench/number_payload.ts)
 * through `/predict/number`'s, in CPU time, warmed up and interleaved (issue #16's target is the
 * median of the per-round ratios).
 *
 * @module
 */
import { encode } from "fast-png";
import process from "node:process";
import { decodeImage, initImageDecoders } from "../inference/image_decode.ts";
import { createSession, DIGIT_PIXELS, runBatch } from "../inference/onnx_runtime.ts";
import { type Prediction, roundedField } from "../inference/predict.ts";
import { int8FileName, MNIST_NORMALISATION } from "../lib/model_metadata.ts";
import { mnistField, normalise, normaliseInto } from "../lib/preprocess.ts";
import { numberCandidates, readNumber } from "../lib/number_segmentation.ts";
import { assessAnswer } from "../lib/confidence.ts";
import { readImageUpload } from "../routes/api/request_image.ts";
import { InferenceEngine } from "../inference/engine.ts";
import { loadModels } from "../inference/model_registry.ts";
import { predictDigit } from "../inference/predict.ts";
import { predictNumber } from "../inference/predict_number.ts";
import { numberPng } from "./number_payload.ts";

/**
 * Models to time (default `draw` and `cnn-aug`): their inference runs interleaved in one run, so
 * a shared machine's load falls on both alike. `--whole-path` times only the whole path.
 */
const named = Deno.args.filter((arg) => !arg.startsWith("--"));
const models = named.length > 0 ? named : ["draw", "cnn-aug"];
const wholePathOnly = Deno.args.includes("--whole-path");
const model = models[0];
const payloads = new URL("payloads/", import.meta.url);

await initImageDecoders();
/** Each model's float file and, where it has one, the int8 twin the server runs by default. */
const files = models.flatMap((name) => [`${name}.onnx`, int8FileName(name)]).filter((file) => {
  try {
    return Deno.statSync(new URL(`../models/${file}`, import.meta.url)).isFile;
  } catch {
    return false;
  }
});

/** Mean microseconds per call after a warm-up. */
async function time(calls: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(50, calls); i++) await fn();
  const started = performance.now();
  for (let i = 0; i < calls; i++) await fn();
  return (performance.now() - started) / calls * 1000;
}

const rows: [string, string, number][] = [];
const payloadFiles: [string, Uint8Array<ArrayBuffer>][] = [];
for (const side of [28, 280]) {
  const png = await Deno.readFile(new URL(`digit-${side}.png`, payloads));
  payloadFiles.push([`${side}x${side} PNG`, png]);
  if (side === 280) payloadFiles.push([`${side}x${side} RGBA canvas PNG`, await canvasPng(png)]);
}

/** The grey digit as the draw page's canvas would send it: #111 ink on white, RGBA. */
async function canvasPng(greyPng: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const { image } = await decodeImage(greyPng);
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let i = 0; i < image.width * image.height; i++) {
    const paper = 255 - Math.round(image.data[i * (image.channels ?? 4)] * (255 - 17) / 255);
    rgba.set([paper, paper, paper, 255], i * 4);
  }
  return new Uint8Array(
    encode({ width: image.width, height: image.height, data: rgba, channels: 4, depth: 8 }),
  );
}

for (const [name, png] of wholePathOnly ? [] : payloadFiles) {
  const form = new FormData();
  form.append("img", new Blob([png], { type: "image/png" }), "image.png");
  const encoded = new Response(form);
  const type = encoded.headers.get("content-type")!;
  const body = new Uint8Array(await encoded.arrayBuffer());
  const payload = `${name} (${png.length} B)`;
  rows.push([
    payload,
    "multipart parse",
    await time(3000, () =>
      readImageUpload(
        new Request("http://localhost/predict", {
          method: "POST",
          body,
          headers: { "content-type": type },
        }),
      )),
  ]);
  rows.push([payload, "PNG decode", await time(1000, () => decodeImage(png))]);
  const { image } = await decodeImage(png);
  rows.push([
    payload,
    "preprocess (ink, box, resize, centre)",
    await time(1000, () => normalise(mnistField(image), MNIST_NORMALISATION)),
  ]);
  const field = mnistField(image);
  const prediction: Prediction = {
    result: 7,
    probabilities: Array.from({ length: 10 }, (_, i) => i / 45),
    model,
    top3: [{ digit: 7, probability: 0.99 }],
    confident: false,
    runnerUp: { digit: 2, probability: 0.01 },
    reason: "close call: 7 or 2",
    input: roundedField(field),
    batchSize: 1,
    timings: { decodeMs: 0.05, preprocessMs: 0.05, queueMs: 0, inferenceMs: 0.3, totalMs: 0.5 },
  };
  rows.push([
    payload,
    "confidence (ink checks, top two)",
    await time(1000, () => assessAnswer(prediction.probabilities, field)),
  ]);
  rows.push([payload, "JSON answer", await time(3000, () => JSON.stringify(prediction))]);
}
const sessions = await Promise.all(
  files.map(async (file) =>
    await createSession(await Deno.readFile(new URL(`../models/${file}`, import.meta.url)))
  ),
);
for (const batch of wholePathOnly ? [] : [1, 8, 16, 32]) {
  const input = new Float32Array(784 * batch).fill(0.2);
  for (const [i, file] of files.entries()) {
    const perBatch = await time(
      Math.max(20, 800 / batch),
      () => runBatch(sessions[i], input, batch),
    );
    rows.push(["-", `${file} inference, batch ${batch}, per image`, perBatch / batch]);
  }
}
for (const session of sessions) await session.release();

// The whole path in one process (no HTTP): one digit vs a 4-digit number (issue #16's target:
// at most 2x), the number's candidates run as one batch.
const registry = (await loadModels(new URL("../models/", import.meta.url), {
  preferred: model,
  required: true,
})).registry;
const engine = InferenceEngine.inProcess();
const digit280 = payloadFiles.find(([name]) => name.includes("RGBA"))![1];
const digitPng = await Deno.readFile(new URL("digit-280.png", payloads));
const onePad = await numberPng(digitPng, 1);
const fourPad = await numberPng(digitPng, 4);
const served = registry.get(model).metadata.name;
// The two paths of the target side by side, so each round times them back to back.
const wholePaths: [string, () => Promise<unknown>][] = [
  [
    "/predict, one digit, 280x280 canvas",
    () => predictDigit(engine, registry, digit280, { model }),
  ],
  ["/predict/number, 4 digits, 560x280", () => predictNumber(engine, registry, fourPad, { model })],
  ["/predict, one digit, 560x280 canvas", () => predictDigit(engine, registry, onePad, { model })],
  ["/predict/number, one digit, 560x280", () => predictNumber(engine, registry, onePad, { model })],
];
const loadBefore = loadAverage();
const { median: cpuUs, ratios, rounds } = await interleavedCpuTimes(wholePaths.map(([, fn]) => fn));
const loadAfter = loadAverage();
const four = await predictNumber(engine, registry, fourPad, { model });
for (const [i, [path]] of wholePaths.entries()) {
  rows.push([`${served}, bytes to answer (CPU, median of ${rounds} rounds)`, path, cpuUs[i]]);
}
for (const [path, stage, us] of await stageTimes()) {
  rows.push([`${served}, ${path} by stage (CPU, median)`, stage, us]);
}
await registry.close();

console.log(
  `request path, one thread (load average ${loadBefore} before the whole path, ${loadAfter} after):\n`,
);
console.log("| payload | stage | us |");
console.log("|---|---|---:|");
for (const [payload, stage, us] of rows) {
  console.log(`| ${payload} | ${stage} | ${us.toFixed(1)} |`);
}
const spread = (values: number[]) => {
  const [min, q1, mid, q3, max] = [0, 0.25, 0.5, 0.75, 1].map((q) =>
    quantile(values, q).toFixed(2)
  );
  return `median ${mid}x (quartiles ${q1}-${q3}, min ${min}, max ${max})`;
};
console.log(
  `\n4-digit number (read "${four.number}", ${four.candidates} candidates in one batch), CPU time ` +
    `per round, ${rounds} interleaved rounds after a warm-up of every path:\n` +
    `  vs one digit on the 280x280 pad: ${spread(ratios(1, 0))} (target: at most 2x)\n` +
    `  vs one digit on the same 560x280 pad: ${spread(ratios(1, 2))}`,
);

/**
 * The two paths of the target stage by stage, timed the same way: where the ratio comes from.
 * The stages call what `predictDigit` and `predictNumber` call, on the same payloads.
 */
async function stageTimes(): Promise<[string, string, number][]> {
  const [{ image: oneImage }, { image: fourImage }] = await Promise.all(
    [digit280, fourPad].map((png) => decodeImage(png)),
  );
  const loaded = registry.get(model);
  const { normalisation } = loaded.metadata.input;
  const infer = async (input: Float32Array, count: number) => {
    const result = await engine.submit(loaded, { kind: "tensor", input, count });
    if (!result.ok) throw new Error(`inference failed: ${JSON.stringify(result)}`);
    return result.output.probabilities;
  };
  const oneField = mnistField(oneImage);
  const oneInput = normalise(oneField, normalisation);
  const oneScores = Array.from(await infer(oneInput, 1));
  const plan = numberCandidates(fourImage);
  const fourInput = new Float32Array(plan.candidates.length * DIGIT_PIXELS);
  plan.candidates.forEach(({ field }, i) => normaliseInto(field, normalisation, fourInput, i));
  const fourScores = await infer(fourInput, plan.candidates.length);
  const stages: [string, string, () => unknown][] = [
    ["one digit", "PNG decode, 280x280", () => decodeImage(digit280)],
    ["one digit", "recipe (mnistField)", () => mnistField(oneImage)],
    ["one digit", "inference, batch 1, in the engine", () => infer(oneInput, 1)],
    ["one digit", "ink checks (assessAnswer)", () => assessAnswer(oneScores, oneField)],
    ["4 digits", "PNG decode, 560x280", () => decodeImage(fourPad)],
    ["4 digits", "segmentation and recipes (numberCandidates)", () => numberCandidates(fourImage)],
    [
      "4 digits",
      `inference, batch ${plan.candidates.length}, in the engine`,
      () => infer(fourInput, plan.candidates.length),
    ],
    ["4 digits", "reading (readNumber)", () => readNumber(plan, fourScores)],
  ];
  const { median } = await interleavedCpuTimes(stages.map(([, , fn]) => fn), { rounds: 21 });
  return stages.map(([path, stage], i) => [path, stage, median[i]]);
}

function loadAverage(): string {
  return Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
}

/** The `q` quantile of `values`, interpolated between the two nearest (0.5: the median). */
function quantile(values: number[], q: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  const at = q * (sorted.length - 1), below = Math.floor(at);
  return sorted[below] +
    (sorted[Math.min(below + 1, sorted.length - 1)] - sorted[below]) * (at - below);
}

/**
 * CPU microseconds (user + system) per call of each path, timed fairly on a shared machine:
 * every path is warmed up first (V8 has compiled them all before any is timed), then each
 * round times every path in turn, the order reversed every other round, so load and garbage
 * collection fall on all of them alike. Ratios are taken within a round.
 */
async function interleavedCpuTimes(
  fns: (() => unknown)[],
  { warmUp = 150, rounds = 81, calls = 10 } = {},
) {
  for (let i = 0; i < warmUp; i++) for (const fn of fns) await fn();
  const times: number[][] = fns.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = fns.map((_, i) => i);
    if (round % 2) order.reverse();
    for (const i of order) {
      const before = process.cpuUsage();
      for (let call = 0; call < calls; call++) await fns[i]();
      const { user, system } = process.cpuUsage(before);
      times[i].push((user + system) / calls);
    }
  }
  return {
    rounds,
    median: times.map((t) => quantile(t, 0.5)),
    /** Path `a`'s time over path `b`'s, one per round. */
    ratios: (a: number, b: number) => times[a].map((t, round) => t / times[b][round]),
  };
}
