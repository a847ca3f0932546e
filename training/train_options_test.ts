import assert, { deepStrictEqual } from "node:assert/strict";
import { DEFAULT_EPOCHS, parseTrainArgs, UsageError } from "./train_options.ts";

const parse = (args: string[], env = {}) => parseTrainArgs(args, env, "/out");

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
  const config = parse([], { MNIST_DIR: "/data", HOME: "/home/u" });
  deepStrictEqual(config.models, ["mlp", "cnn", "cnn-aug", "draw"]);
  deepStrictEqual([config.epochs, config.batchSize, config.learningRate], [null, 64, 1e-3]);
  deepStrictEqual(DEFAULT_EPOCHS, { mlp: 10, cnn: 10, "cnn-aug": 16, draw: 5 });
  deepStrictEqual([config.dataDir, config.cacheDir, config.outDir], [
    "/data",
    "/home/u/.cache/digitlab/mnist",
    "/out",
  ]);
  deepStrictEqual(config.limit, null);
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
