/**
 * `deno task train --feedback SOURCE`: fine-tunes the served default model (`draw` when
 * models/ has it, else cnn-aug) on users' corrections plus a replay of MNIST, so it learns
 * their hands without forgetting. The newest 20% of the feedback is held out; accuracy before
 * and after is printed on it and on MNIST's test set, and the new version is written only when
 * MNIST accuracy fell by at most {@link MAX_MNIST_DROP}. It goes to a run folder
 * (build/runs/<time>-<model>-feedback/) unless --out says otherwise; models/ (where a running
 * server hot-reloads it) only with --force.
 *
 * @module
 */
import { OUTPUT_AND_DATA_OPTIONS } from "./train_options.ts";
import { parseArgs } from "node:util";
import { MNIST_NORMALISATION, MODEL_NAMES, type ModelName } from "../lib/model_metadata.ts";
import { ARCHITECTURES, buildModel } from "./architectures.ts";
import { predictOnnx, scorePredictions } from "./evaluate.ts";
import {
  type FeedbackExample,
  feedbackExamples,
  holdOutNewest,
  readFeedbackSource,
} from "./feedback_examples.ts";
import { makeInt8Variant } from "./int8_variant.ts";
import { loadMnist, type Mnist } from "./mnist_data.ts";
import { defaultCacheDir } from "./mnist_files.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { ModelSetWriter } from "./model_set.ts";
import { exportOnnx } from "./onnx_export.ts";
import { loadOnnxWeights } from "./onnx_weights.ts";
import { isShippedFolder, prepareFolder, runFolderName } from "./run_folder.ts";
import {
  DEFAULT_FINE_TUNE,
  feedbackDigitSet,
  fineTune,
  type FineTuneOptions,
} from "./fine_tune.ts";
import { initTrainingBackend } from "./tf_backend.ts";

/** The most MNIST test accuracy may fall (a fraction: 0.1 point) for the model to be written. */
export const MAX_MNIST_DROP = 0.001;

/** Accuracy of ONNX bytes on a set (0..1). */
export async function accuracyOf(onnx: Uint8Array, set: DigitSet): Promise<number> {
  if (set.count === 0) return 0;
  const predictions = await predictOnnx(onnx, set, MNIST_NORMALISATION);
  return scorePredictions(set.labels.subarray(0, set.count), predictions).accuracy;
}

export interface RetrainInputs {
  name: ModelName;
  /** The served model's ONNX and metadata. */
  onnx: Uint8Array;
  metadata: Record<string, unknown>;
  examples: FeedbackExample[];
  mnist: Mnist;
  options: FineTuneOptions;
  log: (line: string) => void;
}

export interface RetrainResult {
  heldOut: { before: number; after: number; count: number };
  mnist: { before: number; after: number };
  trainCount: number;
  accepted: boolean;
  onnx: Uint8Array;
  metadata: Record<string, unknown>;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** Fine-tunes on all but the newest 20% of `examples` and scores before and after. */
export async function retrain(inputs: RetrainInputs): Promise<RetrainResult> {
  const { name, examples, mnist, options, log } = inputs;
  const { train, heldOut } = holdOutNewest(examples);
  if (train.length === 0) throw new Error("too little feedback to train on (need 2 examples)");
  const trainSet = feedbackDigitSet(train);
  const heldSet = feedbackDigitSet(heldOut);
  const before = {
    held: await accuracyOf(inputs.onnx, heldSet),
    mnist: await accuracyOf(inputs.onnx, mnist.test),
  };
  log(
    `${name}: before: held-out feedback ${pct(before.held)} (${heldSet.count}), ` +
      `MNIST test ${pct(before.mnist)} (${mnist.test.count})`,
  );
  const model = buildModel(name, options.seed);
  try {
    loadOnnxWeights(model, inputs.onnx);
    const started = performance.now();
    const corrections = train.flatMap((example, index) =>
      example.predicted !== null && example.predicted !== example.label ? [index] : []
    );
    const loss = await fineTune(model, trainSet, mnist.train, options, corrections, {
      name,
      seed: options.seed,
    });
    log(
      `${name}: fine-tuned ${options.steps} steps on ${trainSet.count} feedback examples + ` +
        `MNIST replay in ${((performance.now() - started) / 1000).toFixed(1)} s (last loss ` +
        `${loss.toFixed(4)})`,
    );
    const onnx = exportOnnx(model, {
      name,
      description: `digitlab ${name}, fine-tuned on feedback`,
    });
    const after = {
      held: await accuracyOf(onnx, heldSet),
      mnist: await accuracyOf(onnx, mnist.test),
    };
    log(
      `${name}: after: held-out feedback ${pct(after.held)}, MNIST test ${pct(after.mnist)}`,
    );
    const accepted = after.mnist >= before.mnist - MAX_MNIST_DROP - 1e-9;
    const stamp = new Date();
    const metadata = {
      ...inputs.metadata,
      version: `${stamp.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", ".")}-` +
        `${(after.mnist * 100).toFixed(2)}-feedback`,
      testAccuracy: Number(after.mnist.toFixed(6)),
      date: stamp.toISOString(),
      fineTune: {
        from: inputs.metadata.version ?? null,
        feedbackExamples: trainSet.count,
        heldOutExamples: heldSet.count,
        heldOutAccuracyBefore: before.held,
        heldOutAccuracyAfter: after.held,
        mnistAccuracyBefore: before.mnist,
        ...options,
      },
    };
    return {
      heldOut: { before: before.held, after: after.held, count: heldSet.count },
      mnist: { before: before.mnist, after: after.mnist },
      trainCount: trainSet.count,
      accepted,
      onnx,
      metadata,
    };
  } finally {
    model.dispose();
  }
}

/**
 * What the metadata says about held-out writers and the temperature, measured again on the
 * file the new version serves: fine-tuning moves the logits, so the old temperature no longer
 * calibrates them. For a model whose recipe records them (draw) and with the pendigits data;
 * without the data both blocks are dropped (the server then applies no temperature) rather
 * than kept stale.
 */
export async function refreshCalibration(
  name: ModelName,
  metadata: Record<string, unknown>,
  served: { file: string; bytes: Uint8Array },
  mnist: Mnist,
  pendigitsDir: string | undefined,
  log: (line: string) => void,
): Promise<void> {
  const exportMetadata = ARCHITECTURES[name].exportMetadata;
  delete metadata.calibration;
  delete metadata.heldOut;
  if (!exportMetadata) return;
  const fresh = await exportMetadata({
    mnist,
    mnistCount: mnist.train.count,
    pendigitsDir,
    served,
    normalisation: MNIST_NORMALISATION,
    log,
  });
  if (fresh.calibration) metadata.calibration = fresh.calibration;
  if (fresh.heldOut) metadata.heldOut = fresh.heldOut;
}

/**
 * Writes the new version's set (float ONNX, int8 twin, metadata with a fresh calibration) all
 * or nothing into `dir`.
 */
export async function writeRetrained(
  dir: string,
  name: ModelName,
  result: RetrainResult,
  mnist: Mnist,
  calibration: { pendigitsDir: string | undefined; log: (line: string) => void } = {
    pendigitsDir: undefined,
    log: () => {},
  },
): Promise<string[]> {
  const set = new ModelSetWriter(dir, name);
  try {
    await set.stage(`${name}.onnx`, result.onnx);
    const metadata = { ...result.metadata };
    delete metadata.int8;
    const int8 = await makeInt8Variant({
      name,
      fp32: result.onnx,
      normalisation: MNIST_NORMALISATION,
      train: mnist.train,
      test: mnist.test,
    });
    if (int8) {
      await set.stage(int8.variant.file, int8.bytes);
      metadata.int8 = int8.variant;
    }
    const served = int8
      ? { file: int8.variant.file, bytes: int8.bytes }
      : { file: `${name}.onnx`, bytes: result.onnx };
    await refreshCalibration(
      name,
      metadata,
      served,
      mnist,
      calibration.pendigitsDir,
      calibration.log,
    );
    await set.stage(`${name}.json`, JSON.stringify(metadata, null, 2) + "\n");
    const files = set.files.map((f) => f.slice(dir.length + 1));
    await set.commit();
    return files;
  } finally {
    await set.abort();
  }
}

/** The default model: `draw` when models/ has it, else cnn-aug. */
export async function defaultModel(modelsDir: string): Promise<ModelName> {
  const draw = (MODEL_NAMES as readonly string[]).includes("draw") &&
    await Deno.stat(`${modelsDir}/draw.onnx`).then(() => true, () => false);
  return (draw ? "draw" : "cnn-aug") as ModelName;
}

export const FEEDBACK_USAGE = `usage: deno task train --feedback SOURCE [options]
  SOURCE             an export (.jsonl from GET /feedback/export), the SQLite feedback file,
                     or a server URL (with --token-file or $DIGITLAB_ADMIN_TOKEN)
  --token-file FILE  the admin token for a server URL
  --steps N          fine-tuning steps (default ${DEFAULT_FINE_TUNE.steps})
  --workers N        threads sharing each batch (default: the number of cores, ${DEFAULT_FINE_TUNE.workers})
  --out DIR          where the new version goes (default build/runs/<time>-<model>-feedback/)
  --force            allow --out models/ (a running server hot-reloads it)
  --data DIR         MNIST's four .gz files (default $MNIST_DIR, else download)
  --pendigits DIR    pendigits strokes: the held-out writers the new version's temperature is
                     fitted on (default $PENDIGITS_DIR; without them the metadata has none)`;

export interface FeedbackContext {
  env: Record<string, string | undefined>;
  modelsDir: string;
  runsDir: string;
  log: (line: string) => void;
  error: (line: string) => void;
}

/** Runs `deno task train --feedback ...`; returns the exit code. */
export async function feedbackMain(args: string[], context: FeedbackContext): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      strict: true,
      options: {
        feedback: { type: "string" },
        "token-file": { type: "string" },
        steps: { type: "string" },
        workers: { type: "string" },
        ...OUTPUT_AND_DATA_OPTIONS,
      },
    }).values;
  } catch (error) {
    context.error(`error: ${(error as Error).message.split(/\. |\n/)[0]}\n${FEEDBACK_USAGE}`);
    return 2;
  }
  const steps = values.steps === undefined ? DEFAULT_FINE_TUNE.steps : Number(values.steps);
  if (!Number.isInteger(steps) || steps <= 0 || steps > 100_000) {
    context.error(`error: --steps wants a positive integer, got "${values.steps}"`);
    return 2;
  }
  const workers = values.workers === undefined ? DEFAULT_FINE_TUNE.workers : Number(values.workers);
  if (!Number.isInteger(workers) || workers <= 0) {
    context.error(`error: --workers wants a positive integer, got "${values.workers}"`);
    return 2;
  }
  const name = await defaultModel(context.modelsDir);
  const outDir = values.out ??
    `${context.runsDir}/${runFolderName(new Date(), [name])}-feedback`;
  if (await isShippedFolder(outDir, context.modelsDir) && !values.force) {
    context.error(`error: --out ${outDir} replaces the served model; add --force to do that`);
    return 2;
  }
  try {
    const token = values["token-file"]
      ? (await Deno.readTextFile(values["token-file"])).trim()
      : context.env.DIGITLAB_ADMIN_TOKEN ?? null;
    const records = await readFeedbackSource(values.feedback!, token);
    const examples = await feedbackExamples(records);
    context.log(`feedback: ${examples.length} examples from ${values.feedback}`);
    const mnist = await loadMnist({
      dataDir: values.data ?? context.env.MNIST_DIR,
      cacheDir: values.cache ?? defaultCacheDir(context.env),
    });
    context.log(`tfjs backend: ${await initTrainingBackend()}`);
    const result = await retrain({
      name,
      onnx: await Deno.readFile(`${context.modelsDir}/${name}.onnx`),
      metadata: JSON.parse(await Deno.readTextFile(`${context.modelsDir}/${name}.json`)),
      examples,
      mnist,
      options: { ...DEFAULT_FINE_TUNE, steps, workers },
      log: context.log,
    });
    if (!result.accepted) {
      context.error(
        `refused: MNIST test accuracy fell from ${pct(result.mnist.before)} to ` +
          `${pct(result.mnist.after)}, more than ${MAX_MNIST_DROP * 100} point; nothing written`,
      );
      return 1;
    }
    await prepareFolder(outDir, "--out");
    const files = await writeRetrained(outDir, name, result, mnist, {
      pendigitsDir: values.pendigits ?? context.env.PENDIGITS_DIR,
      log: context.log,
    });
    context.log(`${name}: wrote ${files.join(", ")} to ${outDir}`);
    return 0;
  } catch (error) {
    if (error instanceof Error && !(error instanceof TypeError)) {
      context.error(`error: ${error.message.split("\n")[0]}`);
      return 1;
    }
    throw error;
  }
}
