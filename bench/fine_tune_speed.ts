/**
 * `deno task bench:finetune`: seconds to fine-tune the served default model (models/, as
 * `deno task train --feedback` does) on 1,000 corrections plus MNIST replay, with the default
 * recipe (DEFAULT_FINE_TUNE: steps, batch, feedback share, augmentation), on one thread and on
 * N workers in the same run. Worker start-up counts: it is part of every fine-tune.
 *
 * The corrections are 1,000 MNIST test digits labelled as answered wrong: the loop's cost does
 * not depend on what the images show, and no accuracy is reported here (bench:retrain proves
 * that feedback pays). Each figure also gives the CPU seconds of all of the process's threads.
 *
 * BENCH_STEPS (default: the recipe's) sets the steps, BENCH_WORKERS (default: the number of
 * cores) the workers.
 *
 * @module
 */
import { buildModel, firstImages } from "../training/architectures.ts";
import { defaultModel } from "../training/feedback_retrain.ts";
import { DEFAULT_FINE_TUNE, fineTune } from "../training/fine_tune.ts";
import { loadOnnxWeights } from "../training/onnx_weights.ts";
import { initTrainingBackend } from "../training/tf_backend.ts";
import { DEFAULT_WORKERS } from "../training/train_options.ts";
import { benchMnist, cpuSeconds, loadAverage as load } from "./training_bench.ts";

const CORRECTIONS = 1_000;
const STEPS = Number(Deno.env.get("BENCH_STEPS") ?? DEFAULT_FINE_TUNE.steps);
const WORKERS = Number(Deno.env.get("BENCH_WORKERS") ?? DEFAULT_WORKERS);
const MODELS = new URL("../models/", import.meta.url).pathname;

const mnist = await benchMnist("bench:finetune");
const backend = await initTrainingBackend();
const name = await defaultModel(MODELS);
const onnx = await Deno.readFile(`${MODELS}/${name}.onnx`);
const corrections = firstImages(mnist.test, CORRECTIONS);
const everyOne = Array.from({ length: CORRECTIONS }, (_, i) => i);

async function measure(workers: number) {
  const options = { ...DEFAULT_FINE_TUNE, steps: STEPS, workers };
  const model = buildModel(name, options.seed);
  loadOnnxWeights(model, onnx);
  const [wall, cpu] = [performance.now(), cpuSeconds()];
  const loss = await fineTune(model, corrections, mnist.train, options, everyOne, {
    name,
    seed: options.seed,
  });
  const seconds = (performance.now() - wall) / 1000;
  model.dispose();
  return { seconds, cpu: cpuSeconds() - cpu, loss };
}

console.log(
  `backend ${backend}, ${name}, ${CORRECTIONS} corrections + MNIST replay, ${STEPS} steps of ` +
    `${DEFAULT_FINE_TUNE.batchSize} (${navigator.hardwareConcurrency} cores); load ${load()}`,
);
console.log("| workers | seconds (CPU s) | last loss | load average |");
console.log("|---|---|---|---|");
for (const workers of [1, WORKERS]) {
  const { seconds, cpu, loss } = await measure(workers);
  console.log(
    `| ${workers} | ${seconds.toFixed(1)} (${cpu.toFixed(1)}) | ${loss.toFixed(4)} | ${load()} |`,
  );
}
