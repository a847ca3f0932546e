/**
 * Flags of `deno task train`, parsed once into a typed object.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { MODEL_NAMES, type ModelName } from "../lib/model_metadata.ts";
import {
  ARCHITECTURES,
  averageLastFor,
  averageRateFor,
  distillationFor,
  negativesFor,
  widthFor,
} from "./architectures.ts";
import { DEFAULT_TEACHER_WEIGHT, DEFAULT_TEMPERATURE, NO_TEACHER } from "./distillation.ts";
import { defaultCacheDir } from "./mnist_files.ts";
import type { Schedule } from "./train_loop.ts";

/** What decides a run's weights and the accuracy it records: the "recipe". */
export interface TrainRecipe {
  /** Epochs for every model; null = each model's default (DEFAULT_EPOCHS). */
  epochs: number | null;
  batchSize: number;
  learningRate: number;
  schedule: Schedule;
  seed: number;
  /** Train on only the first N training images (quick runs); null = all 60k. */
  limit: number | null;
  /** Score the test set after every K-th epoch (and always after the last). */
  evalEvery: number;
  /** Score only the first N test images (per epoch and at export); null = all 10k. */
  evalLimit: number | null;
  /**
   * Share of a model's training set that is scribbles with a uniform target; null = each
   * model's default (architectures.ts negativesFor: draw's, none for the others).
   */
  negatives: number | null;
  /**
   * Export the mean of the weights after each of the last N epochs (weight_average.ts); null =
   * each model's default (architectures.ts averageLastFor; 1, no averaging, for most).
   */
  averageLast: number | null;
  /**
   * The constant learning rate of those epochs, the schedule spanning the epochs before them;
   * null = each model's default (architectures.ts averageRateFor; none: the schedule runs on).
   */
  averageLearningRate: number | null;
  /**
   * A model to learn from beside the labels (an ONNX file; distillation.ts), "none" for none;
   * null = each model's default (architectures.ts distillationFor: draw's, none for the others).
   */
  teacher: string | null;
  /** The teacher's share of the loss; null = distillation.ts's default. */
  teacherWeight: number | null;
  /** Softening of both models' logits in the teacher's term; null = distillation.ts's default. */
  teacherTemperature: number | null;
  /** Scale of draw's filters (architectures.ts widthFor); null = 1. */
  width: number | null;
}

export interface TrainConfig extends TrainRecipe {
  models: ModelName[];
  /** Where the model set goes; undefined = models/ for the full recipe, else the run folder. */
  out?: string;
  /** Allow a run that is not the full recipe to replace the shipped models. */
  force: boolean;
  /** A run folder to continue (its own recipe and models). */
  resume?: string;
  dataDir?: string;
  /** UCI pendigits (pen strokes) for `draw`; undefined = train it on the MNIST parts only. */
  pendigitsDir?: string;
  cacheDir: string;
  /**
   * Threads sharing each mini-batch (train_workers.ts); null = each model's default
   * (architectures.ts workersFor). Not part of the recipe.
   */
  workers: number | null;
  help: boolean;
}

/** The full default recipe, the one the shipped models were trained with. */
export const DEFAULT_RECIPE: TrainRecipe = {
  epochs: null,
  batchSize: 64,
  learningRate: 1e-3,
  schedule: "cosine",
  seed: 42,
  limit: null,
  evalEvery: 1,
  evalLimit: null,
  negatives: null,
  averageLast: null,
  averageLearningRate: null,
  teacher: null,
  teacherWeight: null,
  teacherTemperature: null,
  width: null,
};

/** One training worker per core: tfjs's wasm backend runs one thread each. */
export const DEFAULT_WORKERS = navigator.hardwareConcurrency;

/** The models that train on one thread by default (architectures.ts oneThread). */
const ONE_THREAD = MODEL_NAMES.filter((name) => ARCHITECTURES[name].oneThread);

const DRAW_NEGATIVES = ARCHITECTURES.draw.defaultNegatives;
const DRAW_AVERAGE_LAST = averageLastFor("draw", null);
const DRAW_AVERAGE_RATE = averageRateFor("draw", null) ?? "none";
const DRAW_TEACHER = ARCHITECTURES.draw.defaultTeacher ?? NO_TEACHER;

/** Each model's default epochs (architectures.ts). */
export const DEFAULT_EPOCHS = Object.fromEntries(
  MODEL_NAMES.map((name) => [name, ARCHITECTURES[name].defaultEpochs]),
) as Record<ModelName, number>;

export const TRAIN_USAGE = `usage: deno task train [options]
  --model NAME       ${MODEL_NAMES.join(", ")} or all (default all; repeat or comma-separate)
  --epochs N         epochs (default ${
  MODEL_NAMES.map((name) => `${name} ${DEFAULT_EPOCHS[name]}`).join(", ")
})
  --batch-size N     mini-batch size (default ${DEFAULT_RECIPE.batchSize})
  --lr X             Adam learning rate (default ${DEFAULT_RECIPE.learningRate})
  --schedule S       cosine (default) or constant learning rate over the epochs
  --seed N           seed for initial weights, shuffling and augmentation (default ${DEFAULT_RECIPE.seed})
  --limit N          train on the first N of the 60,000 images only (quick runs)
  --eval-every K     score the test set every K epochs and after the last (default 1)
  --eval-limit N     score only the first N of the 10,000 test images
  --negatives SHARE  share of draw's training set that is random scribbles taught as "not a
                     digit" (uniform target), 0 to 0.5 (default ${DRAW_NEGATIVES}; 0 = off; other
                     models train on digits only)
  --average-last N   export the mean of the weights after each of the last N epochs (weight
                     averaging; default draw ${DRAW_AVERAGE_LAST}, the others 1 = the last epoch's)
  --average-lr X     a constant learning rate for those N epochs, the schedule spanning the
                     epochs before them (default draw ${DRAW_AVERAGE_RATE}, the others: the schedule runs on)
  --teacher FILE     an ONNX model whose softened probabilities it learns beside the labels
                     (knowledge distillation), or none (default draw ${DRAW_TEACHER}, the others none)
  --teacher-weight X the teacher's share of the loss, 0 to 1 (default ${DEFAULT_TEACHER_WEIGHT})
  --teacher-temperature T
                     softening of both models' logits in the teacher's term (default ${DEFAULT_TEMPERATURE})
  --width X          scale draw's filters (default 1: 16, 32, 64; 1.5: 24, 48, 96)
  --out DIR          where the model set goes (default: models/ for the full default recipe,
                     build/runs/<time>-<model>/ for any other run)
  --force            let a run that is not the full recipe replace files in models/
  --resume RUN_DIR   continue an interrupted run from its last finished epoch, or export it
  --data DIR         MNIST's four .gz files (default $MNIST_DIR, else download)
  --pendigits DIR    UCI pendigits strokes for draw (default $PENDIGITS_DIR; without it draw
                     trains on MNIST and pen-rendered MNIST only)
  --cache DIR        download cache (default $XDG_CACHE_HOME/digitlab/mnist)
  --workers N        threads sharing each mini-batch (default: the number of cores, ${DEFAULT_WORKERS};
                     ${ONE_THREAD.join(", ")} 1: too small a step to share)
  --feedback SOURCE  fine-tune the default model on stored feedback instead (see --feedback --help)`;

/** A mistake in the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Where a run's output and data come from: the same options for training and fine-tuning. */
export const OUTPUT_AND_DATA_OPTIONS = {
  out: { type: "string" },
  force: { type: "boolean" },
  data: { type: "string" },
  pendigits: { type: "string" },
  cache: { type: "string" },
} as const;

const OPTIONS = {
  model: { type: "string", multiple: true },
  epochs: { type: "string" },
  "batch-size": { type: "string" },
  lr: { type: "string" },
  schedule: { type: "string" },
  seed: { type: "string" },
  limit: { type: "string" },
  "eval-every": { type: "string" },
  "eval-limit": { type: "string" },
  negatives: { type: "string" },
  "average-last": { type: "string" },
  "average-lr": { type: "string" },
  teacher: { type: "string" },
  "teacher-weight": { type: "string" },
  "teacher-temperature": { type: "string" },
  width: { type: "string" },
  ...OUTPUT_AND_DATA_OPTIONS,
  resume: { type: "string" },
  workers: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Flags that change the recipe: a resumed run keeps its own, so these are refused with --resume. */
const RECIPE_FLAGS = [
  "model",
  "epochs",
  "batch-size",
  "lr",
  "schedule",
  "seed",
  "limit",
  "eval-every",
  "eval-limit",
  "negatives",
  "average-last",
  "average-lr",
  "teacher",
  "teacher-weight",
  "teacher-temperature",
  "width",
] as const;

/**
 * `--lr -1` reads to node's parser as a flag "-1" ("argument is ambiguous"); joining a
 * negative number to its flag lets the flag's own check say what is wrong with it.
 */
function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i].slice(2);
    const takesValue = args[i].startsWith("--") &&
      (OPTIONS as Record<string, { type: string }>)[flag]?.type === "string";
    if (takesValue && /^-\d|^-\.\d/.test(args[i + 1] ?? "")) out.push(`${args[i]}=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

function positiveInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UsageError(`--${flag} wants a positive integer, got "${value}"`);
  }
  return n;
}

function optionalNumber(
  flag: string,
  value: string | undefined,
  valid: (x: number) => boolean,
  wanted: string,
): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!valid(n)) throw new UsageError(`--${flag} wants ${wanted}, got "${value}"`);
  return n;
}

function optionalPositiveInt(flag: string, value: string | undefined): number | null {
  return value === undefined ? null : positiveInt(flag, value, 0);
}

function modelList(values: string[] | undefined): ModelName[] {
  if (values === undefined) return [...MODEL_NAMES];
  const names = values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  if (names.length === 0) {
    throw new UsageError(`--model wants a name (${MODEL_NAMES.join(", ")} or all), got ""`);
  }
  if (names.includes("all")) return [...MODEL_NAMES];
  for (const name of names) {
    if (!(MODEL_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`unknown model "${name}" (choose from ${MODEL_NAMES.join(", ")}, all)`);
    }
  }
  return [...new Set(names)] as ModelName[];
}

/** Parses `args`; `env` supplies MNIST_DIR and cache defaults. */
export function parseTrainArgs(
  args: string[],
  env: { MNIST_DIR?: string; PENDIGITS_DIR?: string; XDG_CACHE_HOME?: string; HOME?: string },
): TrainConfig {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(args), strict: true, options: OPTIONS }).values;
  } catch (error) {
    // node's messages run to several sentences; the first says what was wrong.
    throw new UsageError(`${(error as Error).message.split(/\. |\n/)[0]} (see --help)`);
  }
  if (parsed.resume !== undefined) {
    const recipeFlag = RECIPE_FLAGS.find((flag) => parsed[flag] !== undefined);
    if (recipeFlag) {
      throw new UsageError(
        `--resume continues the run with its own recipe and models; drop --${recipeFlag}`,
      );
    }
  }
  const lr = parsed.lr === undefined ? DEFAULT_RECIPE.learningRate : Number(parsed.lr);
  if (!(lr > 0 && lr < 1)) {
    throw new UsageError(`--lr wants a number in (0, 1), got "${parsed.lr}"`);
  }
  const schedule = parsed.schedule ?? DEFAULT_RECIPE.schedule;
  if (schedule !== "cosine" && schedule !== "constant") {
    throw new UsageError(`--schedule wants cosine or constant, got "${schedule}"`);
  }
  const seed = parsed.seed === undefined ? DEFAULT_RECIPE.seed : Number(parsed.seed);
  if (!Number.isInteger(seed) || seed < 0) {
    throw new UsageError(`--seed wants a non-negative integer, got "${parsed.seed}"`);
  }
  const negatives = parsed.negatives === undefined ? null : Number(parsed.negatives);
  if (negatives !== null && !(negatives >= 0 && negatives <= 0.5)) {
    throw new UsageError(`--negatives wants a share from 0 to 0.5, got "${parsed.negatives}"`);
  }
  const averageRate = parsed["average-lr"] === undefined ? null : Number(parsed["average-lr"]);
  if (averageRate !== null && !(averageRate > 0 && averageRate < 1)) {
    throw new UsageError(`--average-lr wants a number in (0, 1), got "${parsed["average-lr"]}"`);
  }
  const teacherWeight = optionalNumber(
    "teacher-weight",
    parsed["teacher-weight"],
    (x) => x >= 0 && x <= 1,
    "a number from 0 to 1",
  );
  const teacherTemperature = optionalNumber(
    "teacher-temperature",
    parsed["teacher-temperature"],
    (x) => x > 0 && x <= 100,
    "a number in (0, 100]",
  );
  const width = optionalNumber(
    "width",
    parsed.width,
    (x) => x >= 0.25 && x <= 4,
    "a number from 0.25 to 4",
  );
  if (parsed.teacher === "") throw new UsageError('--teacher wants an ONNX file or none, got ""');
  if (parsed.out === "") throw new UsageError('--out wants a folder, got ""');
  return {
    models: modelList(parsed.model),
    epochs: optionalPositiveInt("epochs", parsed.epochs),
    batchSize: positiveInt("batch-size", parsed["batch-size"], DEFAULT_RECIPE.batchSize),
    learningRate: lr,
    schedule,
    seed,
    limit: optionalPositiveInt("limit", parsed.limit),
    evalEvery: positiveInt("eval-every", parsed["eval-every"], DEFAULT_RECIPE.evalEvery),
    evalLimit: optionalPositiveInt("eval-limit", parsed["eval-limit"]),
    negatives,
    averageLast: optionalPositiveInt("average-last", parsed["average-last"]),
    averageLearningRate: averageRate,
    teacher: parsed.teacher ?? null,
    teacherWeight,
    teacherTemperature,
    width,
    out: parsed.out,
    force: parsed.force ?? false,
    resume: parsed.resume,
    dataDir: parsed.data ?? env.MNIST_DIR,
    pendigitsDir: parsed.pendigits ?? env.PENDIGITS_DIR,
    cacheDir: parsed.cache ?? defaultCacheDir(env),
    workers: optionalPositiveInt("workers", parsed.workers),
    help: parsed.help ?? false,
  };
}

/**
 * How `recipe` differs from the full default recipe for `models`, as flags ("--limit 3000");
 * empty for the full recipe. An explicit value equal to the default is no difference.
 */
export function recipeChanges(recipe: TrainRecipe, models: readonly ModelName[]): string[] {
  const changes: string[] = [];
  if (recipe.epochs !== null && models.some((name) => DEFAULT_EPOCHS[name] !== recipe.epochs)) {
    changes.push(`--epochs ${recipe.epochs}`);
  }
  const flags: [keyof TrainRecipe, string][] = [
    ["batchSize", "--batch-size"],
    ["learningRate", "--lr"],
    ["schedule", "--schedule"],
    ["seed", "--seed"],
    ["limit", "--limit"],
    ["evalEvery", "--eval-every"],
    ["evalLimit", "--eval-limit"],
  ];
  if (
    recipe.negatives != null &&
    models.some((name) => negativesFor(name, null) !== negativesFor(name, recipe.negatives))
  ) {
    changes.push(`--negatives ${recipe.negatives}`);
  }
  if (
    recipe.averageLast != null &&
    models.some((name) => averageLastFor(name, null) !== averageLastFor(name, recipe.averageLast))
  ) {
    changes.push(`--average-last ${recipe.averageLast}`);
  }
  if (
    recipe.averageLearningRate != null &&
    models.some((name) =>
      averageRateFor(name, null) !== averageRateFor(name, recipe.averageLearningRate)
    )
  ) {
    changes.push(`--average-lr ${recipe.averageLearningRate}`);
  }
  const teachers = models.map((name) => JSON.stringify(distillationFor(name, recipe)));
  if (
    models.some((name, i) => JSON.stringify(distillationFor(name, DEFAULT_RECIPE)) !== teachers[i])
  ) {
    const flagged: [keyof TrainRecipe, string][] = [
      ["teacher", "--teacher"],
      ["teacherWeight", "--teacher-weight"],
      ["teacherTemperature", "--teacher-temperature"],
    ];
    for (const [key, flag] of flagged) {
      if (recipe[key] != null) changes.push(`${flag} ${recipe[key]}`);
    }
  }
  if (recipe.width != null && models.some((name) => widthFor(name, recipe.width) !== 1)) {
    changes.push(`--width ${recipe.width}`);
  }
  for (const [key, flag] of flags) {
    if (recipe[key] !== DEFAULT_RECIPE[key]) changes.push(`${flag} ${recipe[key]}`);
  }
  return changes;
}

/** Only the recipe fields of a config (what a run folder records). */
export function recipeOf(config: TrainRecipe): TrainRecipe {
  const { epochs, batchSize, learningRate, schedule, seed, limit, evalEvery, evalLimit } = config;
  const { negatives, averageLast, averageLearningRate } = config;
  const { teacher, teacherWeight, teacherTemperature, width } = config;
  return {
    epochs,
    batchSize,
    learningRate,
    schedule,
    seed,
    limit,
    evalEvery,
    evalLimit,
    negatives,
    averageLast,
    averageLearningRate,
    teacher,
    teacherWeight,
    teacherTemperature,
    width,
  };
}
