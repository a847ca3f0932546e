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
 * splits each stepping thread's mean step (one thread's, each worker's) into its phases
 * (step_timing.ts): augmentation, compute, the exchange's sum, Adam and weight load, and the
 * time each waited at the barriers for the other, in wall time and in that thread's own CPU
 * (exact: the task grants --allow-ffi for the thread's CPU clock, step_timing.ts). A third
 * splits the process's CPU per step into the stepping threads, the main thread and the
 * runtime's helper threads.
 *
 * BENCH_IMAGES (default 3200) sets the subset, BENCH_MODELS (comma-separated) the models,
 * BENCH_WORKERS (default: the number of cores) the workers.
 *
 * BENCH_INTERLEAVED=N measures instead N rounds of one step on one thread and one step on the
 * workers, alternating step by step on the same batches, and prints the process's CPU
 * milliseconds per step of each (on a shared machine whose load drifts by the minute, the
 * two sides of the ratio are then measured under the same load), then each stepping thread's
 * CPU per step by phase over the same rounds.
 *
 * @module
 */
import { MNIST_NORMALISATION, MODEL_NAMES, type ModelName } from "../lib/model_metadata.ts";
import { buildModel, firstImages, usesAugmentation } from "../training/architectures.ts";
import { initTrainingBackend } from "../training/tf_backend.ts";
import {
  formatTiming,
  type PhaseTimes,
  threadCpuIsExact,
  threadCpuMs,
  totalMs,
} from "../training/step_timing.ts";
import { localStepper, train, workerStepper } from "../training/train_loop.ts";
import { DEFAULT_WORKERS } from "../training/train_options.ts";
import { benchMnist, cpuSeconds, loadAverage as load, stepOptions } from "./training_bench.ts";

const SUBSET = Number(Deno.env.get("BENCH_IMAGES") ?? 3200);
const WORKERS = Number(Deno.env.get("BENCH_WORKERS") ?? DEFAULT_WORKERS);
const MODELS = (Deno.env.get("BENCH_MODELS")?.split(",") ?? MODEL_NAMES) as ModelName[];
const FULL_EPOCH = 60_000;
const INTERLEAVED = Number(Deno.env.get("BENCH_INTERLEAVED") ?? 0);

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
  const mainCpu: number[] = [];
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
      mainCpu.push(threadCpuMs());
      stepTimes = report.stepTimes;
    },
  });
  model.dispose();
  const total = (performance.now() - started) / 1000;
  // The second epoch's CPU: between the two epoch ends (with its scoring of one batch).
  return {
    epoch: seconds[1],
    cpu: cpu[1] - cpu[0],
    mainCpuMs: mainCpu[1] - mainCpu[0],
    startUp: total - seconds[1] - seconds[0],
    stepTimes,
  };
}

/** CPU ms per step of one thread and of the workers, alternating step by step. */
async function interleaved(name: ModelName, rounds: number) {
  const options = stepOptions(name, 64);
  const steppers = [
    await localStepper(buildModel(name, 1), options),
    await workerStepper(buildModel(name, 1), options, WORKERS),
  ];
  const set = slice(SUBSET);
  const cpu = [[], []] as number[][];
  const warmUp = 3;
  for (let round = 0; round < rounds + warmUp; round++) {
    // The phase means count from the first measured round.
    if (round === warmUp) { for (const stepper of steppers) stepper.timings(); }
    const start = (round * 64) % (set.count - 63);
    const indices = Uint32Array.from({ length: 64 }, (_, n) => start + n);
    const seeds = options.augment ? indices.map((n) => n * 2654435761) : null;
    for (const [side, stepper] of steppers.entries()) {
      const before = cpuSeconds();
      await stepper.step({ set, indices, seeds, step: round }, options.learningRate);
      if (round >= warmUp) cpu[side].push((cpuSeconds() - before) * 1000);
    }
  }
  const phases = steppers.map((stepper) => stepper.timings());
  for (const stepper of steppers) stepper.close();
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const [one, many] = cpu.map(mean);
  console.log(
    `| ${name} | ${rounds} | ${one.toFixed(1)} | ${many.toFixed(1)} | ` +
      `${(many / one).toFixed(3)} | ${load()} |`,
  );
  return phases.flatMap((times, side) =>
    times.map((time, rank) =>
      `| ${name} | ${side === 0 ? "1 thread" : `worker ${rank}`} | ${formatTiming(time.cpu)} | ` +
      `${totalMs(time.cpu).toFixed(1)} |`
    )
  );
}

/** How exact the per-thread CPU figures are (step_timing.ts's threadCpuMs). */
function clockNote(): string {
  return threadCpuIsExact
    ? "(the thread's CPU clock)"
    : "(getrusage, in 10 ms ticks: grant --allow-ffi for the exact clock)";
}

if (INTERLEAVED > 0) {
  console.log(
    `backend ${backend}, ${INTERLEAVED} rounds of one step on 1 thread, then one on ${WORKERS} ` +
      `workers, batch 64; load average ${load()}`,
  );
  console.log(
    `| model | rounds | 1 thread: CPU ms per step | ${WORKERS} workers: CPU ms per step | ` +
      "ratio | load average |\n|---|---|---|---|---|---|",
  );
  const phases: string[] = [];
  for (const name of MODELS) phases.push(...await interleaved(name, INTERLEAVED));
  console.log(
    `\nThe same rounds, each stepping thread's mean step by phase in its own CPU ms ${clockNote()}:\n`,
  );
  console.log("| model | thread | CPU ms per step | total |\n|---|---|---|---|");
  for (const line of phases) console.log(line);
  Deno.exit(0);
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
    // On one thread the main thread is the stepping thread.
    const main = run.mainCpuMs / steps - (label === "1 thread" ? threads : 0);
    cpuSplits.push(
      `| ${name} | ${label === "1 thread" ? 1 : WORKERS} | ${process.toFixed(1)} | ` +
        `${threads.toFixed(1)} | ${main.toFixed(1)} | ${(process - threads - main).toFixed(1)} |`,
    );
  }
}
console.log(
  "\nMean ms per step of each thread's second epoch, by phase (wall, then that thread's CPU " +
    `${clockNote()}):\n`,
);
console.log("| model | thread | wall ms per step | CPU ms per step |\n|---|---|---|---|");
for (const line of splits) console.log(line);
console.log(
  "\nCPU ms per step: the process (all threads), the stepping threads' sum, the main thread " +
    "outside steps (feeding the workers, the progress bar) and the rest (the runtime's " +
    "helper threads: garbage collection, compilation):\n",
);
console.log(
  "| model | threads | process | stepping threads | main thread | other threads |\n" +
    "|---|---|---|---|---|---|",
);
for (const line of cpuSplits) console.log(line);
