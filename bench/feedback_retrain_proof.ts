/**
 * The proof that feedback pays (issue #15): one held-out pendigits writer as one user. The
 * user is chosen by a rule fixed before any result: the held-out writer whose first half the
 * served default model misreads most (see {@link pickWriter}; only first-half answers are
 * looked at). The user draws as people do on the page: every digit at the three sizes and
 * places of the handwriting tests (stroke_field.ts's PLACEMENTS), each a 280 px PNG. Their first
 * half goes through POST /predict on a real server; each mistake is corrected through POST
 * /feedback (and, with `confirmRight`, each right answer confirmed with the page's "Right",
 * also a POST /feedback); `retrain` (what `deno task train --feedback URL` runs) fine-tunes the
 * served model on the server's export; then the writer's second half, drawn the same three
 * ways, is read by the model before and after. `deno task bench:retrain` runs it.
 *
 * @module
 */
import { coverageToRgba, renderStrokes } from "../lib/stroke_raster.ts";
import { openSqliteStore } from "../feedback/sqlite_store.ts";
import { feedbackExamples, readFeedbackSource } from "../training/feedback_examples.ts";
import {
  DEFAULT_FINE_TUNE,
  feedbackDigitSet,
  type FineTuneOptions,
} from "../training/fine_tune.ts";
import {
  accuracyOf,
  defaultModel,
  retrain,
  type RetrainResult,
} from "../training/feedback_retrain.ts";
import type { Mnist } from "../training/mnist_data.ts";
import { fitStrokes, type PenDigit, type UnitBox } from "../training/pendigits.ts";
import { PLACEMENTS } from "../training/stroke_field.ts";
import { initTrainingBackend } from "../training/tf_backend.ts";
import { encodePng } from "../tests/helpers/png_encode.ts";
import { SHIPPED_MODELS, startTestServer } from "../tests/helpers/test_server.ts";
import { decodeImage } from "../inference/image_decode.ts";
import { mnistField } from "../lib/preprocess.ts";

const TOKEN = "proof-admin-token-0123456789";
const PAD = 280;

/** A pen digit drawn as the page would send it: a 280 px PNG, the digit in `box` of the pad. */
export async function drawnPng(digit: PenDigit, box: UnitBox): Promise<Uint8Array> {
  const strokes = fitStrokes(digit.strokes, box);
  const rgba = coverageToRgba(renderStrokes(strokes, { size: PAD }));
  return await encodePng(new Uint8Array(rgba.buffer), PAD, PAD, "rgba");
}

/** Every digit at every placement, in writing order (a digit's three drawings together). */
export function drawings(digits: readonly PenDigit[]): { digit: PenDigit; box: UnitBox }[] {
  return digits.flatMap((digit) => PLACEMENTS.map(({ box }) => ({ digit, box })));
}

/** The field the server reads for a drawing: its PNG through the server's decode and recipe. */
async function servedField(digit: PenDigit, box: UnitBox): Promise<Float32Array> {
  return mnistField((await decodeImage(await drawnPng(digit, box))).image);
}

/**
 * The proof's user, by a rule stated in advance: of the held-out writers, the one whose first
 * half (drawn the three ways) `onnx` misreads most; ties go to the lower writer number. Only
 * first-half answers are looked at, so the second half, which the proof scores, plays no part.
 */
export async function pickWriter(
  heldOut: readonly PenDigit[],
  onnx: Uint8Array,
): Promise<{ writer: number; firstHalfErrors: Map<number, number> }> {
  const firstHalfErrors = new Map<number, number>();
  for (const writer of [...new Set(heldOut.map((d) => d.writer))].sort((a, b) => a - b)) {
    const digits = heldOut.filter((d) => d.writer === writer);
    const first = drawings(digits.slice(0, Math.floor(digits.length / 2)));
    const examples = await Promise.all(first.map(async ({ digit, box }) => ({
      id: "",
      createdAt: "",
      label: digit.label,
      predicted: null,
      field: await servedField(digit, box),
    })));
    firstHalfErrors.set(
      writer,
      Math.round((1 - await accuracyOf(onnx, feedbackDigitSet(examples))) * examples.length),
    );
  }
  let writer = -1;
  for (const [w, errors] of firstHalfErrors) {
    if (writer === -1 || errors > firstHalfErrors.get(writer)!) writer = w;
  }
  return { writer, firstHalfErrors };
}

export interface ProofOptions {
  fineTune: FineTuneOptions;
  /** Also tap "Right" on the answers that were right (stored as feedback, as the page does). */
  confirmRight: boolean;
}

export interface ProofResult {
  writer: number;
  firstHalf: { count: number; mistakes: number; confirmed: number };
  secondHalf: { count: number; errorsBefore: number; errorsAfter: number };
  retrain: RetrainResult;
  seconds: number;
}

/**
 * Runs the proof for `digits` (one writer's, in writing order) with the default model (`draw`,
 * else cnn-aug).
 */
export async function feedbackProof(
  digits: PenDigit[],
  mnist: Mnist,
  options: ProofOptions,
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
  const first = drawings(digits.slice(0, half));
  let mistakes = 0, confirmed = 0;
  let records;
  try {
    for (const { digit, box } of first) {
      const png = await drawnPng(digit, box);
      const file = () => new File([png as Uint8Array<ArrayBuffer>], "d.png", { type: "image/png" });
      const form = new FormData();
      form.set("img", file());
      const answer = await (await fetch(`${server.url}/predict`, { method: "POST", body: form }))
        .json();
      const right = answer.result === digit.label;
      if (right && !options.confirmRight) continue;
      if (right) confirmed++;
      else mistakes++;
      const feedback = new FormData();
      feedback.set("img", file());
      feedback.set("label", String(digit.label));
      feedback.set("predicted", String(answer.result));
      feedback.set("model", answer.model);
      const saved = await fetch(`${server.url}/feedback`, { method: "POST", body: feedback });
      if (saved.status !== 201) {
        throw new Error(`POST /feedback: ${saved.status} ${await saved.text()}`);
      }
      await saved.body?.cancel();
    }
    records = await readFeedbackSource(server.url, TOKEN);
    if (records.length < 2) {
      throw new Error(
        `writer ${digits[0].writer}: ${mistakes} of ${first.length} first-half drawings misread: ` +
          `too few corrections to train on (2 needed)`,
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
    options: options.fineTune,
    log: () => {},
  });
  // The second half, drawn the same three ways, through the server's decode and preprocessing.
  const second = drawings(digits.slice(half));
  const examples = [];
  for (const { digit, box } of second) {
    const field = await servedField(digit, box);
    examples.push({ id: "", createdAt: "", label: digit.label, predicted: null, field });
  }
  const set = feedbackDigitSet(examples);
  const before = await accuracyOf(onnx, set);
  const after = await accuracyOf(result.onnx, set);
  return {
    writer: digits[0].writer,
    firstHalf: { count: first.length, mistakes, confirmed },
    secondHalf: {
      count: second.length,
      errorsBefore: Math.round((1 - before) * second.length),
      errorsAfter: Math.round((1 - after) * second.length),
    },
    retrain: result,
    seconds: (performance.now() - started) / 1000,
  };
}

if (import.meta.main) {
  const { HELD_OUT_WRITERS, loadPendigits, splitByWriter } = await import(
    "../training/pendigits.ts"
  );
  const { loadMnist } = await import("../training/mnist_data.ts");
  const { defaultCacheDir } = await import("../training/mnist_files.ts");
  const data = new URL("../../shared/data/", import.meta.url).pathname;
  const pendigits = await loadPendigits(Deno.env.get("PENDIGITS_DIR") ?? `${data}pendigits`);
  const { heldOut } = splitByWriter(pendigits.digits, HELD_OUT_WRITERS);
  const name = await defaultModel(SHIPPED_MODELS);
  const chosen = await pickWriter(heldOut, await Deno.readFile(`${SHIPPED_MODELS}${name}.onnx`));
  const writer = Number(Deno.env.get("PROOF_WRITER") ?? chosen.writer);
  console.log(
    `${name}: first-half drawings misread per held-out writer: ${
      [...chosen.firstHalfErrors].map(([w, e]) => `${w}: ${e}`).join(", ")
    }; the rule picks writer ${chosen.writer}${
      writer === chosen.writer ? "" : `; PROOF_WRITER=${writer}`
    }`,
  );
  const mnist = await loadMnist({
    dataDir: Deno.env.get("MNIST_DIR") ?? `${data}mnist`,
    cacheDir: defaultCacheDir(Deno.env.toObject()),
  });
  const env = (key: string, fallback: number) => Number(Deno.env.get(key) ?? fallback);
  const options: ProofOptions = {
    fineTune: {
      ...DEFAULT_FINE_TUNE,
      steps: env("PROOF_STEPS", DEFAULT_FINE_TUNE.steps),
      learningRate: env("PROOF_LR", DEFAULT_FINE_TUNE.learningRate),
      feedbackShare: env("PROOF_SHARE", DEFAULT_FINE_TUNE.feedbackShare),
      augmentFeedback: Deno.env.has("PROOF_AUGMENT")
        ? Deno.env.get("PROOF_AUGMENT") === "1"
        : DEFAULT_FINE_TUNE.augmentFeedback,
      correctionShare: env("PROOF_CORRECTIONS", DEFAULT_FINE_TUNE.correctionShare),
    },
    confirmRight: Deno.env.get("PROOF_RIGHT") !== "0",
  };
  const r = await feedbackProof(heldOut.filter((d) => d.writer === writer), mnist, options);
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  console.log(
    `writer ${r.writer}: first half ${r.firstHalf.count} drawings (3 per digit), ` +
      `${r.firstHalf.mistakes} mistakes corrected and ${r.firstHalf.confirmed} right answers ` +
      `confirmed through POST /feedback (${r.retrain.trainCount} trained on, ` +
      `${r.retrain.heldOut.count} held out); second half ${r.secondHalf.count} drawings: ` +
      `${r.secondHalf.errorsBefore} errors before, ${r.secondHalf.errorsAfter} after; MNIST ` +
      `${pct(r.retrain.mnist.before)} -> ${pct(r.retrain.mnist.after)} ` +
      `(${r.retrain.accepted ? "written" : "refused: more than 0.1 point"}); ` +
      `${JSON.stringify(options)}; ${r.seconds.toFixed(0)} s`,
  );
}
