/**
 * The proof that feedback pays (issue #15): one held-out pendigits writer as one user. Their
 * first half of digits goes through POST /predict on a real server; each mistake is corrected
 * through POST /feedback; `retrain` (what `deno task train --feedback URL` runs) fine-tunes the
 * served model on the server's export; then the writer's second half is read by the model
 * before and after. Used by `tests/feedback_retrain_test.ts` and `deno task bench:retrain`.
 *
 * @module
 */
import { coverageToRgba, renderStrokes } from "../lib/stroke_raster.ts";
import { openSqliteStore } from "../feedback/sqlite_store.ts";
import { feedbackExamples, readFeedbackSource } from "../training/feedback_examples.ts";
import {
  accuracyOf,
  DEFAULT_FINE_TUNE,
  defaultModel,
  feedbackDigitSet,
  type FineTuneOptions,
  retrain,
  type RetrainResult,
} from "../training/feedback_retrain.ts";
import type { Mnist } from "../training/mnist_data.ts";
import { fitStrokes, type PenDigit } from "../training/pendigits.ts";
import { initTrainingBackend } from "../training/tf_backend.ts";
import { encodePng } from "../tests/helpers/png_encode.ts";
import { SHIPPED_MODELS, startTestServer } from "../tests/helpers/test_server.ts";
import { decodeImage } from "../inference/image_decode.ts";
import { mnistField } from "../lib/preprocess.ts";

const TOKEN = "proof-admin-token-0123456789";
const PAD = 280;

/** A pen digit drawn as the page would send it: a 280 px PNG, the digit in the middle 60%. */
export async function drawnPng(digit: PenDigit): Promise<Uint8Array> {
  const strokes = fitStrokes(digit.strokes, { x: 0.2, y: 0.2, width: 0.6, height: 0.6 });
  const rgba = coverageToRgba(renderStrokes(strokes, { size: PAD }));
  return await encodePng(new Uint8Array(rgba.buffer), PAD, PAD, "rgba");
}

export interface ProofResult {
  writer: number;
  firstHalf: { count: number; mistakes: number };
  secondHalf: { count: number; errorsBefore: number; errorsAfter: number };
  retrain: RetrainResult;
  seconds: number;
}

/** Runs the proof for `digits` (one writer's, in writing order) with the default model (`draw`, else cnn-aug). */
export async function feedbackProof(
  digits: PenDigit[],
  mnist: Mnist,
  options: FineTuneOptions = DEFAULT_FINE_TUNE,
): Promise<ProofResult> {
  const started = performance.now();
  const half = Math.floor(digits.length / 2);
  const dir = await Deno.makeTempDir({ prefix: "digitlab-feedback-proof-" });
  const store = await openSqliteStore({ path: `${dir}/feedback.db`, maxExamples: 10_000 });
  const name = await defaultModel(SHIPPED_MODELS);
  const server = await startTestServer({
    modelsDir: SHIPPED_MODELS,
    preferred: name,
    feedback: { store, adminToken: TOKEN },
  });
  let mistakes = 0;
  let records;
  try {
    for (const digit of digits.slice(0, half)) {
      const png = await drawnPng(digit);
      const form = new FormData();
      form.set("img", new File([png as Uint8Array<ArrayBuffer>], "d.png", { type: "image/png" }));
      const answer = await (await fetch(`${server.url}/predict`, { method: "POST", body: form }))
        .json();
      if (answer.result === digit.label) continue;
      mistakes++;
      const correction = new FormData();
      correction.set(
        "img",
        new File([png as Uint8Array<ArrayBuffer>], "d.png", { type: "image/png" }),
      );
      correction.set("label", String(digit.label));
      correction.set("predicted", String(answer.result));
      correction.set("model", answer.model);
      const saved = await fetch(`${server.url}/feedback`, { method: "POST", body: correction });
      if (saved.status !== 201) {
        throw new Error(`POST /feedback: ${saved.status} ${await saved.text()}`);
      }
      await saved.body?.cancel();
    }
    records = await readFeedbackSource(server.url, TOKEN);
    if (records.length < 2) {
      throw new Error(
        `writer ${digits[0].writer}: ${mistakes} of ${half} first-half digits misread: too few ` +
          `corrections to train on (2 needed)`,
      );
    }
  } finally {
    await server.close();
    await store.close();
  }
  await Deno.remove(dir, { recursive: true });
  await initTrainingBackend();
  const onnx = await Deno.readFile(`${SHIPPED_MODELS}${name}.onnx`);
  const result = await retrain({
    name,
    onnx,
    metadata: JSON.parse(await Deno.readTextFile(`${SHIPPED_MODELS}${name}.json`)),
    examples: await feedbackExamples(records),
    mnist,
    options,
    log: () => {},
  });
  // The second half through the server's own decode and preprocessing.
  const second = digits.slice(half);
  const examples = [];
  for (const digit of second) {
    const field = mnistField((await decodeImage(await drawnPng(digit))).image);
    examples.push({ id: "", createdAt: "", label: digit.label, predicted: null, field });
  }
  const set = feedbackDigitSet(examples);
  const before = await accuracyOf(onnx, set);
  const after = await accuracyOf(result.onnx, set);
  return {
    writer: digits[0].writer,
    firstHalf: { count: half, mistakes },
    secondHalf: {
      count: second.length,
      errorsBefore: Math.round((1 - before) * second.length),
      errorsAfter: Math.round((1 - after) * second.length),
    },
    retrain: result,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The writer the proof uses: the first held-out one, fixed before any result was seen. */
export const PROOF_WRITER = 5;

if (import.meta.main) {
  const { loadPendigits } = await import("../training/pendigits.ts");
  const { loadMnist } = await import("../training/mnist_data.ts");
  const { defaultCacheDir } = await import("../training/mnist_files.ts");
  const data = new URL("../../shared/data/", import.meta.url).pathname;
  const writer = Number(Deno.env.get("PROOF_WRITER") ?? PROOF_WRITER);
  const steps = Number(Deno.env.get("PROOF_STEPS") ?? DEFAULT_FINE_TUNE.steps);
  const digits = (await loadPendigits(Deno.env.get("PENDIGITS_DIR") ?? `${data}pendigits`)).digits
    .filter((d) => d.writer === writer);
  const mnist = await loadMnist({
    dataDir: Deno.env.get("MNIST_DIR") ?? `${data}mnist`,
    cacheDir: defaultCacheDir(Deno.env.toObject()),
  });
  const options = {
    ...DEFAULT_FINE_TUNE,
    steps,
    learningRate: Number(Deno.env.get("PROOF_LR") ?? DEFAULT_FINE_TUNE.learningRate),
    feedbackShare: Number(Deno.env.get("PROOF_SHARE") ?? DEFAULT_FINE_TUNE.feedbackShare),
  };
  const r = await feedbackProof(digits, mnist, options);
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  console.log(
    `writer ${r.writer}: first half ${r.firstHalf.count} digits, ${r.firstHalf.mistakes} ` +
      `mistakes corrected through POST /feedback (${r.retrain.trainCount} trained on, ` +
      `${r.retrain.heldOut.count} held out); second half ${r.secondHalf.count} digits: ` +
      `${r.secondHalf.errorsBefore} errors before, ${r.secondHalf.errorsAfter} after; MNIST ` +
      `${pct(r.retrain.mnist.before)} -> ${pct(r.retrain.mnist.after)} ` +
      `(${r.retrain.accepted ? "written" : "refused: more than 0.1 point"}); ${
        JSON.stringify(options)
      }; ` +
      `${r.seconds.toFixed(0)} s`,
  );
}
