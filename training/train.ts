/**
 * `deno task train`: trains the MLP, CNN and augmented CNN with TensorFlow.js,
 * exports each to ONNX, scores it with onnxruntime-web on MNIST's test set and
 * writes models/<name>.onnx + models/<name>.json atomically.
 *
 * @module
 */
import type { EpochRecord, ModelName } from "../lib/model_metadata.ts";
import { MNIST_NORMALISATION } from "../lib/model_metadata.ts";
import { writeFileAtomic } from "./atomic_write.ts";
import { buildModel, usesAugmentation } from "./architectures.ts";
import { Augmenter } from "./augment.ts";
import { augmentationSheet } from "./augmentation_sheet.ts";
import { DrawAugmenter } from "./draw_augment.ts";
import { prepareDrawData } from "./draw_data.ts";
import { drawMetadata } from "./draw_export.ts";
import { loadCheckpoint, type RunRecord, saveCheckpoint } from "./checkpoint.ts";
import { predictOnnx, scorePredictions } from "./evaluate.ts";
import { writeInt8Variant } from "./int8_variant.ts";
import { buildMetadata } from "./metadata.ts";
import { loadMnist, type Mnist, MnistDataError } from "./mnist_data.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { exportOnnx } from "./onnx_export.ts";
import { Random } from "./random.ts";
import { initTrainingBackend } from "./tf_backend.ts";
import { train } from "./train_loop.ts";
import {
  DEFAULT_EPOCHS,
  parseTrainArgs,
  TRAIN_USAGE,
  type TrainConfig,
  UsageError,
} from "./train_options.ts";

const PROJECT = new URL("../", import.meta.url);
const pathOf = (relative: string) => decodeURIComponent(new URL(relative, PROJECT).pathname);

function firstImages(set: DigitSet, limit: number | null): DigitSet {
  if (limit === null || limit >= set.count) return set;
  return {
    ...set,
    count: limit,
    images: set.images.subarray(0, limit * 784),
    labels: set.labels.subarray(0, limit),
  };
}

function epochLine(name: string, epochs: number, r: EpochRecord): string {
  return `${name} epoch ${r.epoch}/${epochs}: loss ${r.loss.toFixed(4)}, ` +
    `test accuracy ${(r.accuracy * 100).toFixed(2)}%, ${r.seconds.toFixed(1)} s, ` +
    `lr ${r.learningRate.toExponential(2)}`;
}

async function trainOne(name: ModelName, config: TrainConfig, mnist: Mnist, backend: string) {
  // `draw` trains on pen strokes and pen-rendered MNIST too (draw_data.ts).
  const trainSet = name === "draw"
    ? (await prepareDrawData(mnist, {
      seed: config.seed,
      pendigitsDir: config.pendigitsDir,
      limit: config.limit,
    })).train
    : firstImages(mnist.train, config.limit);
  const epochs = config.epochs ?? DEFAULT_EPOCHS[name];
  const model = buildModel(name, config.seed);
  const started = performance.now();
  const history = train(model, trainSet, mnist.test, {
    epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    schedule: config.schedule,
    augment: usesAugmentation(name),
    augmenter: name === "draw" ? new DrawAugmenter(new Random(config.seed + 1)) : undefined,
    seed: config.seed,
    normalisation: MNIST_NORMALISATION,
    label: name,
    onEpoch: (record) => console.log(epochLine(name, epochs, record)),
  });
  const run: RunRecord = {
    name,
    history,
    trainingSeconds: (performance.now() - started) / 1000,
    trainCount: trainSet.count,
    backend,
  };
  await saveCheckpoint(model, pathOf(`build/checkpoints/${name}`), run);
  return { model, run };
}

async function exportOne(name: ModelName, config: TrainConfig, mnist: Mnist, backend: string) {
  const { model, run } = config.fromCheckpoint
    ? await loadCheckpoint(`${config.fromCheckpoint}/${name}`)
    : await trainOne(name, config, mnist, backend);
  const onnx = exportOnnx(model, { name, description: `digitlab ${name}` });
  // Scored once here; the int8 twin compares its labels with these.
  const predictions = await predictOnnx(onnx, mnist.test, MNIST_NORMALISATION);
  const evaluation = scorePredictions(mnist.test.labels.subarray(0, mnist.test.count), predictions);
  console.log(
    `${name}: onnxruntime-web test accuracy ${(evaluation.accuracy * 100).toFixed(2)}% ` +
      `(${evaluation.correct}/${evaluation.count})`,
  );
  let sheet: string | undefined;
  if (usesAugmentation(name)) {
    sheet = `${name}-augmentations.png`;
    const random = new Random(config.seed);
    const augmenter = name === "draw" ? new DrawAugmenter(random) : new Augmenter(random);
    const png = augmentationSheet(mnist.train, augmenter);
    await writeFileAtomic(`${config.outDir}/${sheet}`, png);
  }
  const metadata = buildMetadata({
    name,
    model,
    run,
    evaluation,
    config,
    dataSha256: mnist.sha256,
    testCount: mnist.test.count,
    augmentationSheet: sheet,
  });
  // The models first, then their metadata: a reader never sees metadata without its model.
  await writeFileAtomic(`${config.outDir}/${name}.onnx`, onnx);
  const int8 = await writeInt8Variant({
    name,
    outDir: config.outDir,
    fp32: onnx,
    normalisation: MNIST_NORMALISATION,
    train: mnist.train,
    test: mnist.test,
    floatPredictions: predictions,
  });
  if (int8) {
    metadata.int8 = int8;
    console.log(`${name}: int8 test accuracy ${(int8.testAccuracy * 100).toFixed(2)}%`);
  }
  if (name === "draw") {
    const served = int8 ? int8.file : `${name}.onnx`;
    Object.assign(
      metadata,
      await drawMetadata({
        mnist,
        mnistCount: Math.min(config.limit ?? Infinity, mnist.train.count),
        pendigitsDir: config.pendigitsDir,
        served: { file: served, bytes: await Deno.readFile(`${config.outDir}/${served}`) },
        normalisation: MNIST_NORMALISATION,
      }),
    );
  }
  await writeFileAtomic(`${config.outDir}/${name}.json`, JSON.stringify(metadata, null, 2) + "\n");
  console.log(
    `${name}: wrote ${config.outDir}/${name}.onnx${int8 ? `, ${int8.file}` : ""} and ${name}.json`,
  );
  model.dispose();
}

async function main(args: string[]): Promise<void> {
  const config = parseTrainArgs(args, Deno.env.toObject(), pathOf("models"));
  if (config.help) {
    console.log(TRAIN_USAGE);
    return;
  }
  await Deno.mkdir(config.outDir, { recursive: true });
  const mnist = await loadMnist({ dataDir: config.dataDir, cacheDir: config.cacheDir });
  console.log(`data: ${mnist.source} (${mnist.train.count} train, ${mnist.test.count} test)`);
  const backend = await initTrainingBackend();
  console.log(`tfjs backend: ${backend}`);
  for (const name of config.models) await exportOne(name, config, mnist, backend);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}`);
      Deno.exit(2);
    }
    if (error instanceof MnistDataError || error instanceof Deno.errors.NotFound) {
      console.error(`error: ${(error as Error).message}`);
      Deno.exit(1);
    }
    throw error;
  }
}
