import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { registerWasmFastKernels } from "./wasm_fast_kernels.ts";

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

/** Each probe runs the same ops on given data and returns every output flattened. */
const probes: Record<string, () => Float32Array[]> = {
  "matMul with transposes": () => {
    const a = tf.tensor2d(random(6 * 5, 1), [6, 5]);
    const b = tf.tensor2d(random(5 * 4, 2), [5, 4]);
    const c = tf.tensor2d(random(6 * 4, 3), [6, 4]);
    return [
      tf.matMul(a, b),
      tf.matMul(c, b, false, true),
      tf.matMul(a, c, true, false),
      tf.matMul(b, a, true, true),
      tf.matMul(
        tf.tensor3d(random(2 * 3 * 5, 4), [2, 3, 5]),
        tf.tensor3d(random(40, 5), [2, 4, 5]),
        false,
        true,
      ),
      // More columns than rows: multiplied as (Bᵀ·Aᵀ)ᵀ, each transpose flag on either side.
      ...[[false, false], [false, true], [true, false], [true, true]].map(([ta, tb]) =>
        tf.matMul(
          tf.tensor2d(random(3 * 7, 12), ta ? [7, 3] : [3, 7]),
          tf.tensor2d(random(7 * 9, 13), tb ? [9, 7] : [7, 9]),
          ta,
          tb,
        )
      ),
      tf.matMul(
        tf.tensor3d(random(2 * 6, 14), [1, 2, 6]),
        tf.tensor3d(random(6 * 11, 15), [1, 6, 11]),
      ),
    ].map((t) => t.dataSync() as Float32Array);
  },
  "maxPool gradient (2x2 valid, 3x3 stride 2 same)": () => {
    // Odd sizes: the 2x2 pool drops the last row and column.
    const x = tf.tensor4d(random(2 * 9 * 9 * 3, 6), [2, 9, 9, 3]);
    const pools: [number, number, "valid" | "same"][] = [[2, 2, "valid"], [3, 2, "same"]];
    return pools.map(([size, stride, pad]) =>
      tf.grad((v: tf.Tensor) =>
        tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, size, stride, pad), 1.5))
      )(x).dataSync() as Float32Array
    );
  },
  "tile of leading axes and others": () => {
    const c = tf.tensor4d(random(5, 8), [1, 1, 1, 5]);
    const m = tf.tensor2d(random(6, 9), [2, 3]);
    return [
      tf.tile(c, [3, 4, 2, 1]),
      tf.tile(c, [3, 1, 1, 1]),
      tf.tile(m, [2, 2]),
      tf.tile(tf.tensor2d(random(3, 10), [1, 3]), [7, 1]),
    ].map((t) => t.dataSync() as Float32Array);
  },
  "mean over leading and other axes": () => {
    const x = tf.tensor4d(random(3 * 4 * 5 * 6, 11), [3, 4, 5, 6]);
    return [tf.mean(x, [0, 1, 2]), tf.mean(x, [0, 1, 2], true), tf.mean(x, 2), tf.mean(x)]
      .map((t) => t.dataSync() as Float32Array);
  },
  "clones outliving their source and a variable's next value": () => {
    const source = tf.tensor2d(random(12, 16), [3, 4]);
    const copy = tf.clone(source);
    source.dispose();
    const variable = tf.variable(tf.tensor1d(random(5, 17)));
    const before = tf.clone(variable);
    variable.assign(tf.add(variable, 1));
    const values = [copy, before, variable].map((t) => t.dataSync() as Float32Array);
    variable.dispose();
    return values;
  },
  "sum over leading and other axes": () => {
    const x = tf.tensor4d(random(3 * 4 * 5 * 6, 7), [3, 4, 5, 6]);
    return [
      tf.sum(x, [0, 1, 2]),
      tf.sum(x, 0, true),
      tf.sum(x, [1, 3]),
      tf.sum(x),
      // 35 rows: eight four-row passes and three rows left.
      tf.sum(tf.tensor3d(random(7 * 5 * 3, 23), [7, 5, 3]), [0, 1]),
    ].map((t) => t.dataSync() as Float32Array);
  },
};

Deno.test("fast wasm kernels match the cpu backend", async () => {
  await tf.setBackend("cpu");
  const expected = Object.fromEntries(
    Object.entries(probes).map(([name, probe]) => [name, tf.tidy(probe)]),
  );
  assert(await tf.setBackend("wasm"), "wasm backend must start");
  registerWasmFastKernels();
  for (const [name, probe] of Object.entries(probes)) {
    const actual = tf.tidy(probe);
    actual.forEach((values, i) => {
      const want = expected[name][i];
      assert(values.length === want.length, `${name} #${i}: length ${values.length}`);
      const err = values.reduce((m, v, j) => Math.max(m, Math.abs(v - want[j])), 0);
      assert(err <= 1e-5, `${name} #${i}: max error ${err}`);
    });
  }
});
