import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import {
  registerWasmConvGradients,
  rotatedFilter,
  stridedOnePatches,
} from "./wasm_conv_kernels.ts";

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: "same" | "valid";
}

const cases: Case[] = [
  { x: [2, 8, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: "same" },
  { x: [3, 7, 9, 2], filter: [3, 3, 2, 5], strides: 1, pad: "valid" },
  { x: [2, 9, 9, 2], filter: [5, 5, 2, 3], strides: 1, pad: "same" },
  { x: [2, 10, 11, 3], filter: [3, 3, 3, 2], strides: 2, pad: "same" },
  { x: [1, 12, 12, 1], filter: [4, 4, 1, 2], strides: 2, pad: "valid" },
  // Few input channels take the im2col path.
  { x: [4, 10, 10, 1], filter: [3, 3, 1, 6], strides: 1, pad: "same" },
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: "valid" },
];

/** Gradients of sum(conv(x, w) * r) with respect to x and w. */
function gradients(c: Case, x: Float32Array, w: Float32Array, r: Float32Array) {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, c.x);
    const wt = tf.tensor4d(w, c.filter);
    const outShape = tf.conv2d(xt, wt, c.strides, c.pad).shape;
    const rt = tf.tensor(r.subarray(0, outShape.reduce((a, b) => a * b)), outShape);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), rt))
    );
    return g([xt, wt]).map((t) => t.dataSync() as Float32Array);
  });
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0, norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    norm = Math.max(norm, Math.abs(expected[i]));
  }
  return diff / Math.max(norm, 1e-12);
}

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

Deno.test("wasm conv gradient kernels match the cpu backend", async () => {
  const inputs = cases.map((c, i) => ({
    c,
    x: random(c.x.reduce((a, b) => a * b), 1 + i),
    w: random(c.filter.reduce((a, b) => a * b), 100 + i),
    r: random(4096, 200 + i),
  }));
  await tf.setBackend("cpu");
  const expected = inputs.map(({ c, x, w, r }) => gradients(c, x, w, r));
  assert(await tf.setBackend("wasm"), "wasm backend must start");
  registerWasmConvGradients();
  inputs.forEach(({ c, x, w, r }, i) => {
    const [dx, dw] = gradients(c, x, w, r);
    const errX = relativeError(dx, expected[i][0]);
    const errW = relativeError(dw, expected[i][1]);
    assert(errX <= 1e-4, `case ${i} dx relative error ${errX}`);
    assert(errW <= 1e-4, `case ${i} dW relative error ${errW}`);
  });
});

Deno.test("the rotated filter is tfjs's Reverse of both spatial axes, then its channels swapped", async () => {
  await tf.setBackend("cpu");
  for (
    const shape of [[3, 3, 2, 5], [5, 4, 3, 1], [1, 1, 4, 4]] as [number, number, number, number][]
  ) {
    const values = random(shape.reduce((a, b) => a * b), 7);
    const expected = tf.tidy(() =>
      tf.transpose(tf.reverse(tf.tensor4d(values, shape), [0, 1]), [0, 1, 3, 2]).dataSync()
    );
    const actual = new Float32Array(values.length);
    rotatedFilter(values, shape, actual);
    assert.deepStrictEqual(actual, expected, `filter ${shape}`);
  }
});

Deno.test("im2col patches overwrite every value of reused memory, padding with zeros", () => {
  for (const c of cases.filter((c) => c.strides === 1)) {
    const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, 1, 1, c.pad);
    const [b, h, w, ci] = c.x;
    const channelsFirst = random(b * h * w * ci, 9);
    const { outHeight, outWidth, filterHeight, filterWidth } = info;
    const positions = b * outHeight * outWidth;
    const patches = new Float32Array(filterHeight * filterWidth * ci * positions).fill(NaN);
    stridedOnePatches(channelsFirst, info, patches);
    const expected = new Float32Array(patches.length);
    for (let fh = 0; fh < filterHeight; fh++) {
      for (let fw = 0; fw < filterWidth; fw++) {
        for (let q = 0; q < ci * b; q++) {
          for (let oh = 0; oh < outHeight; oh++) {
            for (let ow = 0; ow < outWidth; ow++) {
              const y = oh + fh - info.padInfo.top, x = ow + fw - info.padInfo.left;
              const row = (fh * filterWidth + fw) * ci * b + q;
              expected[row * outHeight * outWidth + oh * outWidth + ow] =
                y < 0 || y >= h || x < 0 || x >= w ? 0 : channelsFirst[(q * h + y) * w + x];
            }
          }
        }
      }
    }
    assert.deepStrictEqual(patches, expected, `case ${c.x} ${c.filter} ${c.pad}`);
  }
});
