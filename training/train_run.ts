/**
 * One training run's work per model: train (or continue a checkpoint), export to ONNX, score,
 * quantize, and write the model's set of files all or nothing. `train.ts` is the command line
 * around it.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { ModelName } from "../lib/model_metadata.ts";
import { MNIST_NORMALISATION } from "../lib/model_metadata.ts";
import {
  ARCHITECTURES,
  augmenterFor,
  averageLastFor,
  averageRateFor,
  buildModel,
  distillationFor,
  negativesFor,
  widthFor,
  workersFor,
} from "./architectures.ts";
import { augmentationSheet } from "./augmentation_sheet.ts";
import {
  applyWeights,
  type Checkpoint,
  readWeights,
  type RunRecord,
  saveCheckpoint,
} from "./checkpoint.ts";
import { predictOnnx, scorePredictions } from "./evaluate.ts";
import { CALIBRATION_DIGITS, makeInt8Variant } from "./int8_variant.ts";
import { buildMetadata } from "./metadata.ts";
import { teacherRecord } from "./distillation.ts";
import type { Mnist } from "./mnist_data.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { exitCleanlyOnSignal, ModelSetWriter } from "./model_set.ts";
import { exportOnnx } from "./onnx_export.ts";
import { Random } from "./random.ts";
import { formatRemaining, RunClock } from "./run_clock.ts";
import { FolderError, type RunPlan } from "./run_folder.ts";
import { train } from "./train_loop.ts";
import { DEFAULT_WORKERS } from "./train_options.ts";
import { meanWeights } from "./weight_average.ts";

/** The steps of one model, in order; a test's hook throws at one to interrupt the run there. */
export type Step =
  | "train"
  | "checkpoint saved"
  | "export"
  | "test pass"
  | "sheet"
  | "int8"
  | "int8 scoring"
  | "commit";

/** Where a run reports, and the test seams. */
export interface RunOutput {
  log: (line: string) => void;
  error: (line: string) => void;
  /** Test seams: called as each step of a model starts, and between two renames of a commit. */
  hooks?: {
    step?: (model: ModelName, step: Step) => void | Promise<void>;
    afterRename?: (file: string) => void;
  };
}

/** 60,000 */
export const count = (n: number) => n.toLocaleString("en-US");
const percent = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;

/** One run: its plan, data, clock and where each model's checkpoint is. */
export class TrainingRun {
  readonly clock: RunClock;

  constructor(
    readonly plan: RunPlan,
    readonly mnist: Mnist,
    /** What each model trains on (architectures.ts: MNIST's first --limit by default). */
    readonly trainSets: Map<ModelName, DigitSet>,
    readonly testSet: DigitSet,
    readonly backend: string,
    readonly context: RunOutput,
    readonly checkpoints: Map<ModelName, Checkpoint | null>,
    /** UCI pendigits, for the models whose metadata scores held-out writers (draw). */
    readonly pendigitsDir?: string,
    /** Threads sharing each mini-batch (train_workers.ts); null = each model's default. */
    readonly workers: number | null = 1,
  ) {
    this.clock = new RunClock(
      plan.models.filter((name) => !plan.exported.includes(name)).map((name) => ({
        name,
        epochs: this.epochsOf(name),
        epochsDone: checkpoints.get(name)?.loop.epochsDone ?? 0,
        guessSeconds: ARCHITECTURES[name].epochSeconds * trainSets.get(name)!.count / 60_000,
      })),
    );
  }

  epochsOf(name: ModelName): number {
    return this.plan.recipe.epochs ?? ARCHITECTURES[name].defaultEpochs;
  }

  /** The threads `name` trains on (--workers, else its default). */
  workersFor(name: ModelName): number {
    return workersFor(name, this.workers, DEFAULT_WORKERS);
  }

  /** "3,000 of 60,000 images" for MNIST's own, else the count of the model's own set. */
  describeTrainSet(name: ModelName): string {
    const { count: n } = this.trainSets.get(name)!;
    return ARCHITECTURES[name].trainSet
      ? `${count(n)} images`
      : `${count(n)} of ${count(this.mnist.train.count)} images`;
  }

  checkpointDir(name: ModelName): string {
    return `${this.plan.runDir}/checkpoints/${name}`;
  }

  async step(name: ModelName, step: Step): Promise<void> {
    await this.context.hooks?.step?.(name, step);
  }

  /** What to run to pick up from `name`'s last checkpoint. */
  resumeHint(name: ModelName): string {
    const checkpoint = this.checkpoints.get(name);
    const saved = checkpoint
      ? `${name}'s checkpoint (epoch ${checkpoint.loop.epochsDone}/${this.epochsOf(name)}) is ` +
        `in ${this.checkpointDir(name)}`
      : `${name} has no checkpoint yet`;
    return `${saved}; continue with: deno task train --resume ${this.plan.runDir} ` +
      `(add --out DIR to write the models elsewhere)`;
  }

  /** Trains `name` (or continues its checkpoint) and returns the model with its record. */
  async trainModel(
    name: ModelName,
    index: number,
  ): Promise<{ model: tf.LayersModel; run: RunRecord }> {
    const { plan, testSet, context } = this;
    const trainSet = this.trainSets.get(name)!;
    const epochs = this.epochsOf(name);
    const checkpoint = this.checkpoints.get(name) ?? null;
    if (checkpoint && checkpoint.run.trainCount !== trainSet.count) {
      throw new FolderError(
        `${this.checkpointDir(name)} was trained on ${checkpoint.run.trainCount} images, ` +
          `this run has ${trainSet.count}`,
      );
    }
    const width = widthFor(name, plan.recipe.width);
    const model = buildModel(name, plan.recipe.seed, width);
    if (checkpoint) applyWeights(model, checkpoint.weights);
    const average = checkpoint?.loop.average;
    let run: RunRecord = checkpoint?.run ?? {
      name,
      history: [],
      trainingSeconds: 0,
      trainCount: trainSet.count,
      backend: this.backend,
      recipe: { ...plan.recipe, epochs },
    };
    const done = checkpoint?.loop.epochsDone ?? 0;
    const position = `model ${index + 1}/${plan.models.length}`;
    if (done >= epochs) {
      context.log(`${name} (${position}): all ${epochs} epochs in its checkpoint; exporting`);
      // What train() leaves in the model after its last epoch (weight_average.ts).
      if (average) applyWeights(model, meanWeights(average, checkpoint.weights));
      return { model, run };
    }
    await this.step(name, "train");
    const threads = this.workersFor(name);
    const distillation = distillationFor(name, plan.recipe);
    context.log(
      `${name} (${position}): ${done > 0 ? `resuming after epoch ${done} of` : "training"} ` +
        `${epochs} epoch${epochs === 1 ? "" : "s"} on ${this.describeTrainSet(name)}, ` +
        `${threads} thread${threads === 1 ? "" : "s"}` +
        (distillation ? `, learning from ${distillation.teacher} too` : ""),
    );
    const before = run.trainingSeconds;
    const started = performance.now();
    await train(model, trainSet, testSet, {
      epochs,
      batchSize: plan.recipe.batchSize,
      learningRate: plan.recipe.learningRate,
      schedule: plan.recipe.schedule,
      augment: ARCHITECTURES[name].augment,
      seed: plan.recipe.seed,
      normalisation: MNIST_NORMALISATION,
      evalEvery: plan.recipe.evalEvery,
      workers: threads,
      architecture: { name, seed: plan.recipe.seed, width },
      averageLast: averageLastFor(name, plan.recipe.averageLast),
      averageLearningRate: averageRateFor(name, plan.recipe.averageLearningRate),
      distillation,
      resume: checkpoint ? { loop: checkpoint.loop, optimizer: checkpoint.optimizer } : undefined,
      progressLabel: (epoch) =>
        `${name} (${position}) epoch ${epoch + 1}/${epochs}, ` +
        `${formatRemaining(this.clock.remainingSeconds())} left in all`,
      onEpoch: async ({ record, trainSeconds, state, readOptimizer }) => {
        this.clock.epochDone(name, record.seconds);
        run = {
          ...run,
          history: [...state.history],
          trainingSeconds: before + (performance.now() - started) / 1000,
        };
        const saved: Checkpoint = {
          run,
          loop: { ...state, order: Uint32Array.from(state.order), history: run.history },
          optimizer: await readOptimizer(),
          weights: readWeights(model),
        };
        await saveCheckpoint(this.checkpointDir(name), saved);
        this.checkpoints.set(name, saved);
        const left = this.clock.remainingSeconds();
        const accuracy = record.accuracy === undefined
          ? "not scored (--eval-every)"
          : `${percent(record.accuracy)} (${count(testSet.count)} images)` +
            (record.averageAccuracy === undefined
              ? ""
              : `, mean of the last ${state.average!.epochs} epochs' weights ${
                percent(record.averageAccuracy)
              }`);
        context.log(
          `${name} (${position}) epoch ${record.epoch}/${epochs}: loss ${
            record.loss.toFixed(4)
          }, ` +
            `test accuracy ${accuracy}, ${record.seconds.toFixed(1)} s, ` +
            `${count(Math.round(trainSet.count / trainSeconds))} img/s, ` +
            `lr ${record.learningRate.toExponential(2)}; ` +
            (left > 0 ? `${formatRemaining(left)} of training left in all` : "training done"),
        );
        await this.step(name, "checkpoint saved");
      },
    });
    return { model, run };
  }

  /** Exports, scores and quantizes `name`, then writes its set of files all or nothing. */
  async exportModel(name: ModelName, model: tf.LayersModel, run: RunRecord): Promise<void> {
    const set = new ModelSetWriter(this.plan.outDir, name);
    const say = (signal: Deno.Signal, written: boolean) =>
      this.context.error(
        written
          ? `${signal}: stopped after writing ${name} to ${this.plan.outDir}; ` +
            this.resumeHint(name)
          : `${signal}: stopped while exporting ${name}; nothing of it was written to ` +
            `${this.plan.outDir}; ${this.resumeHint(name)}`,
      );
    try {
      await exitCleanlyOnSignal(set, say, () => this.#export(name, model, run, set));
    } finally {
      await set.abort();
    }
  }

  async #export(
    name: ModelName,
    model: tf.LayersModel,
    run: RunRecord,
    set: ModelSetWriter,
  ): Promise<void> {
    const { plan, testSet, mnist, context } = this;
    const outDir = plan.outDir;
    await this.step(name, "export");
    context.log(`${name}: exporting to ONNX`);
    const onnx = exportOnnx(model, { name, description: `digitlab ${name}` });
    await set.stage(`${name}.onnx`, onnx);

    await this.step(name, "test pass");
    context.log(`${name}: test pass on ${count(testSet.count)} images (onnxruntime-web)`);
    // Scored once here; the int8 twin compares its labels with these.
    const predictions = await predictOnnx(onnx, testSet, MNIST_NORMALISATION);
    const evaluation = scorePredictions(testSet.labels.subarray(0, testSet.count), predictions);
    context.log(
      `${name}: onnxruntime-web test accuracy ${percent(evaluation.accuracy)} ` +
        `(${evaluation.correct}/${evaluation.count})`,
    );

    let sheet: string | undefined;
    if (ARCHITECTURES[name].augment) {
      await this.step(name, "sheet");
      sheet = `${name}-augmentations.png`;
      const augmenter = augmenterFor(name, new Random(plan.recipe.seed))!;
      await set.stage(sheet, augmentationSheet(mnist.train, augmenter));
    }

    await this.step(name, "int8");
    const trainSet = this.trainSets.get(name)!;
    const calibration = Math.min(CALIBRATION_DIGITS, trainSet.count);
    context.log(`${name}: int8: quantizing, calibrated on ${count(calibration)} training digits`);
    const int8 = await makeInt8Variant({
      name,
      fp32: onnx,
      normalisation: MNIST_NORMALISATION,
      // The first of the images it trained on: all 60k's first 2,000 for the full recipe.
      train: trainSet,
      test: testSet,
      floatPredictions: predictions,
      onQuantized: async (layers) => {
        context.log(
          `${name}: int8: ${layers.length} convolution${layers.length === 1 ? "" : "s"} ` +
            `quantized; ` +
            `test pass on ${count(testSet.count)} images`,
        );
        await this.step(name, "int8 scoring");
      },
    });
    if (int8) {
      await set.stage(int8.variant.file, int8.bytes);
      context.log(`${name}: int8 test accuracy ${percent(int8.variant.testAccuracy)}`);
    } else {
      context.log(`${name}: int8: no convolution to quantize; it runs float`);
    }

    const metadata = buildMetadata({
      name,
      model,
      run,
      evaluation,
      dataSha256: mnist.sha256,
      testCount: testSet.count,
      augmentationSheet: sheet,
      teacher: await teacherRecord(distillationFor(name, run.recipe)),
    });
    if (int8) metadata.int8 = int8.variant;
    const exportMetadata = ARCHITECTURES[name].exportMetadata;
    if (exportMetadata) {
      // Scored and calibrated on the file the server will run.
      const served = int8
        ? { file: int8.variant.file, bytes: int8.bytes }
        : { file: `${name}.onnx`, bytes: onnx };
      Object.assign(
        metadata,
        await exportMetadata({
          mnist,
          mnistCount: Math.min(plan.recipe.limit ?? Infinity, mnist.train.count),
          pendigitsDir: this.pendigitsDir,
          negatives: negativesFor(name, plan.recipe.negatives),
          served,
          normalisation: MNIST_NORMALISATION,
          log: (line) => context.log(line),
        }),
      );
    }
    await set.stage(`${name}.json`, JSON.stringify(metadata, null, 2) + "\n");

    const previous = await previousAccuracy(`${outDir}/${name}.json`);
    await this.step(name, "commit");
    const files = set.files.map((f) => f.slice(outDir.length + 1));
    await set.commit(context.hooks?.afterRename);
    context.log(`${name}: wrote ${files.join(", ")} to ${outDir}`);
    if (previous !== null) {
      context.log(
        `${name}: replaced the previous ${name} in ${outDir}: test accuracy ` +
          `${percent(previous)} before, ${percent(evaluation.accuracy)} now`,
      );
    }
  }
}

/** The test accuracy in an existing metadata file, or null when there is none. */
async function previousAccuracy(path: string): Promise<number | null> {
  try {
    const accuracy = JSON.parse(await Deno.readTextFile(path))?.testAccuracy;
    return typeof accuracy === "number" ? accuracy : null;
  } catch {
    return null;
  }
}
