/**
 * What the training benchmarks (`bench:train`, `bench:finetune`) share: MNIST from MNIST_DIR
 * (or a message and exit), the load average as printed beside each row, and the CPU seconds of
 * every thread of the process, workers included (on a busy machine wall time says more about
 * the scheduler than the code).
 *
 * @module
 */
import process from "node:process";
import { MNIST_NORMALISATION, type ModelName } from "../lib/model_metadata.ts";
import { usesAugmentation } from "../training/architectures.ts";
import { loadMnist } from "../training/mnist_data.ts";

/** MNIST from MNIST_DIR; without it, says what `task` needs and exits 1. */
export async function benchMnist(task: string) {
  const dataDir = Deno.env.get("MNIST_DIR");
  if (!dataDir) {
    console.error(`${task} needs MNIST: set MNIST_DIR to the folder of the four .gz files`);
    Deno.exit(1);
  }
  return await loadMnist({ dataDir, cacheDir: "", quiet: true });
}

/** The 1, 5 and 15 minute load averages, as the tables print them. */
export const loadAverage = () => Deno.loadavg().map((n) => n.toFixed(2)).join(" ");

/** CPU seconds of every thread of this process (workers included). */
export function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** The options of one bench step of `name`: the training recipe's, at a constant rate. */
export function stepOptions(name: ModelName, batchSize: number) {
  return {
    epochs: 1,
    batchSize,
    learningRate: 1e-3,
    schedule: "constant" as const,
    augment: usesAugmentation(name),
    seed: 1,
    normalisation: MNIST_NORMALISATION,
    architecture: { name, seed: 1 },
  };
}
