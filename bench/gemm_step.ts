/**
 * A whole training step with each matrix product kernel, in one process, the kernels
 * alternating step by step on the same batches (each sees the same load): BatchMatMul by way
 * of XNNPACK (wasm_fast_kernels.ts's transposes, as before wasm_gemm.ts), and wasm_gemm.ts's
 * kernel with plain multiply-adds and with fused ones. One thread, one copy of the model per
 * kernel, the training loop's own stepper (Adam included); the thread's own CPU per step.
 *
 * `deno run --allow-read --allow-env --allow-sys=loadavg --allow-ffi bench/gemm_step.ts` with
 * MNIST_DIR; BENCH_MODELS (default mlp), BENCH_ROUNDS (default 100, after 5 to warm up).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelName } from "../lib/model_metadata.ts";
import { buildModel, firstImages } from "../training/architectures.ts";
import { threadCpuIsExact, threadCpuMs } from "../training/step_timing.ts";
import { initTrainingBackend } from "../training/tf_backend.ts";
import { localStepper } from "../training/train_loop.ts";
import { gemmBatchMatMul, type Kernel } from "../training/wasm_gemm.ts";
import { relaxedMaddValid } from "../training/wasm_gemm_module.ts";
import { benchMnist, loadAverage, stepOptions } from "./training_bench.ts";

const MODELS = (Deno.env.get("BENCH_MODELS") ?? "mlp").split(",") as ModelName[];
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 100);
const WARM_UP = 5;

if (!threadCpuIsExact) console.error("gemm_step: grant --allow-ffi for the exact clock");
const mnist = await benchMnist("gemm_step");
await initTrainingBackend();
const registered = tf.getKernel("BatchMatMul", "wasm")!;
const kernel = (name: string) => tf.getKernel(name, "wasm")!.kernelFunc as unknown as Kernel;
/** What training's BatchMatMul falls back to: XNNPACK behind the fast kernels' transposes. */
const xnnpack = (registered.kernelFunc as unknown as { fallback?: Kernel }).fallback;
if (!xnnpack) throw new Error("gemm_step: training's BatchMatMul exposes no fallback kernel");
const variants: [string, Kernel][] = [
  ["XNNPACK", xnnpack],
  ["gemm mul+add", gemmBatchMatMul(xnnpack, kernel("Transpose"), { fused: false })],
  ...(relaxedMaddValid()
    ? [["gemm fma", gemmBatchMatMul(xnnpack, kernel("Transpose"), { fused: true })] as [
      string,
      Kernel,
    ]]
    : []),
];
let current = variants[0][1];
tf.unregisterKernel("BatchMatMul", "wasm");
tf.registerKernel({
  ...registered,
  kernelFunc: (args) => current(args as never) as never,
});

const set = firstImages(mnist.train, 3200);
console.log(
  `${ROUNDS} rounds, load average ${loadAverage()}; thread CPU ms per step, mean ` +
    "(and the quartiles)\n",
);
console.log(`| model | ${variants.map(([label]) => label).join(" | ")} |`);
console.log(`|---|${variants.map(() => "---").join("|")}|`);
for (const name of MODELS) {
  const options = stepOptions(name, 64);
  const steppers = await Promise.all(
    variants.map(() => localStepper(buildModel(name, 1), options)),
  );
  const times = variants.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS + WARM_UP; round++) {
    const start = (round * 64) % (set.count - 63);
    const indices = Uint32Array.from({ length: 64 }, (_, n) => start + n);
    const seeds = options.augment ? indices.map((n) => n * 2654435761) : null;
    for (const [side, stepper] of steppers.entries()) {
      current = variants[side][1];
      const before = threadCpuMs();
      await stepper.step({ set, indices, seeds, step: round }, options.learningRate);
      if (round >= WARM_UP) times[side].push(threadCpuMs() - before);
    }
  }
  for (const stepper of steppers) stepper.close();
  const cells = times.map((values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const q = (f: number) => sorted[Math.floor(f * (sorted.length - 1))].toFixed(2);
    return `${mean.toFixed(2)} (${q(0.25)}-${q(0.75)})`;
  });
  console.log(`| ${name} | ${cells.join(" | ")} |`);
}
console.log(`\nload average ${loadAverage()}`);
