/**
 * The committed models must keep their promised MNIST test accuracy. Needs the test set
 * (MNIST_DIR); without it the tests are ignored with a message, never passed.
 */
import { assert } from "../lib/assert.ts";
import type { ModelName } from "../lib/model_metadata.ts";
import { evaluateOnnx, loadTestSet, readFileOrFail, readNormalisation } from "./evaluate.ts";

/** Lowest acceptable MNIST test accuracy per shipped model (issue 2). */
const REQUIRED_ACCURACY: Record<ModelName, number> = {
  "mlp": 0.980,
  "cnn": 0.992,
  "cnn-aug": 0.995,
};

const mnistDir = Deno.env.get("MNIST_DIR");
if (!mnistDir) {
  console.warn("shipped_models_test: MNIST_DIR is not set; shipped model accuracy NOT checked");
}
// Loaded once for all three; a set-but-wrong MNIST_DIR fails here rather than skipping quietly.
const testSet = mnistDir ? await loadTestSet(mnistDir) : undefined;

for (const [name, required] of Object.entries(REQUIRED_ACCURACY)) {
  Deno.test({
    name: `models/${name}.onnx reaches ${(required * 100).toFixed(1)}% on the MNIST test set`,
    ignore: testSet === undefined,
    fn: async () => {
      const path = decodeURIComponent(new URL(`../models/${name}.onnx`, import.meta.url).pathname);
      const bytes = await readFileOrFail(path, "shipped model");
      const result = await evaluateOnnx(bytes, testSet!, await readNormalisation(path));
      assert(testSet!.count === 10_000, `expected the full test set, got ${testSet!.count} images`);
      assert(
        result.accuracy >= required,
        `${name}: ${(result.accuracy * 100).toFixed(2)}% < ${(required * 100).toFixed(1)}%`,
      );
    },
  });
}
