import assert from "node:assert/strict";
import { encodePng } from "../tests/helpers/png_encode.ts";
import { DEFAULT_FINE_TUNE } from "./fine_tune.ts";
import {
  defaultModel,
  feedbackMain,
  MAX_MNIST_DROP,
  refreshCalibration,
  retrain,
} from "./feedback_retrain.ts";
import { initTrainingBackend } from "./tf_backend.ts";
import { loadMnist } from "./mnist_data.ts";
import { renderHeldOut, scoreHeldOut } from "./held_out.ts";
import { loadPendigits, PENDIGITS_FILE, splitByWriter } from "./pendigits.ts";
import { MNIST_NORMALISATION } from "../lib/model_metadata.ts";

const MODELS = new URL("../models/", import.meta.url).pathname;
const MNIST_DIR = Deno.env.get("MNIST_DIR") ??
  new URL("../../shared/data/mnist/", import.meta.url).pathname;
const haveMnist = await Deno.stat(`${MNIST_DIR}/t10k-images-idx3-ubyte.gz`).then(
  () => true,
  () => false,
);
if (!haveMnist && Deno.env.get("CI") === "true") throw new Error(`no MNIST in ${MNIST_DIR}`);
const PENDIGITS_DIR = Deno.env.get("PENDIGITS_DIR") ??
  new URL("../../shared/data/pendigits/", import.meta.url).pathname;
const havePendigits = await Deno.stat(`${PENDIGITS_DIR}/${PENDIGITS_FILE}`).then(
  () => true,
  () => false,
);
if (!havePendigits && Deno.env.get("CI") === "true") {
  throw new Error(`no pendigits in ${PENDIGITS_DIR}`);
}

function context(runsDir: string) {
  const lines: string[] = [];
  return {
    lines,
    env: { MNIST_DIR, PENDIGITS_DIR, HOME: Deno.env.get("HOME") },
    modelsDir: MODELS,
    runsDir,
    log: (line: string) => lines.push(line),
    error: (line: string) => lines.push(line),
  };
}

Deno.test("train --feedback refuses to write into models/ without --force", async () => {
  const ctx = context("/nonexistent");
  const code = await feedbackMain(["--feedback", "x.jsonl", "--out", MODELS], ctx);
  assert.equal(code, 2);
  assert.match(ctx.lines.join("\n"), /--force/);
});

Deno.test("train --feedback refuses a --workers that is not a positive integer", async () => {
  for (const workers of ["0", "1.5", "two"]) {
    const ctx = context("/nonexistent");
    const code = await feedbackMain(["--feedback", "x.jsonl", "--workers", workers], ctx);
    assert.equal(code, 2);
    assert.match(ctx.lines.join("\n"), /--workers wants a positive integer/);
  }
});

Deno.test({
  name:
    "train --feedback EXPORT fine-tunes the default model, scores before and after, writes a new version",
  ignore: !haveMnist || !havePendigits,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "digitlab-feedback-retrain-" });
    try {
      // Ten MNIST training digits as a user's drawings (dark ink on white, as the page sends).
      const { train } = await loadMnist({ dataDir: MNIST_DIR, cacheDir: `${dir}/cache` });
      const lines = [];
      for (let n = 0; n < 10; n++) {
        const pixels = train.images.slice(n * 784, (n + 1) * 784).map((v) => 255 - v);
        const png = await encodePng(pixels, 28, 28, "grey");
        lines.push(JSON.stringify({
          id: `id-${n}`,
          label: train.labels[n],
          predicted: null,
          model: null,
          createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
          strokes: null,
          image: png.toBase64(),
          imageType: "image/png",
        }));
      }
      await Deno.writeTextFile(`${dir}/export.jsonl`, lines.join("\n") + "\n");
      const ctx = context(`${dir}/runs`);
      const code = await feedbackMain(
        ["--feedback", `${dir}/export.jsonl`, "--steps", "3", "--out", `${dir}/out`],
        ctx,
      );
      const said = ctx.lines.join("\n");
      assert.equal(code, 0, said);
      assert.match(said, /feedback: 10 examples/);
      assert.match(said, /before: held-out feedback [\d.]+% \(2\), MNIST test [\d.]+% \(10000\)/);
      assert.match(said, /after: held-out feedback [\d.]+%, MNIST test [\d.]+%/);
      const name = await defaultModel(MODELS);
      const metadata = JSON.parse(await Deno.readTextFile(`${dir}/out/${name}.json`));
      assert.equal(metadata.fineTune.feedbackExamples, 8);
      assert.equal(metadata.fineTune.heldOutExamples, 2);
      assert.match(metadata.version, /-feedback$/);
      assert.ok((await Deno.stat(`${dir}/out/${name}.onnx`)).size > 0);
      assert.ok((await Deno.stat(`${dir}/out/${name}.int8.onnx`)).size > 0);
      if (name === "draw") {
        // The temperature and ECE are those of the new file the server runs, measured again
        // here, not the old version's carried over.
        const served = metadata.int8?.file ?? `${name}.onnx`;
        const { heldOut } = splitByWriter((await loadPendigits(PENDIGITS_DIR)).digits);
        const report = await scoreHeldOut(
          await Deno.readFile(`${dir}/out/${served}`),
          renderHeldOut(heldOut),
          MNIST_NORMALISATION,
        );
        assert.equal(metadata.calibration.temperature, Number(report.temperature.toFixed(4)));
        assert.equal(metadata.calibration.eceAfter, Number(report.eceAfter.toFixed(6)));
        assert.equal(metadata.heldOut.accuracy, Number(report.overall.accuracy.toFixed(6)));
        assert.ok(metadata.calibration.data.endsWith(`; ${served}`), metadata.calibration.data);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "retrain marks a model that lost more than 0.1 point of MNIST as refused",
  ignore: !haveMnist,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "digitlab-feedback-gate-" });
    try {
      const mnist = await loadMnist({ dataDir: MNIST_DIR, cacheDir: `${dir}/cache` });
      await initTrainingBackend();
      const name = await defaultModel(MODELS);
      // Every "correction" says 0: a learning rate this high on it wrecks the model.
      const examples = Array.from({ length: 10 }, (_, n) => ({
        id: `${n}`,
        createdAt: `2026-01-01T00:00:0${n}Z`,
        label: 0,
        predicted: null,
        field: Float32Array.from(
          mnist.train.images.subarray(n * 784, (n + 1) * 784),
          (v) => v / 255,
        ),
      }));
      const result = await retrain({
        name,
        onnx: await Deno.readFile(`${MODELS}${name}.onnx`),
        metadata: {},
        examples,
        mnist,
        options: { ...DEFAULT_FINE_TUNE, steps: 10, learningRate: 0.05, feedbackShare: 1 },
        log: () => {},
      });
      assert.ok(
        result.mnist.after < result.mnist.before - MAX_MNIST_DROP,
        JSON.stringify(result.mnist),
      );
      assert.equal(result.accepted, false);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "without the held-out writers a fine-tuned version keeps no stale temperature",
  ignore: !haveMnist,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "digitlab-feedback-calibration-" });
    try {
      const mnist = await loadMnist({ dataDir: MNIST_DIR, cacheDir: `${dir}/cache` });
      const name = await defaultModel(MODELS);
      const metadata = JSON.parse(await Deno.readTextFile(`${MODELS}${name}.json`));
      metadata.calibration = { method: "temperature", temperature: 1.5 };
      metadata.heldOut = { accuracy: 0.99 };
      const served = { file: `${name}.onnx`, bytes: await Deno.readFile(`${MODELS}${name}.onnx`) };
      await refreshCalibration(name, metadata, served, mnist, undefined, () => {});
      assert.equal(metadata.calibration, undefined);
      assert.equal(metadata.heldOut, undefined);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
