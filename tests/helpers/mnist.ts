/**
 * MNIST's test set for tests that need real digits: from `MNIST_DIR`, else the folder beside
 * the project where our machines keep it. Null (the caller skips, saying why) when absent;
 * under CI a missing set is a failure, since `.ci/run` provides it.
 *
 * @module
 */
import { type DigitSet, parseDigitSet } from "../../training/mnist_idx.ts";

const DEFAULT_DIR = new URL("../../../shared/data/mnist/", import.meta.url);

let cached: Promise<DigitSet | null> | undefined;

export function mnistTestSet(): Promise<DigitSet | null> {
  cached ??= load();
  return cached;
}

async function load(): Promise<DigitSet | null> {
  const dir = Deno.env.get("MNIST_DIR");
  const base = dir ? new URL(`file://${dir.replace(/\/?$/, "/")}`) : DEFAULT_DIR;
  try {
    return await parseDigitSet(
      await Deno.readFile(new URL("t10k-images-idx3-ubyte.gz", base)),
      await Deno.readFile(new URL("t10k-labels-idx1-ubyte.gz", base)),
    );
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    if (Deno.env.get("CI") === "true") throw new Error(`MNIST test set not found in ${base}`);
    console.warn(`skipping: MNIST test set not found in ${base.pathname} (set MNIST_DIR)`);
    return null;
  }
}

/** The `index`th digit's 784 grey bytes. */
export function mnistDigit(set: DigitSet, index: number): Uint8Array {
  return set.images.subarray(index * 784, (index + 1) * 784);
}
