import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { gemmBatchMatMul, type Kernel, WasmGemm } from "./wasm_gemm.ts";
import { relaxedMaddValid } from "./wasm_gemm_module.ts";
import { registerWasmFastKernels } from "./wasm_fast_kernels.ts";

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

/** A's element (i, k) and B's (k, j) as stored with or without their transpose. */
function product(
  a: Float32Array,
  b: Float32Array,
  [m, k, n]: number[],
  transposeA: boolean,
  transposeB: boolean,
) {
  const at = (i: number, q: number) => a[transposeA ? q * m + i : i * k + q];
  const bt = (q: number, j: number) => b[transposeB ? j * k + q : q * n + j];
  const exact = new Float64Array(m * n), magnitude = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let q = 0; q < k; q++) {
        exact[i * n + j] += at(i, q) * bt(q, j);
        magnitude[i * n + j] += Math.abs(at(i, q) * bt(q, j));
      }
    }
  }
  return { exact, magnitude };
}

/**
 * Float32 sums in another order (blocks, fused multiply-adds) differ in the last bits: each
 * value must be within 1e-5 of the sum of its terms' magnitudes (an index error is off by
 * about the whole magnitude).
 */
function assertClose(
  actual: Float32Array,
  expected: Float32Array,
  magnitude: Float64Array,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((value, i) => {
    const error = Math.abs(value - expected[i]);
    assert(error <= 1e-5 * magnitude[i], `${what} [${i}]: ${value} vs ${expected[i]}`);
  });
}

/**
 * m x k times k x n: 1x1, the tails of the 4x8 block (rows, one vector, scalars) and of k's
 * fours, and the mlp's products.
 */
const SIZES = [
  [1, 1, 1],
  [5, 3, 11],
  [7, 17, 13],
  [13, 9, 23],
  [4, 4, 8],
  [12, 40, 19],
  [9, 131, 30],
  [64, 784, 392],
  [784, 64, 392],
  [64, 10, 392],
];

/** tfjs's own BatchMatMul (taken before the last test registers training's) and gemm's. */
let taken: { builtin: Kernel; gemm: Kernel; plain: Kernel } | undefined;

async function kernels() {
  assert(await tf.setBackend("wasm"), "wasm backend must start");
  if (taken) return taken;
  const kernel = (name: string) => tf.getKernel(name, "wasm")!.kernelFunc as unknown as Kernel;
  const builtin = kernel("BatchMatMul");
  return taken = {
    builtin,
    gemm: gemmBatchMatMul(builtin, kernel("Transpose")),
    plain: gemmBatchMatMul(builtin, kernel("Transpose"), { fused: false }),
  };
}

for (const variant of ["gemm", "plain"] as const) {
  const fma = variant === "gemm" && relaxedMaddValid();
  Deno.test(
    `gemm's BatchMatMul ${fma ? "with fused multiply-adds " : ""}matches tfjs's, transposed ` +
      `or not, with tails${variant === "plain" ? ", bit for bit untransposed" : ""}`,
    () => compareWithTfjs(variant),
  );
}

async function compareWithTfjs(variant: "gemm" | "plain") {
  const { builtin, [variant]: gemm } = await kernels();
  const backend = tf.backend() as unknown as Parameters<Kernel>[0]["backend"];
  for (const [m, k, n] of SIZES) {
    for (
      const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]]
    ) {
      const aValues = random(m * k, m + k), bValues = random(k * n, n + 7);
      const batch = m * n > 1000 ? [] : [1];
      const a = tf.tensor(aValues, [...batch, ...(transposeA ? [k, m] : [m, k])]);
      const b = tf.tensor(bValues, [...batch, ...(transposeB ? [n, k] : [k, n])]);
      const args = { inputs: { a, b }, backend, attrs: { transposeA, transposeB } };
      const [ours, theirs] = [gemm(args), builtin(args)];
      assert.deepEqual(ours.shape, theirs.shape);
      const { magnitude } = product(aValues, bValues, [m, k, n], transposeA, transposeB);
      const what = `${m}x${k}x${n} ${transposeA ? "Aᵀ" : "A"}·${transposeB ? "Bᵀ" : "B"}`;
      const values = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info) as Float32Array;
      assertClose(values(ours), values(theirs), magnitude, what);
      // Plain multiply-adds over k in order, as XNNPACK's kernel adds them (its transposed
      // path sums another way).
      if (variant === "plain" && !transposeA && !transposeB) {
        assert.deepEqual(values(ours), values(theirs), what);
      }
      for (const info of [ours, theirs]) backend.disposeData(info.dataId);
      tf.dispose([a, b]);
    }
  }
}

Deno.test("gemm defers to tfjs's kernel for batches of products", async () => {
  const { gemm } = await kernels();
  const backend = tf.backend() as unknown as Parameters<Kernel>[0]["backend"];
  const cases = [
    [tf.tensor(random(2 * 3 * 4, 1), [2, 3, 4]), tf.tensor(random(2 * 4 * 5, 2), [2, 4, 5])],
    [tf.tensor(random(3 * 2 * 3, 3), [3, 2, 3]), tf.tensor(random(3 * 3, 4), [1, 3, 3])],
    [tf.tensor(random(6, 5), [1, 2, 3]), tf.tensor(random(2 * 3 * 4, 6), [2, 3, 4])],
  ];
  for (const [a, b] of cases) {
    const out = gemm({
      inputs: { a, b },
      backend,
      attrs: { transposeA: false, transposeB: false },
    });
    const expected = tf.matMul(a, b);
    assert.deepEqual(out.shape, expected.shape);
    assert.deepEqual(Array.from(backend.typedArrayFromHeap(out)), Array.from(expected.dataSync()));
    backend.disposeData(out.dataId);
  }
});

Deno.test("a product over an empty shared dimension is zeros", async () => {
  const { gemm } = await kernels();
  const backend = tf.backend() as unknown as Parameters<Kernel>[0]["backend"];
  const [a, b] = [tf.zeros([3, 0]), tf.zeros([0, 4])];
  const out = gemm({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
  assert.deepEqual(out.shape, [3, 4]);
  assert.deepEqual(Array.from(backend.typedArrayFromHeap(out)), new Array(12).fill(0));
});

Deno.test("WasmGemm with and without fused multiply-add, any block shape, k in parts", () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const heap = new Float32Array(memory.buffer);
  const [m, k, n] = [11, 13, 21];
  const a = random(m * k, 3), b = random(k * n, 4);
  heap.set(a, 0);
  heap.set(b, 1024);
  const { exact, magnitude } = product(a, b, [m, k, n], false, false);
  const fusedOptions = relaxedMaddValid() ? [false, true] : [false];
  const shapes = [[4, 2, 256], [6, 2, 5], [3, 3, 4], [2, 4, 1], [1, 1, 256]];
  for (const [rows, vectors, depthBlock] of shapes) {
    for (const fused of fusedOptions) {
      // A guard value after C: the kernel writes C's values and nothing past them.
      heap.fill(NaN, 4096, 4096 + m * n + 8);
      new WasmGemm(memory, { rows, vectors, fused, depthBlock }).multiply(
        { address: 0, rowStride: k },
        { address: 4096, rowStride: n },
        { address: 4 * 4096, rowStride: n },
        { rows: m, cols: n, depth: k },
      );
      const c = heap.slice(4096, 4096 + m * n);
      const what = `${rows}x${vectors}, ${depthBlock} k a pass, fused ${fused}`;
      assertClose(c, Float32Array.from(exact), magnitude, what);
      assert(Number.isNaN(heap[4096 + m * n]), "wrote past C");
    }
  }
});

Deno.test("training's BatchMatMul is the gemm kernel with plain multiply-adds", async () => {
  const { builtin } = await kernels();
  registerWasmFastKernels();
  const registered = tf.getKernel("BatchMatMul", "wasm")!.kernelFunc as unknown as {
    fallback?: unknown;
  };
  assert(registered.fallback, "BatchMatMul is not gemmBatchMatMul");
  const backend = tf.backend() as unknown as Parameters<Kernel>[0]["backend"];
  const a = tf.tensor(random(9 * 30, 5), [9, 30]), b = tf.tensor(random(30 * 14, 6), [30, 14]);
  const theirs = builtin({
    inputs: { a, b },
    backend,
    attrs: { transposeA: false, transposeB: false },
  });
  assert.deepEqual(tf.matMul(a, b).dataSync(), backend.typedArrayFromHeap(theirs));
});
