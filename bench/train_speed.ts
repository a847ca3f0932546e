/**
 * `deno task bench:train`: seconds per training epoch for each architecture,
 * measured on a fixed MNIST subset (augmentation included) and extrapolated to
 * 60,000 images. Batch 64, Adam, the same code path as `deno task train`.
 *
 * @module
 */
import { MNIST_NORMALISATION, MODEL_NAMES } from "../lib/model_metadata.ts";
import { buildModel, usesAugmentation } from "../training/architectures.ts";
import { loadMnist } from "../training/mnist_data.ts";
import { initTrainingBackend } from "../training/tf_backend.ts";
import { train } from "../training/train_loop.ts";

const SUBSET = Number(Deno.env.get("BENCH_IMAGES") ?? 3200);
const WARMUP = 320;
const FULL_EPOCH = 60_000;

const dataDir = Deno.env.get("MNIST_DIR");
if (!dataDir) {
  console.error("bench:train needs MNIST: set MNIST_DIR to the folder of the four .gz files");
  Deno.exit(1);
}
const mnist = await loadMnist({ dataDir, cacheDir: "", quiet: true });
const backend = await initTrainingBackend();
const slice = (count: number) => ({
  ...mnist.train,
  count,
  images: mnist.train.images.subarray(0, count * 784),
  labels: mnist.train.labels.subarray(0, count),
});
// Scoring the test set is not part of an epoch's training cost: give it one batch.
const tinyTest = { ...slice(64) };

console.log(`backend ${backend}, ${SUBSET} images per measurement, batch 64`);
console.log("| model | s per 60k epoch | ms per batch | images/s |");
console.log("|---|---|---|---|");
for (const name of MODEL_NAMES) {
  const model = buildModel(name, 1);
  const options = {
    epochs: 1,
    batchSize: 64,
    learningRate: 1e-3,
    schedule: "constant" as const,
    augment: usesAugmentation(name),
    seed: 1,
    normalisation: MNIST_NORMALISATION,
  };
  await train(model, slice(WARMUP), tinyTest, options); // compiles kernels, sizes buffers
  const started = performance.now();
  await train(model, slice(SUBSET), tinyTest, options);
  const seconds = (performance.now() - started) / 1000;
  const perEpoch = seconds * FULL_EPOCH / SUBSET;
  const perBatch = seconds * 1000 / Math.ceil(SUBSET / 64);
  console.log(
    `| ${name} | ${perEpoch.toFixed(1)} | ${perBatch.toFixed(1)} | ${
      (SUBSET / seconds).toFixed(0)
    } |`,
  );
  model.dispose();
}
