/**
 * `deno task train`: trains the models with TensorFlow.js, checkpointing every epoch in the
 * run folder, exports each to ONNX (plus its int8 twin), scores it with onnxruntime-web on
 * MNIST's test set and writes its set of files all or nothing (model_set.ts).
 *
 * Only the full default recipe writes to models/ by default (run_folder.ts); `--resume RUN_DIR`
 * continues an interrupted run where its last epoch ended.
 *
 * @module
 */
import type { ModelName } from "../lib/model_metadata.ts";
import { firstImages, negativesFor, trainSetFor } from "./architectures.ts";
import { type Checkpoint, loadCheckpoint } from "./checkpoint.ts";
import { loadMnist, type Mnist, MnistDataError } from "./mnist_data.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { InterruptedError, recoverModelSets } from "./model_set.ts";
import { formatDuration } from "./progress.ts";
import {
  FolderError,
  planRun,
  prepareFolder,
  removeEmptyFolders,
  writeRunFile,
} from "./run_folder.ts";
import { feedbackMain } from "./feedback_retrain.ts";
import { initTrainingBackend } from "./tf_backend.ts";
import { parseTrainArgs, TRAIN_USAGE, UsageError } from "./train_options.ts";
import { count, type RunOutput, TrainingRun } from "./train_run.ts";

export type { Step } from "./train_run.ts";

export interface TrainContext extends RunOutput {
  env: Record<string, string | undefined>;
  /** The project's models/ folder (the shipped models). */
  modelsDir: string;
  /** Where run folders go by default. */
  runsDir: string;
  now: () => Date;
}

const PROJECT = new URL("../", import.meta.url);
const pathOf = (relative: string) => decodeURIComponent(new URL(relative, PROJECT).pathname);

const DEFAULT_CONTEXT: TrainContext = {
  env: Deno.env.toObject(),
  modelsDir: pathOf("models"),
  runsDir: pathOf("build/runs"),
  now: () => new Date(),
  log: (line) => console.log(line),
  error: (line) => console.error(line),
};

function isFileSystemError(error: unknown): boolean {
  return Object.values(Deno.errors).some((E) => error instanceof E);
}

let backendReady: Promise<string> | undefined;

/** Runs `deno task train`; returns the exit code. */
export async function main(
  args: string[],
  context: TrainContext = DEFAULT_CONTEXT,
): Promise<number> {
  // Fine-tuning on users' corrections is its own command line (feedback_retrain.ts).
  if (args.some((arg) => arg === "--feedback" || arg.startsWith("--feedback="))) {
    return await feedbackMain(args, context);
  }
  let run: TrainingRun | undefined;
  let current: ModelName | undefined;
  try {
    const config = parseTrainArgs(args, context.env);
    if (config.help) {
      context.log(TRAIN_USAGE);
      return 0;
    }
    const plan = await planRun(config, { ...context, now: context.now() });
    // Folders are checked (and made) before the data loads, so a bad --out costs nothing.
    const created = await prepareFolder(plan.outDir, "--out");
    if (plan.runDir !== plan.outDir) {
      created.push(...await prepareFolder(plan.runDir, "run folder"));
    }
    for (const name of await recoverModelSets(plan.outDir)) {
      context.log(`${name}: finished writing its set in ${plan.outDir} (a run was killed mid-way)`);
    }
    let mnist: Mnist;
    try {
      mnist = await loadMnist({ dataDir: config.dataDir, cacheDir: config.cacheDir });
    } catch (error) {
      await removeEmptyFolders(created);
      throw error;
    }
    if (!plan.resumed) await writeRunFile(plan);
    const trainSets = new Map<ModelName, DigitSet>();
    for (const name of plan.models) {
      trainSets.set(
        name,
        await trainSetFor(name, mnist, {
          limit: plan.recipe.limit,
          seed: plan.recipe.seed,
          negatives: negativesFor(name, plan.recipe.negatives),
          pendigitsDir: config.pendigitsDir,
        }),
      );
    }
    const testSet = firstImages(mnist.test, plan.recipe.evalLimit);
    context.log(
      `data: ${mnist.source}; training on ${
        count(firstImages(mnist.train, plan.recipe.limit).count)
      } of ${count(mnist.train.count)} images, testing on ${count(testSet.count)} of ` +
        `${count(mnist.test.count)}`,
    );
    context.log(
      `run folder: ${plan.runDir}${plan.resumed ? " (resumed)" : ""}; models go to ${plan.outDir}` +
        (plan.changes.length > 0 ? ` (not the full recipe: ${plan.changes.join(" ")})` : ""),
    );
    context.log(
      `checkpoints after every epoch; if this stops, continue with: ` +
        `deno task train --resume ${plan.runDir}`,
    );
    backendReady ??= initTrainingBackend();
    const backend = await backendReady;
    // Workers run tfjs wasm each; without wasm, one thread on the cpu backend.
    const workers = backend === "wasm" ? config.workers : 1;
    context.log(
      `tfjs backend: ${backend}; ` +
        (workers === null
          ? "each model on its default threads (--workers N to choose)"
          : workers === 1
          ? "training on one thread"
          : `${workers} workers share each batch (--workers)`),
    );
    // A new run starts from scratch even where a finished run left checkpoints behind.
    const checkpoints = new Map<ModelName, Checkpoint | null>();
    for (const name of plan.models) {
      const dir = `${plan.runDir}/checkpoints/${name}`;
      checkpoints.set(name, plan.resumed ? await loadCheckpoint(dir) : null);
    }
    run = new TrainingRun(
      plan,
      mnist,
      trainSets,
      testSet,
      backend,
      context,
      checkpoints,
      config.pendigitsDir,
      workers,
    );
    const started = performance.now();
    for (const [index, name] of plan.models.entries()) {
      current = name;
      if (plan.exported.includes(name)) {
        context.log(`${name}: already written to ${plan.outDir} by this run; skipped`);
        continue;
      }
      const { model, run: record } = await run.trainModel(name, index);
      try {
        await run.exportModel(name, model, record);
      } finally {
        model.dispose();
      }
      plan.exported.push(name);
      await writeRunFile(plan);
    }
    current = undefined;
    context.log(`done in ${formatDuration((performance.now() - started) / 1000)} (m:ss)`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      context.error(`error: ${error.message}`);
      return 2;
    }
    if (error instanceof InterruptedError) {
      context.error(`interrupted; ${run && current ? run.resumeHint(current) : "nothing lost"}`);
      return 130;
    }
    if (error instanceof FolderError || error instanceof MnistDataError) {
      context.error(`error: ${error.message}`);
      return 1;
    }
    if (isFileSystemError(error)) {
      const reason = String((error as Error).message).split("\n")[0];
      context.error(
        `error: ${reason}${run && current ? `; ${run.resumeHint(current)}` : ""}`,
      );
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
