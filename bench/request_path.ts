/**
 * Where a `/predict` request's time goes, stage by stage, in one thread: multipart parsing,
 * PNG decode, preprocessing (MNIST's recipe), inference at several batch sizes, and writing
 * the JSON answer. Run: `deno task bench:path` (a few seconds; no server, no network).
 *
 * Payloads: the two grey PNGs in payloads/, and the 280x280 one as the draw page sends it,
 * RGBA with dark ink on opaque white paper. Then the whole path from bytes to answer, in
 * process: one digit through `/predict`'s function, and a 4-digit number (bench/number_payload.ts)
 * through `/predict/number`'s.
 *
 * @module
 */
import { encode } from "fast-png";
import process from "node:process";
import { decodeImage, initImageDecoders } from "../inference/image_decode.ts";
import { createSession, runBatch } from "../inference/onnx_runtime.ts";
import { type Prediction, roundedField } from "../inference/predict.ts";
import { int8FileName, MNIST_NORMALISATION } from "../lib/model_metadata.ts";
import { mnistField, normalise } from "../lib/preprocess.ts";
import { assessAnswer } from "../lib/confidence.ts";
import { readImageUpload } from "../routes/api/request_image.ts";
import { InferenceEngine } from "../inference/engine.ts";
import { loadModels } from "../inference/model_registry.ts";
import { predictDigit } from "../inference/predict.ts";
import { predictNumber } from "../inference/predict_number.ts";
import { numberPng } from "./number_payload.ts";

/**
 * Models to time (default `draw` and `cnn-aug`): their inference runs interleaved in one run, so
 * a shared machine's load falls on both alike.
 */
const models = Deno.args.length > 0 ? Deno.args : ["draw", "cnn-aug"];
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

for (const [name, png] of payloadFiles) {
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
for (const batch of [1, 8, 16, 32]) {
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
/** Mean CPU microseconds per call (user + system) after a warm-up: steadier than the wall
 * clock on a shared machine. */
async function cpuTime(calls: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(20, calls); i++) await fn();
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await fn();
  const { user, system } = process.cpuUsage(before);
  return (user + system) / calls;
}
const wholePath: [string, number][] = [
  [
    "/predict, one digit, 280x280 canvas",
    await cpuTime(300, () => predictDigit(engine, registry, digit280, { model })),
  ],
  [
    "/predict, one digit, 560x280 canvas",
    await cpuTime(300, () => predictDigit(engine, registry, onePad, { model })),
  ],
  [
    "/predict/number, one digit, 560x280",
    await cpuTime(300, () => predictNumber(engine, registry, onePad, { model })),
  ],
  [
    "/predict/number, 4 digits, 560x280",
    await cpuTime(300, () => predictNumber(engine, registry, fourPad, { model })),
  ],
];
const four = await predictNumber(engine, registry, fourPad, { model });
for (const [path, us] of wholePath) rows.push([`${served}, bytes to answer (CPU)`, path, us]);
const ratio = wholePath[3][1] / wholePath[0][1];
const ratioSamePad = wholePath[3][1] / wholePath[1][1];
await registry.close();

const load = Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
console.log(`request path, one thread (load average ${load}):\n`);
console.log("| payload | stage | us |");
console.log("|---|---|---:|");
for (const [payload, stage, us] of rows) {
  console.log(`| ${payload} | ${stage} | ${us.toFixed(1)} |`);
}
console.log(
  `\n4-digit number (read "${four.number}", ${four.candidates} candidates in one batch): ` +
    `${ratio.toFixed(2)}x one digit on the 280x280 pad, ${ratioSamePad.toFixed(2)}x one digit ` +
    `on the same 560x280 pad (target: at most 2x)`,
);
