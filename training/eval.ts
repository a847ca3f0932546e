/**
 * `deno task eval [--data DIR] [--pendigits DIR] [--confusion] [model.onnx | DIR ...]`: MNIST
 * test accuracy of ONNX models through onnxruntime-web and, with the pendigits data, the
 * held-out writers' accuracy beside it (their strokes drawn as the page draws them, at three
 * sizes and places). Without paths it scores every models/*.onnx; a folder stands for every
 * .onnx in it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  evaluateOnnx,
  EvaluationError,
  loadTestSet,
  readFileOrFail,
  readNormalisation,
  TEST_IMAGES_FILE,
} from "./evaluate.ts";
import { joinPath } from "../lib/join_path.ts";
import { heldOutLines, type PlacedSet, renderHeldOut, scoreHeldOut } from "./held_out.ts";
import { defaultCacheDir } from "./mnist_files.ts";
import { loadPendigits, PendigitsError, splitByWriter } from "./pendigits.ts";

const USAGE =
  "usage: deno task eval [--data DIR] [--pendigits DIR] [--confusion] [model.onnx | DIR ...]\n" +
  "  --data DIR    directory with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz\n" +
  "                (default: $MNIST_DIR, else the download cache of `deno task train`)\n" +
  "  --pendigits DIR  UCI pendigits (pendigits-orig.tra): also score the held-out writers\n" +
  "                (default: $PENDIGITS_DIR; without it only MNIST is scored)\n" +
  "  DIR           every .onnx file in the folder (default: models/)\n" +
  "  --confusion   also print each model's confusion matrix (rows: true digit)";

const MODELS_DIR = new URL("../models/", import.meta.url);

/** A one-line problem to report with exit code `exitCode`. */
class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        data: { type: "string" },
        pendigits: { type: "string" },
        confusion: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    // node's messages run to several sentences; the first says what was wrong.
    const reason = (error as Error).message.split(". ")[0];
    throw new CliError(`${reason} (see --help)`, 2);
  }
}

/** The .onnx files in `dir`, sorted; empty when it has none or does not exist. */
async function onnxFilesIn(dir: string): Promise<string[]> {
  const paths: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".onnx")) paths.push(joinPath(dir, entry.name));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return paths.sort();
}

async function defaultModels(): Promise<string[]> {
  const paths = await onnxFilesIn(decodeURIComponent(MODELS_DIR.pathname));
  if (paths.length === 0) {
    throw new CliError("no models/*.onnx to evaluate: train them with `deno task train`");
  }
  return paths;
}

/** Positionals as model files: a folder stands for the .onnx files in it. */
async function expandFolders(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const isFolder = await Deno.stat(path).then((info) => info.isDirectory, () => false);
    if (!isFolder) {
      files.push(path);
      continue;
    }
    const inside = await onnxFilesIn(path);
    if (inside.length === 0) throw new CliError(`${path} is a folder without .onnx files`);
    files.push(...inside);
  }
  return files;
}

/** The folder holding MNIST's test files: --data, $MNIST_DIR, else train's download cache. */
async function testDataDir(flag?: string, mnistDir?: string, cacheDir?: string): Promise<string> {
  const chosen = flag ?? mnistDir;
  if (chosen !== undefined) return chosen;
  if (cacheDir !== undefined) {
    const cached = await Deno.stat(joinPath(cacheDir, TEST_IMAGES_FILE)).then(
      () => true,
      () => false,
    );
    if (cached) return cacheDir;
  }
  throw new CliError(
    "no MNIST test data: pass --data DIR, set MNIST_DIR, or run `deno task train` once to " +
      `download it${cacheDir ? ` into ${cacheDir}` : ""}`,
  );
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/**
 * Runs the CLI; returns the process exit code. `cacheDir` is where `deno task train` keeps
 * downloaded MNIST, used when neither --data nor `mnistDir` says where the test set is.
 */
export async function main(
  args: string[],
  mnistDir?: string,
  cacheDir?: string,
  pendigitsDir?: string,
): Promise<number> {
  try {
    const flags = parseFlags(args);
    if (flags.values.help) {
      console.log(USAGE);
      return 0;
    }
    const paths = flags.positionals.length > 0
      ? await expandFolders(flags.positionals)
      : await defaultModels();
    // Read every model first, so a typo fails before the data is decoded.
    const models = await Promise.all(paths.map((path) => readFileOrFail(path, "model")));
    const dataDir = await testDataDir(flags.values.data, mnistDir, cacheDir);
    const testSet = await loadTestSet(dataDir);
    const penDir = flags.values.pendigits ?? pendigitsDir;
    let heldOut: PlacedSet[] | null = null;
    if (penDir) {
      heldOut = renderHeldOut(splitByWriter((await loadPendigits(penDir)).digits).heldOut);
    } else {
      console.log("no pendigits data (--pendigits DIR or PENDIGITS_DIR): MNIST only");
    }
    const table: string[] = [];
    for (const [index, path] of paths.entries()) {
      const started = performance.now();
      const normalisation = await readNormalisation(path);
      let result;
      try {
        result = await evaluateOnnx(models[index], testSet, normalisation);
      } catch (error) {
        const reason = String((error as Error).message ?? error).split("\n")[0];
        throw new CliError(`${path}: onnxruntime could not run it (${reason})`);
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const worst = result.perClassAccuracy.indexOf(Math.min(...result.perClassAccuracy));
      console.log(
        `${path}: accuracy ${percent(result.accuracy)} (${result.correct}/${result.count}), ` +
          `worst digit ${worst} ${percent(result.perClassAccuracy[worst])}, ${seconds} s`,
      );
      console.log(
        `  per digit: ${result.perClassAccuracy.map((a, d) => `${d} ${percent(a)}`).join(", ")}`,
      );
      if (flags.values.confusion) {
        for (const row of result.confusionMatrix) {
          console.log("  " + row.map((n) => String(n).padStart(5)).join(""));
        }
      }
      let row = `| ${path.split("/").pop()} | ${percent(result.accuracy)} | ${worst}: ` +
        `${percent(result.perClassAccuracy[worst])} |`;
      if (heldOut) {
        const report = await scoreHeldOut(models[index], heldOut, normalisation);
        const lines = heldOutLines(report);
        // The confusion matrix (the lines after the calibration line) only with --confusion.
        for (const line of flags.values.confusion ? lines : lines.slice(0, 3)) console.log(line);
        const { overall } = report;
        const penWorst = overall.perClassAccuracy.indexOf(Math.min(...overall.perClassAccuracy));
        row += ` ${percent(overall.accuracy)} | ` +
          report.byPlacement.map((p) => percent(p.accuracy)).join(" | ") +
          ` | ${penWorst}: ${percent(overall.perClassAccuracy[penWorst])} |`;
      }
      table.push(row);
    }
    console.log("");
    console.log(
      "| model file | MNIST test | MNIST worst digit |" +
        (heldOut
          ? " held-out writers | " + heldOut.map((p) => p.placement).join(" | ") +
            " | held-out worst digit |"
          : ""),
    );
    console.log("|---|---|---|" + (heldOut ? "---|".repeat(heldOut.length + 2) : ""));
    for (const row of table) console.log(row);
    return 0;
  } catch (error) {
    if (
      error instanceof CliError || error instanceof EvaluationError ||
      error instanceof PendigitsError
    ) {
      console.error(`eval: ${error.message}`);
      return error instanceof CliError ? error.exitCode : 1;
    }
    throw error;
  }
}

if (import.meta.main) {
  const env = Deno.env.toObject();
  Deno.exit(await main(Deno.args, env.MNIST_DIR, defaultCacheDir(env), env.PENDIGITS_DIR));
}
