/**
 * Untrained models for tests that need a models folder before (or without) the shipped ones:
 * a tfjs architecture with its seeded initial weights, exported by the project's ONNX exporter,
 * with metadata in the shipped format. Predictions are arbitrary but deterministic.
 *
 * @module
 */
import { buildModel } from "../../training/architectures.ts";
import { exportOnnx } from "../../training/onnx_export.ts";
import { MODEL_IO, type ModelMetadata, type ModelName } from "../../lib/model_metadata.ts";

/** Metadata shaped like the training pipeline's, with made-up scores. */
export function testMetadata(name: string, testAccuracy = 0.5): ModelMetadata {
  return {
    name,
    version: "0.0.0-test",
    architecture: ["Flatten", "Dense(392, relu)", "Dense(10)"],
    parameters: 784 * 392 + 392 + 392 * 10 + 10,
    ...MODEL_IO,
    opset: 13,
    testAccuracy,
    perClassAccuracy: Array(10).fill(testAccuracy),
    confusionMatrix: Array.from({ length: 10 }, () => Array(10).fill(0)),
    history: [],
    hyperParameters: {
      epochs: 0,
      batchSize: 64,
      learningRate: 0.001,
      schedule: "none",
      optimizer: "adam",
      loss: "categoricalCrossentropy",
      augmentation: false,
      limit: null,
    },
    seed: 1,
    trainingSeconds: 0,
    date: "2025-01-01T00:00:00.000Z",
    data: { trainCount: 0, testCount: 0, sha256: {} },
    tools: {},
  };
}

const exported = new Map<string, Uint8Array>();

/** ONNX bytes of the untrained `architecture` (cached: exporting takes a moment). */
export function untrainedOnnx(architecture: ModelName = "mlp", seed = 7): Uint8Array {
  const key = `${architecture}:${seed}`;
  let bytes = exported.get(key);
  if (!bytes) {
    const model = buildModel(architecture, seed);
    bytes = exportOnnx(model, { name: architecture });
    model.dispose();
    exported.set(key, bytes);
  }
  return bytes;
}

/**
 * A temporary models folder holding `names` (each an untrained MLP under that name, with
 * metadata). Remove it with `Deno.remove(dir, { recursive: true })`.
 */
export async function writeTestModels(
  names: string[],
  accuracy: (name: string) => number = () => 0.5,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "digitlab-models-" });
  for (const [index, name] of names.entries()) {
    await Deno.writeFile(`${dir}/${name}.onnx`, untrainedOnnx("mlp", 7 + index));
    await Deno.writeTextFile(
      `${dir}/${name}.json`,
      JSON.stringify(testMetadata(name, accuracy(name)), null, 2),
    );
  }
  return dir;
}
