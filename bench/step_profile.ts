/**
 * Where one training step's CPU goes, kernel by kernel: every wasm kernel is wrapped to book
 * its exclusive CPU time on the stepping thread's own clock (a kernel that runs another, as
 * the convolution gradients do, is charged only its own part), and what no kernel ran (tfjs's
 * engine, the gradient tape, tfjs-layers) is booked as "outside kernels". One thread, steps of
 * BENCH_BATCH images (default 64; the workers' slice of 64 is 32) through the same stepper as
 * `deno task train --workers 1`, Adam included.
 *
 * `deno run --allow-read --allow-env --allow-sys=loadavg --allow-ffi bench/step_profile.ts`
 * with MNIST_DIR; BENCH_MODELS (default cnn,cnn-aug), BENCH_STEPS (default 20, after 3 to warm
 * up), BENCH_BATCH. The clock is exact only with --allow-ffi (step_timing.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelName } from "../lib/model_metadata.ts";
import { buildModel, firstImages } from "../training/architectures.ts";
import { threadCpuIsExact, threadCpuMs } from "../training/step_timing.ts";
import { initTrainingBackend } from "../training/tf_backend.ts";
import { localStepper } from "../training/train_loop.ts";
import { benchMnist, loadAverage, stepOptions } from "./training_bench.ts";

const MODELS = (Deno.env.get("BENCH_MODELS") ?? "cnn,cnn-aug").split(",") as ModelName[];
const STEPS = Number(Deno.env.get("BENCH_STEPS") ?? 20);
const BATCH = Number(Deno.env.get("BENCH_BATCH") ?? 64);
const WARM_UP = 3;

/** Exclusive CPU ms and calls per kernel, keyed by name and the first input's shape. */
const booked = new Map<string, { ms: number; calls: number }>();
/** The CPU ms already booked to kernels nested in each running kernel. */
const nested: number[] = [];

function book(key: string, ms: number): void {
  const entry = booked.get(key) ?? { ms: 0, calls: 0 };
  entry.ms += ms;
  entry.calls++;
  booked.set(key, entry);
}

const wrapped = new Set<string>();

/**
 * Re-registers every wasm kernel not yet wrapped with a wrapper that books its exclusive CPU.
 * Called again after the first step: fast_batch_norm.ts registers its kernels on first use.
 */
function wrapKernels(): void {
  for (const config of tf.getKernelsForBackend("wasm")) {
    if (wrapped.has(config.kernelName)) continue;
    wrapped.add(config.kernelName);
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, "wasm");
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const first = Object.values(args.inputs)[0];
        const key = `${config.kernelName} ${first ? `[${first.shape}]` : ""}`;
        nested.push(0);
        const start = threadCpuMs();
        try {
          return inner(args);
        } finally {
          const total = threadCpuMs() - start;
          const inside = nested.pop()!;
          book(key, total - inside);
          if (nested.length) nested[nested.length - 1] += total;
        }
      },
    });
  }
}

async function profile(name: ModelName, set: ReturnType<typeof firstImages>) {
  const options = stepOptions(name, BATCH);
  const stepper = await localStepper(buildModel(name, 1), options);
  let stepMs = 0;
  for (let round = 0; round < STEPS + WARM_UP; round++) {
    if (round === 1) wrapKernels();
    if (round === WARM_UP) {
      booked.clear();
      stepper.timings();
    }
    const start = (round * BATCH) % (set.count - BATCH + 1);
    const indices = Uint32Array.from({ length: BATCH }, (_, n) => start + n);
    const seeds = options.augment ? indices.map((n) => n * 2654435761) : null;
    const before = threadCpuMs();
    await stepper.step({ set, indices, seeds, step: round }, options.learningRate);
    if (round >= WARM_UP) stepMs += threadCpuMs() - before;
  }
  const [{ cpu }] = stepper.timings();
  stepper.close();
  const rows = [...booked].map(([key, { ms, calls }]) => ({ key, ms: ms / STEPS, calls }));
  const inKernels = rows.reduce((sum, row) => sum + row.ms, 0);
  rows.push({ key: "augmentation (fillBatch)", ms: cpu.augment, calls: 0 });
  rows.push({ key: "outside kernels", ms: stepMs / STEPS - inKernels - cpu.augment, calls: 0 });
  rows.sort((a, b) => b.ms - a.ms);
  const step = stepMs / STEPS;
  console.log(
    `\n${name}, batch ${BATCH}: ${step.toFixed(1)} CPU ms per step (${STEPS} steps), ` +
      `load ${loadAverage()}\n\n| kernel [first input] | calls per step | CPU ms | share |\n` +
      "|---|---|---|---|",
  );
  for (const row of rows) {
    if (row.ms < 0.05) continue;
    console.log(
      `| ${row.key} | ${row.calls ? (row.calls / STEPS).toFixed(0) : "-"} | ` +
        `${row.ms.toFixed(2)} | ${(100 * row.ms / step).toFixed(1)}% |`,
    );
  }
}

if (!threadCpuIsExact) console.error("step_profile: grant --allow-ffi for the exact clock");
const mnist = await benchMnist("step_profile");
await initTrainingBackend();
wrapKernels();
const set = firstImages(mnist.train, 2560);
for (const name of MODELS) await profile(name, set);
