/**
 * `deno task quantize [--data DIR] [--out DIR] [name ...]`: writes the int8 twin of trained
 * models (models/<name>.int8.onnx) and records it in their metadata, without retraining.
 * `deno task train` does the same after exporting each model.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { ModelMetadata } from "../lib/model_metadata.ts";
import { makeInt8Variant } from "./int8_variant.ts";
import { loadMnist, MnistDataError } from "./mnist_data.ts";
import { defaultCacheDir } from "./mnist_files.ts";
import { ModelSetWriter } from "./model_set.ts";

const USAGE = "usage: deno task quantize [--data DIR] [--out DIR] [name ...]\n" +
  "  --data DIR   MNIST's four .gz files (default $MNIST_DIR, else download)\n" +
  "  --out DIR    models folder (default models/)\n" +
  "  name         models to quantize (default every model with a .onnx and .json there)";

/** A problem to report as one line with `exitCode` (2: the command line, 1: the rest). */
class QuantizeError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Models with both `<name>.onnx` and `<name>.json` in `dir`. */
async function modelsIn(dir: string): Promise<string[]> {
  const files = new Set<string>();
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.isFile) files.add(entry.name);
  } catch (error) {
    throw new QuantizeError(`--out ${dir}: ${(error as Error).message.split("\n")[0]}`);
  }
  return [...files]
    .filter((f) => f.endsWith(".json") && files.has(f.replace(/\.json$/, ".onnx")))
    .map((f) => f.slice(0, -".json".length))
    .sort();
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        data: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    // node's messages run to several sentences; the first says what was wrong.
    throw new QuantizeError(`${(error as Error).message.split(/\. |\n/)[0]} (see --help)`, 2);
  }
}

/** Runs the CLI; returns the exit code. */
export async function main(
  args: string[],
  env: { MNIST_DIR?: string; XDG_CACHE_HOME?: string; HOME?: string },
  defaultOut = decodeURIComponent(new URL("../models", import.meta.url).pathname),
): Promise<number> {
  try {
    const { values, positionals } = parse(args);
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const outDir = values.out ?? defaultOut;
    const present = await modelsIn(outDir);
    // Checked before MNIST is decoded, so a typo fails at once.
    const unknown = positionals.find((name) => !present.includes(name));
    if (unknown !== undefined) {
      throw new QuantizeError(
        `no model "${unknown}" in ${outDir} (it needs ${unknown}.onnx and ${unknown}.json; ` +
          `there: ${present.join(", ") || "none"})`,
        2,
      );
    }
    const names = positionals.length > 0 ? positionals : present;
    const mnist = await loadMnist({
      dataDir: values.data ?? env.MNIST_DIR,
      cacheDir: defaultCacheDir(env),
    });
    for (const name of names) {
      const metadata = JSON.parse(
        await Deno.readTextFile(`${outDir}/${name}.json`),
      ) as ModelMetadata;
      const int8 = await makeInt8Variant({
        name,
        fp32: await Deno.readFile(`${outDir}/${name}.onnx`),
        normalisation: metadata.input.normalisation,
        train: mnist.train,
        test: mnist.test,
      });
      if (!int8) {
        console.log(`${name}: nothing worth quantizing; stays float`);
        continue;
      }
      const set = new ModelSetWriter(outDir, name);
      try {
        await set.stage(int8.variant.file, int8.bytes);
        await set.stage(
          `${name}.json`,
          JSON.stringify({ ...metadata, int8: int8.variant }, null, 2) + "\n",
        );
        await set.commit();
      } finally {
        await set.abort();
      }
      console.log(
        `${name}: wrote ${int8.variant.file}: test accuracy ` +
          `${(int8.variant.testAccuracy * 100).toFixed(2)}% ` +
          `(float ${(metadata.testAccuracy * 100).toFixed(2)}%), same label as float on ` +
          `${(int8.variant.agreementWithFloat * 100).toFixed(2)}% of the test set`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof QuantizeError) {
      console.error(`error: ${error.message}`);
      if (error.exitCode === 2) console.error(USAGE);
      return error.exitCode;
    }
    if (error instanceof MnistDataError || error instanceof Deno.errors.NotFound) {
      console.error(`error: ${(error as Error).message.split("\n")[0]}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, Deno.env.toObject()));
}
