import assert, { deepStrictEqual } from "node:assert/strict";
import { createSession, runBatch } from "../inference/onnx_runtime.ts";
import { argmaxRows } from "./evaluate.ts";
import { ModelProto } from "./onnx_schema.ts";
import { NothingToQuantizeError, quantizeOnnx } from "./quantize.ts";
import { Random } from "./random.ts";

const models = new URL("../models/", import.meta.url);

/** Normalised 28x28 images of a few random thick strokes: digit-like enough for the CNNs. */
function strokes(count: number, seed: number): Float32Array {
  const random = new Random(seed);
  const out = new Float32Array(count * 784).fill(-0.4242);
  for (let n = 0; n < count; n++) {
    for (let s = 0; s < 3; s++) {
      const [x0, y0, x1, y1] = [0, 0, 0, 0].map(() => 5 + random.next() * 18);
      for (let t = 0; t <= 1; t += 0.02) {
        const x = Math.round(x0 + (x1 - x0) * t), y = Math.round(y0 + (y1 - y0) * t);
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) out[n * 784 + (y + dy) * 28 + x + dx] = 2.8215;
        }
      }
    }
  }
  return out;
}

async function outputs(bytes: Uint8Array, input: Float32Array, batch: number) {
  const session = await createSession(bytes);
  try {
    return await runBatch(session, input, batch);
  } finally {
    await session.release();
  }
}

Deno.test("quantizeOnnx runs cnn-aug's inner convolutions in int8 and keeps its answers", async () => {
  const fp32 = await Deno.readFile(new URL("cnn-aug.onnx", models));
  const quantized = await quantizeOnnx(fp32, strokes(200, 1), 200);
  deepStrictEqual(quantized.quantized, ["conv2d_Conv2D2.weight", "conv2d_Conv2D3.weight"]);

  const graph = ModelProto.toObject(ModelProto.decode(quantized.bytes)).graph;
  const ops = graph.node.map((node: { op_type: string }) => node.op_type);
  deepStrictEqual(ops.filter((op: string) => op === "QLinearConv").length, 2);
  // The 1-channel first convolution stays float: onnxruntime's int8 kernel is slower there.
  deepStrictEqual(ops.filter((op: string) => op === "Conv").length, 1);

  const input = strokes(256, 2);
  const float = await outputs(fp32, input, 256);
  const int8 = await outputs(quantized.bytes, input, 256);
  const floatLabels = argmaxRows(float.logits), int8Labels = argmaxRows(int8.logits);
  let agree = 0, worst = 0;
  for (let i = 0; i < 256; i++) agree += Number(floatLabels[i] === int8Labels[i]);
  for (let i = 0; i < int8.probabilities.length; i++) {
    worst = Math.max(worst, Math.abs(int8.probabilities[i] - float.probabilities[i]));
  }
  assert(agree >= 250, `int8 and float agree on ${agree}/256 labels`);
  assert(worst < 0.1, `largest probability difference ${worst}`);
});

Deno.test("quantizeOnnx refuses a model with no convolution to quantize", async () => {
  const mlp = await Deno.readFile(new URL("mlp.onnx", models));
  let error: unknown;
  try {
    await quantizeOnnx(mlp, strokes(10, 3), 10);
  } catch (caught) {
    error = caught;
  }
  assert(error instanceof NothingToQuantizeError, `expected NothingToQuantizeError, got ${error}`);
});

Deno.test("quantizeOnnx checks the calibration batch's size", async () => {
  const cnn = await Deno.readFile(new URL("cnn.onnx", models));
  let error: unknown;
  try {
    await quantizeOnnx(cnn, new Float32Array(700), 1);
  } catch (caught) {
    error = caught;
  }
  assert(error instanceof RangeError, `expected RangeError, got ${error}`);
});
