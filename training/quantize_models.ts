/**
 * `deno task quantize [--data DIR] [--out DIR] [name ...]`: writes the int8 twin of trained
 * models (models/<name>.int8.onnx) and records it in their metadata, without retraining.
 * `deno task train` does the same after exporting each model.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { writeFileAtomic } from "./atomic_write.ts";
import { MODEL_NAMES, type ModelMetadata } from "../lib/model_metadata.ts";
import { writeInt8Variant } from "./int8_variant.ts";
import { loadMnist } from "./mnist_data.ts";

const USAGE = "usage: deno task quantize [--data DIR] [--out DIR] [name ...]\n" +
  "  --data DIR   MNIST's four .gz files (default $MNIST_DIR, else download)\n" +
  "  --out DIR    models folder (default models/)\n" +
  `  name         models to quantize (default every one of ${MODEL_NAMES.join(", ")} present)`;

async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      data: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const outDir = values.out ??
    decodeURIComponent(new URL("../models", import.meta.url).pathname);
  const names = positionals.length > 0 ? positionals : MODEL_NAMES.filter((name) => {
    try {
      return Deno.statSync(`${outDir}/${name}.onnx`).isFile;
    } catch {
      return false;
    }
  });
  const cacheHome = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "."}/.cache`;
  const mnist = await loadMnist({
    dataDir: values.data ?? Deno.env.get("MNIST_DIR"),
    cacheDir: `${cacheHome}/digitlab/mnist`,
  });
  for (const name of names) {
    const metadataPath = `${outDir}/${name}.json`;
    const metadata = JSON.parse(await Deno.readTextFile(metadataPath)) as ModelMetadata;
    const int8 = await writeInt8Variant({
      name,
      outDir,
      fp32: await Deno.readFile(`${outDir}/${name}.onnx`),
      normalisation: metadata.input.normalisation,
      train: mnist.train,
      test: mnist.test,
    });
    if (!int8) {
      console.log(`${name}: nothing worth quantizing; stays float`);
      continue;
    }
    await writeFileAtomic(metadataPath, JSON.stringify({ ...metadata, int8 }, null, 2) + "\n");
    console.log(
      `${name}: wrote ${int8.file}: test accuracy ${(int8.testAccuracy * 100).toFixed(2)}% ` +
        `(float ${(metadata.testAccuracy * 100).toFixed(2)}%), same label as float on ` +
        `${(int8.agreementWithFloat * 100).toFixed(2)}% of the test set`,
    );
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    // A bad flag (node:util parseArgs) is a usage error; anything else (missing data or model
    // files, a checksum mismatch) is a failure with its one-line reason.
    const badFlag = String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");
    if (badFlag) console.error(USAGE);
    Deno.exit(badFlag ? 2 : 1);
  }
}
