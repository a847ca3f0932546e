import assert, { deepStrictEqual } from "node:assert/strict";
import {
  DEFAULT_EPOCHS,
  DEFAULT_RECIPE,
  parseTrainArgs,
  recipeChanges,
  UsageError,
} from "./train_options.ts";
import {
  ARCHITECTURES,
  averageLastFor,
  averageRateFor,
  distillationFor,
  negativesFor,
  widthFor,
  workersFor,
} from "./architectures.ts";
import { DEFAULT_TEMPERATURE } from "./distillation.ts";

const parse = (args: string[], env = {}) => parseTrainArgs(args, env);

function usageError(args: string[], fragment: string): void {
  try {
    parse(args);
  } catch (error) {
    assert(error instanceof UsageError, `not a UsageError: ${error}`);
    assert(error.message.includes(fragment), `"${error.message}" lacks "${fragment}"`);
    assert(!error.message.includes("\n"), "message should be one line");
    return;
  }
  throw new Error(`expected a UsageError for ${args.join(" ")}`);
}

Deno.test("defaults follow the issue: Adam 1e-3, batch 64, per-model epochs, all models", () => {
  const config = parse([], { MNIST_DIR: "/data", PENDIGITS_DIR: "/pen", HOME: "/home/u" });
  deepStrictEqual(config.models, ["mlp", "cnn", "cnn-aug", "draw"]);
  deepStrictEqual([config.epochs, config.batchSize, config.learningRate], [null, 64, 1e-3]);
  deepStrictEqual(DEFAULT_EPOCHS, { mlp: 10, cnn: 10, "cnn-aug": 16, draw: 14 });
  deepStrictEqual([config.dataDir, config.pendigitsDir, config.cacheDir, config.out], [
    "/data",
    "/pen",
    "/home/u/.cache/digitlab/mnist",
    undefined,
  ]);
  deepStrictEqual([config.limit, config.evalEvery, config.evalLimit, config.force], [
    null,
    1,
    null,
    false,
  ]);
  deepStrictEqual(recipeChanges(config, config.models), []);
});

Deno.test("flags override defaults", () => {
  const config = parse([
    "--model",
    "cnn,mlp",
    "--epochs=3",
    "--batch-size",
    "128",
    "--lr",
    "0.002",
    "--seed",
    "7",
    "--limit",
    "1000",
    "--data",
    "/d",
    "--schedule",
    "constant",
  ]);
  deepStrictEqual(config.models, ["cnn", "mlp"]);
  deepStrictEqual([config.epochs, config.batchSize, config.learningRate, config.seed], [
    3,
    128,
    0.002,
    7,
  ]);
  deepStrictEqual([config.limit, config.dataDir, config.schedule], [1000, "/d", "constant"]);
});

Deno.test("bad flags are one-line usage errors", () => {
  usageError(["--model", "resnet"], 'unknown model "resnet"');
  usageError(["--epochs", "0"], "--epochs wants a positive integer");
  usageError(["--batch-size", "x"], "--batch-size");
  usageError(["--lr", "-1"], "--lr");
  usageError(["--schedule", "step"], "--schedule");
  usageError(["--frobnicate"], "frobnicate");
});

Deno.test('--lr -1 and --model "" say what is wrong with the value', () => {
  usageError(["--lr", "-1"], '--lr wants a number in (0, 1), got "-1"');
  usageError(["--seed", "-3"], '--seed wants a non-negative integer, got "-3"');
  usageError(["--model", ""], "--model wants a name");
  usageError(["--model="], "--model wants a name");
  usageError(["--out", ""], "--out wants a folder");
});

Deno.test("--eval-every, --eval-limit, --force and --resume parse; --resume keeps its recipe", () => {
  const config = parse(["--eval-every", "2", "--eval-limit", "500", "--force"]);
  deepStrictEqual([config.evalEvery, config.evalLimit, config.force], [2, 500, true]);
  usageError(["--eval-every", "0"], "--eval-every wants a positive integer");
  deepStrictEqual(parse(["--resume", "build/runs/x", "--out", "/o"]).resume, "build/runs/x");
  usageError(["--resume", "build/runs/x", "--epochs", "2"], "drop --epochs");
  usageError(["--resume", "build/runs/x", "--model", "cnn"], "drop --model");
});

Deno.test("recipeChanges lists every flag that leaves the full recipe, and only those", () => {
  const config = parse(["--epochs", "3", "--limit", "10000", "--model", "cnn"]);
  deepStrictEqual(recipeChanges(config, config.models), ["--epochs 3", "--limit 10000"]);
  // Spelling out a default is still the full recipe.
  const explicit = parse(["--model", "cnn", "--epochs", "10", "--seed", "42", "--lr", "0.001"]);
  deepStrictEqual(recipeChanges(explicit, explicit.models), []);
  deepStrictEqual(recipeChanges({ ...DEFAULT_RECIPE, epochs: 10 }, ["cnn-aug"]), ["--epochs 10"]);
  deepStrictEqual(recipeChanges({ ...DEFAULT_RECIPE, evalLimit: 100 }, ["mlp"]), [
    "--eval-limit 100",
  ]);
});

Deno.test("--workers: each model's default (mlp on one thread) unless given", () => {
  deepStrictEqual(parse([]).workers, null);
  deepStrictEqual(parse(["--workers", "3"]).workers, 3);
  deepStrictEqual(
    (["mlp", "cnn", "cnn-aug", "draw"] as const).map((name) => workersFor(name, null, 2)),
    [1, 2, 2, 2],
  );
  deepStrictEqual(workersFor("mlp", 2, 2), 2);
  usageError(["--workers", "0"], "--workers");
});

Deno.test("--negatives: draw's default share unless given, 0 to 0.5, other models none", () => {
  deepStrictEqual(parse([]).negatives, null);
  deepStrictEqual(parse(["--negatives", "0.05"]).negatives, 0.05);
  deepStrictEqual(negativesFor("draw", null), ARCHITECTURES.draw.defaultNegatives);
  deepStrictEqual(negativesFor("draw", 0), 0);
  deepStrictEqual(negativesFor("cnn-aug", 0.05), 0);
  // A run recorded before the option trained without negatives; resuming it keeps that.
  deepStrictEqual(negativesFor("draw", undefined), 0);
  const config = parse(["--model", "draw", "--negatives", "0.1"]);
  deepStrictEqual(recipeChanges(config, config.models), ["--negatives 0.1"]);
  const spelled = parse(["--model", "draw", "--negatives", `${negativesFor("draw", null)}`]);
  deepStrictEqual(recipeChanges(spelled, spelled.models), []);
  usageError(["--negatives", "0.6"], "--negatives");
  usageError(["--negatives", "-0.1"], "--negatives");
  usageError(["--negatives", "some"], "--negatives");
});

Deno.test("--average-last: each model's default unless given, a positive count", () => {
  deepStrictEqual(parse([]).averageLast, null);
  deepStrictEqual(parse(["--average-last", "4"]).averageLast, 4);
  deepStrictEqual(averageLastFor("draw", null), ARCHITECTURES.draw.defaultAverageLast ?? 1);
  deepStrictEqual(averageLastFor("mlp", null), 1);
  deepStrictEqual(averageLastFor("mlp", 3), 3);
  // A run recorded before the option exported its last epoch's weights; resuming keeps that.
  deepStrictEqual(averageLastFor("draw", undefined), 1);
  const config = parse(["--model", "mlp", "--average-last", "3"]);
  deepStrictEqual(recipeChanges(config, config.models), ["--average-last 3"]);
  const spelled = parse(["--model", "mlp", "--average-last", "1"]);
  deepStrictEqual(recipeChanges(spelled, spelled.models), []);
  usageError(["--average-last", "0"], "--average-last");
  usageError(["--average-last", "1.5"], "--average-last");
  usageError(["--resume", "build/runs/x", "--average-last", "2"], "--average-last");
});

Deno.test("--average-lr: each model's default unless given, a rate in (0, 1)", () => {
  deepStrictEqual(parse([]).averageLearningRate, null);
  deepStrictEqual(parse(["--average-lr", "3e-4"]).averageLearningRate, 3e-4);
  deepStrictEqual(averageRateFor("draw", null), ARCHITECTURES.draw.defaultAverageRate ?? null);
  deepStrictEqual(averageRateFor("mlp", null), null);
  deepStrictEqual(averageRateFor("mlp", 2e-4), 2e-4);
  // A run recorded before the option ran its schedule to the end.
  deepStrictEqual(averageRateFor("draw", undefined), null);
  const config = parse(["--model", "mlp", "--average-last", "2", "--average-lr", "2e-4"]);
  deepStrictEqual(recipeChanges(config, config.models), [
    "--average-last 2",
    "--average-lr 0.0002",
  ]);
  usageError(["--average-lr", "0"], "--average-lr");
  usageError(["--average-lr", "1"], "--average-lr");
  usageError(["--average-lr", "fast"], "--average-lr");
  usageError(["--resume", "build/runs/x", "--average-lr", "2e-4"], "--average-lr");
});

Deno.test("--teacher: a file or none, its weight and temperature; each model's default unless given", () => {
  const config = parse(["--model", "mlp", "--teacher", "t.onnx", "--teacher-weight", "0.7"]);
  deepStrictEqual([config.teacher, config.teacherWeight, config.teacherTemperature], [
    "t.onnx",
    0.7,
    null,
  ]);
  deepStrictEqual(distillationFor("mlp", config), {
    teacher: "t.onnx",
    weight: 0.7,
    temperature: DEFAULT_TEMPERATURE,
  });
  deepStrictEqual(recipeChanges(config, config.models), [
    "--teacher t.onnx",
    "--teacher-weight 0.7",
  ]);
  deepStrictEqual(distillationFor("mlp", parse([])), null);
  deepStrictEqual(distillationFor("mlp", parse(["--teacher", "none"])), null);
  // A run recorded before the option learnt from its labels alone; resuming keeps that.
  deepStrictEqual(distillationFor("draw", {}), null);
  // Weight and temperature alone change nothing for a model without a teacher.
  const idle = parse(["--model", "mlp", "--teacher-temperature", "2"]);
  deepStrictEqual(recipeChanges(idle, idle.models), []);
  usageError(["--teacher", ""], "--teacher");
  usageError(["--teacher-weight", "1.5"], "--teacher-weight");
  usageError(["--teacher-weight", "half"], "--teacher-weight");
  usageError(["--teacher-temperature", "0"], "--teacher-temperature");
  usageError(["--resume", "build/runs/x", "--teacher", "t.onnx"], "--teacher");
});

Deno.test("--width scales draw's filters only", () => {
  deepStrictEqual(parse([]).width, null);
  deepStrictEqual([widthFor("draw", null), widthFor("draw", 1.5), widthFor("cnn", 1.5)], [
    1,
    1.5,
    1,
  ]);
  const draw = parse(["--model", "draw", "--width", "1.5"]);
  deepStrictEqual(recipeChanges(draw, draw.models), ["--width 1.5"]);
  const mlp = parse(["--model", "mlp", "--width", "1.5"]);
  deepStrictEqual(recipeChanges(mlp, mlp.models), []);
  usageError(["--width", "0"], "--width");
  usageError(["--width", "wide"], "--width");
  usageError(["--resume", "build/runs/x", "--width", "2"], "--width");
});
