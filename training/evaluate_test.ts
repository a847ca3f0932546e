import assert, { deepStrictEqual } from "node:assert/strict";
import { MNIST_NORMALISATION } from "../lib/model_metadata.ts";
import { brightestPixelModel, litPixelSet, writeTestSet } from "./eval_fixture.ts";
import {
  argmaxRows,
  evaluateOnnx,
  EvaluationError,
  loadTestSet,
  normaliseDigits,
  readNormalisation,
  scorePredictions,
} from "./evaluate.ts";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

Deno.test("normaliseDigits maps 0 and 255 through (pixel/255 - mean)/std", () => {
  const out = normaliseDigits(Uint8Array.of(0, 255, 51), { mean: 0.5, std: 0.25 });
  deepStrictEqual(Array.from(out), [-2, 2, -1.2000000476837158]);
});

Deno.test("argmaxRows picks each row's largest score, the first on a tie", () => {
  const scores = Float32Array.of(0, 3, 1, /**/ -1, -2, -1, /**/ 5, 5, 7);
  deepStrictEqual(Array.from(argmaxRows(scores, 3)), [1, 0, 2]);
});

Deno.test("scorePredictions counts accuracy, per-class accuracy and confusions", () => {
  const labels = Uint8Array.of(0, 0, 1, 1, 1, 2);
  const predictions = Uint8Array.of(0, 1, 1, 1, 2, 0);
  const result = scorePredictions(labels, predictions, 4);
  deepStrictEqual(result.count, 6);
  deepStrictEqual(result.correct, 3);
  deepStrictEqual(result.accuracy, 0.5);
  deepStrictEqual(result.perClassAccuracy, [0.5, 2 / 3, 0, 0]);
  deepStrictEqual(result.confusionMatrix, [[1, 1, 0, 0], [0, 2, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]]);
});

Deno.test("evaluateOnnx scores a model with known answers, whatever the batch size", async () => {
  // The model answers i*3 % 10; labels are i % 10: right only when i % 10 == 0 or 5.
  const set = litPixelSet(23, (i) => (i * 3) % 10, (i) => i % 10);
  const model = await brightestPixelModel();
  const expectedCorrect = Array.from({ length: 23 }, (_, i) => i).filter((i) => i % 5 === 0);
  for (const batchSize of [1, 7, 500]) {
    const result = await evaluateOnnx(model, set, MNIST_NORMALISATION, { batchSize });
    deepStrictEqual(result.correct, expectedCorrect.length, `batch size ${batchSize}`);
    deepStrictEqual(result.confusionMatrix[1][3], 3); // i = 1, 11, 21
    deepStrictEqual(result.perClassAccuracy[5], 1);
  }
});

Deno.test("loadTestSet reads the t10k files and names a missing one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = await rejection(loadTestSet(dir));
    assert(missing instanceof EvaluationError && missing.code === "missing_file", `${missing}`);
    assert(missing.message.includes("t10k-images-idx3-ubyte.gz"), missing.message);
    const set = litPixelSet(4, (i) => i, (i) => 9 - i);
    await writeTestSet(dir, set);
    const loaded = await loadTestSet(dir);
    deepStrictEqual(Array.from(loaded.labels), [9, 8, 7, 6]);
    deepStrictEqual(Array.from(loaded.images), Array.from(set.images));
    await Deno.writeFile(`${dir}/t10k-labels-idx1-ubyte.gz`, new Uint8Array([1, 2, 3]));
    const corrupt = await rejection(loadTestSet(dir));
    assert(corrupt instanceof EvaluationError && corrupt.code === "bad_file", `${corrupt}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readNormalisation reads the metadata beside the model, else MNIST's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    deepStrictEqual(await readNormalisation(`${dir}/a.onnx`), MNIST_NORMALISATION);
    const normalisation = { mean: 0.2, std: 0.4 };
    await Deno.writeTextFile(`${dir}/b.json`, JSON.stringify({ input: { normalisation } }));
    deepStrictEqual(await readNormalisation(`${dir}/b.onnx`), normalisation);
    await Deno.writeTextFile(`${dir}/c.json`, "{ not json");
    const bad = await rejection(readNormalisation(`${dir}/c.onnx`));
    assert(bad instanceof EvaluationError && bad.code === "bad_file", `${bad}`);
    const zeroStd = { input: { normalisation: { mean: 0, std: 0 } } };
    await Deno.writeTextFile(`${dir}/d.json`, JSON.stringify(zeroStd));
    assert(await rejection(readNormalisation(`${dir}/d.onnx`)) instanceof EvaluationError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
