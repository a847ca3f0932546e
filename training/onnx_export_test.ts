import * as tf from "@tensorflow/tfjs";
import { createSession, runBatch } from "../inference/onnx_runtime.ts";
import assert from "node:assert/strict";
import { MNIST_NORMALISATION, MODEL_NAMES } from "../lib/model_metadata.ts";
import { buildModel } from "./architectures.ts";
import { argmaxRows, loadTestSet, normaliseDigits } from "./evaluate.ts";
import { exportOnnx, UnsupportedLayerError } from "./onnx_export.ts";
import { initTrainingBackend } from "./tf_backend.ts";

const SAMPLES = 256;
const PIXELS = 28 * 28;

/** mulberry32: small, seeded, good enough for test data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 256 normalised digits: MNIST's first test images when MNIST_DIR is set, else random pixels. */
async function sampleInputs(): Promise<{ inputs: Float32Array; source: string }> {
  const dir = Deno.env.get("MNIST_DIR");
  if (dir) {
    const testSet = await loadTestSet(dir);
    const pixels = testSet.images.subarray(0, SAMPLES * PIXELS);
    return { inputs: normaliseDigits(pixels, MNIST_NORMALISATION), source: "MNIST test images" };
  }
  const next = random(7);
  const pixels = Uint8Array.from({ length: SAMPLES * PIXELS }, () => Math.floor(next() * 256));
  return { inputs: normaliseDigits(pixels, MNIST_NORMALISATION), source: "random pixels" };
}

/** Gives every BatchNormalization layer random statistics, so folding them is really tested. */
function randomiseBatchNorms(model: tf.LayersModel, seed: number) {
  const next = random(seed);
  const uniform = (n: number, low: number, high: number) =>
    tf.tensor1d(Array.from({ length: n }, () => low + (high - low) * next()));
  for (const layer of model.layers) {
    if (layer.getClassName() !== "BatchNormalization") continue;
    const channels = layer.getWeights()[0].shape[0];
    // Order: gamma, beta, moving mean, moving variance.
    const weights = [
      uniform(channels, 0.5, 1.5),
      uniform(channels, -0.5, 0.5),
      uniform(channels, -0.5, 0.5),
      uniform(channels, 0.3, 2),
    ];
    layer.setWeights(weights);
    tf.dispose(weights);
  }
}

/** tfjs and onnxruntime on the same inputs: largest logit difference and argmax disagreements. */
async function compare(model: tf.LayersModel, inputs: Float32Array) {
  const count = inputs.length / PIXELS;
  const expected = tf.tidy(() =>
    (model.predict(tf.tensor4d(inputs, [count, 28, 28, 1])) as tf.Tensor).dataSync()
  ) as Float32Array;
  const session = await createSession(exportOnnx(model));
  try {
    const { logits, probabilities } = await runBatch(session, inputs, count);
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(logits[i] - expected[i]));
    }
    const ours = argmaxRows(logits), theirs = argmaxRows(expected);
    const disagreements = ours.filter((label, i) => label !== theirs[i]).length;
    let worstSum = 0;
    for (let row = 0; row < count; row++) {
      const sum = probabilities.subarray(row * 10, row * 10 + 10).reduce((a, b) => a + b, 0);
      worstSum = Math.max(worstSum, Math.abs(sum - 1));
    }
    return { maxDiff, disagreements, worstSum, distinctLabels: new Set(theirs).size };
  } finally {
    await session.release();
  }
}

const backend = await initTrainingBackend();
const { inputs, source } = await sampleInputs();

for (const name of MODEL_NAMES) {
  Deno.test(`ONNX export of ${name} matches tfjs on ${SAMPLES} ${source} (${backend})`, async () => {
    const model = buildModel(name, 1234);
    randomiseBatchNorms(model, 99);
    try {
      const result = await compare(model, inputs);
      assert(result.disagreements === 0, `${result.disagreements} argmax disagreements`);
      assert(result.maxDiff <= 1e-4, `max |logit diff| ${result.maxDiff} > 1e-4`);
      assert(result.worstSum <= 1e-5, `probabilities sum off by ${result.worstSum}`);
      // An all-equal argmax would make the agreement check weak.
      assert(result.distinctLabels > 1, "every input got the same label");
    } finally {
      model.dispose();
    }
  });
}

Deno.test("ONNX export handles strides, valid/same padding and a BatchNorm after ReLU", async () => {
  const seed = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 6,
        kernelSize: 5,
        strides: 2,
        padding: "same",
        activation: "relu",
        kernelInitializer: seed(1),
      }),
      tf.layers.batchNormalization({ axis: -1 }),
      tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" }),
      tf.layers.conv2d({
        filters: 5,
        kernelSize: 3,
        padding: "valid",
        kernelInitializer: seed(2),
        biasInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 3 }),
      }),
      tf.layers.batchNormalization({ axis: -1 }),
      tf.layers.activation({ activation: "relu" }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 16, activation: "relu", kernelInitializer: seed(4) }),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 10, kernelInitializer: seed(5) }),
    ],
  });
  randomiseBatchNorms(model, 5);
  try {
    const result = await compare(model, inputs);
    assert(result.disagreements === 0, `${result.disagreements} argmax disagreements`);
    assert(result.maxDiff <= 1e-4, `max |logit diff| ${result.maxDiff} > 1e-4`);
  } finally {
    model.dispose();
  }
});

Deno.test("ONNX export names an unsupported layer or activation", () => {
  const cases = [
    [tf.layers.averagePooling2d({ inputShape: [28, 28, 1], poolSize: 2 }), "AveragePooling2D"],
    [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3, activation: "tanh" }),
      "tanh",
    ],
  ] as const;
  for (const [first, expected] of cases) {
    const model = tf.sequential({
      layers: [first, tf.layers.flatten(), tf.layers.dense({ units: 10 })],
    });
    let error: unknown;
    try {
      exportOnnx(model);
    } catch (caught) {
      error = caught;
    } finally {
      model.dispose();
    }
    assert(error instanceof UnsupportedLayerError, `expected UnsupportedLayerError, got ${error}`);
    assert(error.message.includes(expected), `message "${error.message}" lacks ${expected}`);
  }
});
