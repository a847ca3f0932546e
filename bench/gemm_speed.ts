/**
 * How fast the training's matrix products run against this CPU's wasm SIMD peak, in one
 * process, the variants alternating call by call (so each sees the same load):
 *
 * - the peak: a hand-assembled loop of 12 independent f32x4 multiply-adds, as f32x4.mul then
 *   f32x4.add, and as f32x4.relaxed_madd (one fused multiply-add on x64 with FMA);
 * - tfjs's BatchMatMul on wasm as training ran it before wasm_gemm.ts (XNNPACK behind
 *   wasm_fast_kernels.ts's transposes), each call on new tensors as a training step's are
 *   (XNNPACK packs its right operand anew for each new tensor);
 * - wasm_gemm.ts's kernel (gemmBatchMatMul) for several block shapes, fused or not.
 *
 * `deno run --allow-read --allow-env --allow-sys=loadavg --allow-ffi bench/gemm_speed.ts`;
 * BENCH_ROUNDS (default 40), BENCH_SHAPES (default the mlp's two products, e.g.
 * `64x784x392,784Tx64x392`: rows x depth x columns, T for a transposed A, tB for a transposed
 * B), BENCH_BLOCKS (default `4x2`: rows x vectors), BENCH_DEPTH_BLOCKS (default 128: k per
 * pass, GemmOptions.depthBlock). CPU is the thread's own
 * clock (exact with --allow-ffi).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { threadCpuIsExact, threadCpuMs } from "../training/step_timing.ts";
import { initTrainingBackend } from "../training/tf_backend.ts";
import { gemmBatchMatMul, type Kernel } from "../training/wasm_gemm.ts";
import { relaxedMaddValid, simd, wasmModule } from "../training/wasm_gemm_module.ts";
import { loadAverage } from "./training_bench.ts";

const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 40);
const SHAPES = (Deno.env.get("BENCH_SHAPES") ?? "64x784x392,784Tx64x392").split(",");
const BLOCKS = (Deno.env.get("BENCH_BLOCKS") ?? "4x2").split(",");
const DEPTH_BLOCKS = (Deno.env.get("BENCH_DEPTH_BLOCKS") ?? "128").split(",").map(Number);

/** 12 independent accumulators, `count` times: acc = acc·x + y (x, y constants). */
function peakLoop(fused: boolean): (count: number) => void {
  const { V128, GET, SET, I32_CONST, I32_ADD, I32_NE, LOOP, END, BR_IF, VOID } = simd;
  const CHAINS = 12, COUNT = 0, X = 1, Y = 2, ACC = 3;
  // 0.999 and 1e-4 as float32 bits: the chains settle near 0.1, never subnormal or infinite.
  const bits = (value: number) => [...new Uint8Array(Float32Array.of(value).buffer)];
  const step = (c: number) =>
    fused
      ? [GET, ACC + c, GET, X, GET, Y, ...simd.madd, SET, ACC + c]
      : [GET, ACC + c, GET, X, ...simd.mul, GET, Y, ...simd.add, SET, ACC + c];
  const code = [
    ...[...simd.splat(bits(0.999)), SET, X, ...simd.splat(bits(1e-4)), SET, Y],
    ...[LOOP, VOID, ...Array.from({ length: CHAINS }, (_, c) => step(c)).flat()],
    ...[GET, COUNT, I32_CONST, 0x7f, I32_ADD, simd.TEE, COUNT, I32_CONST, 0, I32_NE, BR_IF, 0],
    END,
    // Stored, so the engine cannot drop the chains as dead code.
    ...Array.from({ length: CHAINS }, (_, c) => [I32_CONST, 0, GET, ACC + c, ...simd.store(16 * c)])
      .flat(),
  ];
  const bytes = wasmModule([{
    name: "peak",
    params: [0x7f],
    locals: [V128, V128, ...new Array(CHAINS).fill(V128)],
    code,
  }]);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return instance.exports.peak as (count: number) => void;
}

/** `rows x depth x cols`, with T after rows for a transposed A and tB at the end for B. */
function parseShape(text: string) {
  const match = /^(\d+)(T?)x(\d+)x(\d+)(tB)?$/.exec(text);
  if (!match) throw new Error(`BENCH_SHAPES: ${text} is not like 64x784x392 or 784Tx64x392`);
  const [, m, ta, k, n, tb] = match;
  return { m: +m, k: +k, n: +n, transposeA: ta === "T", transposeB: tb === "tB", text };
}

if (!threadCpuIsExact) console.error("gemm_speed: grant --allow-ffi for the exact clock");
await initTrainingBackend();
const backend = tf.backend() as unknown as Parameters<Kernel>[0]["backend"];
// What training's BatchMatMul (gemmBatchMatMul) defers to: XNNPACK behind the transposes.
const trainingKernel = (tf.getKernel("BatchMatMul", "wasm")!.kernelFunc as unknown as {
  fallback: Kernel;
}).fallback;
const transpose = tf.getKernel("Transpose", "wasm")!.kernelFunc as unknown as Kernel;
const fma = relaxedMaddValid();
const variants: [string, Kernel][] = [["tfjs (XNNPACK)", trainingKernel]];
for (const block of BLOCKS) {
  const [rows, vectors] = block.split("x").map(Number);
  for (const depthBlock of DEPTH_BLOCKS) {
    for (const fused of fma ? [false, true] : [false]) {
      variants.push([
        `gemm ${block}, ${depthBlock} k${fused ? ", fma" : ""}`,
        gemmBatchMatMul(trainingKernel, transpose, { rows, vectors, fused, depthBlock }),
      ]);
    }
  }
}

const PEAK_COUNT = 200_000;
const peaks: [string, (count: number) => void][] = [
  ["peak f32x4 mul+add", peakLoop(false)],
  ...(fma ? [["peak f32x4 relaxed_madd", peakLoop(true)] as [string, (n: number) => void]] : []),
];
const times = new Map<string, number[]>();
const book = (key: string, ms: number) => times.set(key, [...(times.get(key) ?? []), ms]);
const flops = new Map<string, number>();
for (const [label] of peaks) flops.set(label, PEAK_COUNT * 12 * 8);

const shapes = SHAPES.map(parseShape);
const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
for (let round = 0; round < ROUNDS + 2; round++) {
  const measured = round >= 2;
  for (const [label, peak] of peaks) {
    const start = threadCpuMs();
    peak(PEAK_COUNT);
    if (measured) book(label, threadCpuMs() - start);
  }
  for (const shape of shapes) {
    const { m, k, n, transposeA, transposeB } = shape;
    const aValues = random(m * k), bValues = random(k * n);
    for (const [label, kernel] of variants) {
      // New tensors each call, as a training step's operands are.
      const a = tf.tensor(aValues, transposeA ? [k, m] : [m, k]);
      const b = tf.tensor(bValues, transposeB ? [n, k] : [k, n]);
      const start = threadCpuMs();
      const out = kernel({
        inputs: { a, b },
        backend,
        attrs: { transposeA, transposeB },
      });
      const ms = threadCpuMs() - start;
      const key = `${shape.text}: ${label}`;
      if (measured) book(key, ms);
      flops.set(key, 2 * m * n * k);
      backend.disposeData(out.dataId);
      tf.dispose([a, b]);
    }
  }
}

const sorted = (values: number[]) => [...values].sort((x, y) => x - y);
console.log(
  `${ROUNDS} rounds, load average ${loadAverage()}, fma ${fma}; thread CPU ms per call ` +
    "(median, and the middle half's range), GFLOP/s at the median\n",
);
console.log("| what | CPU ms | middle half | GFLOP/s |\n|---|---|---|---|");
for (const [key, values] of times) {
  const s = sorted(values);
  const median = s[Math.floor(s.length / 2)];
  const low = s[Math.floor(s.length / 4)], high = s[Math.floor((3 * s.length) / 4)];
  const gflops = flops.get(key)! / median / 1e6;
  console.log(
    `| ${key} | ${median.toFixed(3)} | ${low.toFixed(3)}-${high.toFixed(3)} | ${
      gflops.toFixed(1)
    } |`,
  );
}
