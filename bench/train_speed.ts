/**
 * `deno task bench:train`: seconds per training epoch for each architecture, on one thread and
 * on N workers (train_workers.ts) in the same run, measured on a fixed MNIST subset
 * (augmentation included) and extrapolated to 60,000 images. Batch 64, Adam, the same code
 * path as `deno task train`. Each figure is a second epoch over the subset: the first compiles
 * kernels and starts the workers (their start-up is printed apart).
 *
 * On a busy machine a thread's wall time says more about the scheduler than about the code, so
 * each figure also gives the CPU seconds all of the process's threads used (getrusage): on free
 * cores N workers take about (CPU seconds / N) of wall time, if they stay busy. A second table
 * splits the workers' mean step into its phases (step_timing.ts): augmentation, compute, the
 * exchange's sum, Adam and weight load, and the time each waited at the barriers for the other.
 *
 * BENCH_IMAGES (default 3200) sets the subset, BENCH_MODELS (comma-separated) the models,
 * BENCH_WORKERS (default: the number of cores) the workers.
 *
 * @module
 */
import { MNIST_NORMALISATION, MODEL_NAMES, type ModelName } from "../lib/model_metadata.ts";
import { buildModel, firstImages, usesAugmentation } from "../training/architectures.ts";
import { initTrainingBackend } from "../training/tf_backend.ts";
import { formatTiming, type PhaseTimes, totalMs } from "../training/step_timing.ts";
import { train } from "../training/train_loop.ts";
import { DEFAULT_WORKERS } from "../training/train_options.ts";
import { benchMnist, cpuSeconds, loadAverage as load } from "./training_bench.ts";

const SUBSET = Number(Deno.env.get("BENCH_IMAGES") ?? 3200);
const WORKERS = Number(Deno.env.get("BENCH_WORKERS") ?? DEFAULT_WORKERS);
const MODELS = (Deno.env.get("BENCH_MODELS")?.split(",") ?? MODEL_NAMES) as ModelName[];
const FULL_EPOCH = 60_000;

const mnist = await benchMnist("bench:train");
const backend = await initTrainingBackend();
const slice = (count: number) => firstImages(mnist.train, count);
// Scoring the test set is not part of an epoch's training cost: give it one batch.
const tinyTest = slice(64);

/** Wall and CPU seconds of the second epoch over the subset, and wall seconds before it. */
async function measure(name: ModelName, workers: number) {
  const model = buildModel(name, 1);
  const started = performance.now();
  const seconds: number[] = [];
  const cpu: number[] = [];
  let stepTimes: PhaseTimes[] = [];
  await train(model, slice(SUBSET), tinyTest, {
    epochs: 2,
    batchSize: 64,
    learningRate: 1e-3,
    schedule: "constant",
    augment: usesAugmentation(name),
    seed: 1,
    normalisation: MNIST_NORMALISATION,
    workers,
    architecture: { name, seed: 1 },
    label: `${name} on ${workers}`,
    onEpoch: (report) => {
      seconds.push(report.trainSeconds);
      cpu.push(cpuSeconds());
      stepTimes = report.stepTimes;
    },
  });
  model.dispose();
  const total = (performance.now() - started) / 1000;
  // The second epoch's CPU: between the two epoch ends (with its scoring of one batch).
  return {
    epoch: seconds[1],
    cpu: cpu[1] - cpu[0],
    startUp: total - seconds[1] - seconds[0],
    stepTimes,
  };
}

console.log(
  `backend ${backend}, ${SUBSET} images per measurement, batch 64, ${WORKERS} workers ` +
    `(${navigator.hardwareConcurrency} cores); load average ${load()}`,
);
console.log(
  "| model | 1 thread: s per 60k epoch (CPU s) | " +
    `${WORKERS} workers: s per 60k epoch (CPU s) | speedup | ` +
    `${WORKERS} workers on free cores: CPU s / ${WORKERS} | worker start-up s | load average |`,
);
console.log("|---|---|---|---|---|---|---|");
const splits: string[] = [];
const cpuSplits: string[] = [];
for (const name of MODELS) {
  const single = await measure(name, 1);
  const parallel = await measure(name, WORKERS);
  const perEpoch = (s: number) => s * FULL_EPOCH / SUBSET;
  console.log(
    `| ${name} | ${perEpoch(single.epoch).toFixed(1)} (${perEpoch(single.cpu).toFixed(1)}) | ` +
      `${perEpoch(parallel.epoch).toFixed(1)} (${perEpoch(parallel.cpu).toFixed(1)}) | ` +
      `${(single.epoch / parallel.epoch).toFixed(2)}x | ` +
      `${perEpoch(parallel.cpu / WORKERS).toFixed(1)} | ${parallel.startUp.toFixed(1)} | ` +
      `${load()} |`,
  );
  const steps = Math.ceil(SUBSET / 64);
  for (const [run, label] of [[single, "1 thread"], [parallel, "worker"]] as const) {
    run.stepTimes.forEach((times, rank) =>
      splits.push(
        `| ${name} | ${label === "worker" ? `worker ${rank}` : label} | ` +
          `${formatTiming(times.wall)} | ${formatTiming(times.cpu)} |`,
      )
    );
    const process = run.cpu * 1000 / steps;
    const threads = run.stepTimes.reduce((sum, times) => sum + totalMs(times.cpu), 0);
    cpuSplits.push(
      `| ${name} | ${run.stepTimes.length === 1 && label === "1 thread" ? 1 : WORKERS} | ` +
        `${process.toFixed(1)} | ${threads.toFixed(1)} | ${(process - threads).toFixed(1)} |`,
    );
  }
}
console.log(
  `\nMean ms per step of each thread's second epoch, by phase (wall, then that thread's CPU):\n`,
);
console.log("| model | thread | wall ms per step | CPU ms per step |\n|---|---|---|---|");
for (const line of splits) console.log(line);
console.log(
  "\nCPU ms per step: the process (all threads), the stepping threads' sum, and the rest " +
    "(the main thread's feeding and the runtime's helper threads):\n",
);
console.log("| model | threads | process | stepping threads | rest |\n|---|---|---|---|---|");
for (const line of cpuSplits) console.log(line);
