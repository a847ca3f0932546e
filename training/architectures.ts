/**
 * The tfjs architectures: the tutorial's MLP, CNN and augmented CNN, and `draw`.
 * Inputs are NHWC [N,28,28,1], normalised; outputs are logits [N,10].
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelName } from "../lib/model_metadata.ts";
import { fastBatchNormalization } from "./fast_batch_norm.ts";

type ConvArgs = Parameters<typeof tf.layers.conv2d>[0];

const INPUT_SHAPE = [28, 28, 1];

function mlp(seed: number): tf.Sequential {
  return tf.sequential({
    name: "mlp",
    layers: [
      tf.layers.flatten({ inputShape: INPUT_SHAPE }),
      tf.layers.dense({ units: 392, activation: "relu", kernelInitializer: glorot(seed) }),
      tf.layers.dense({ units: 10, kernelInitializer: glorot(seed + 1) }),
    ],
  });
}

function cnn(seed: number): tf.Sequential {
  return tf.sequential({
    name: "cnn",
    layers: [
      conv(32, seed, { inputShape: INPUT_SHAPE, activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      conv(64, seed + 1, { activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: glorot(seed + 2) }),
      tf.layers.dense({ units: 10, kernelInitializer: glorot(seed + 3) }),
    ],
  });
}

/** Conv -> BatchNorm -> ReLU, the augmented model's block. */
function convBlock(filters: number, seed: number, first = false): tf.layers.Layer[] {
  return [
    conv(filters, seed, first ? { inputShape: INPUT_SHAPE, useBias: false } : { useBias: false }),
    fastBatchNormalization({ axis: -1 }),
    tf.layers.activation({ activation: "relu" }),
  ];
}

function cnnAug(seed: number): tf.Sequential {
  return tf.sequential({
    name: "cnn_aug",
    layers: [
      ...convBlock(32, seed, true),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      ...convBlock(64, seed + 1),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      ...convBlock(64, seed + 2),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: glorot(seed + 3) }),
      tf.layers.dropout({ rate: 0.5, seed: seed + 4 }),
      tf.layers.dense({ units: 10, kernelInitializer: glorot(seed + 5) }),
    ],
  });
}

/**
 * The default model for drawn digits: three narrow conv blocks (16, 32, 64 filters), each
 * halving the field, so a digit costs ~2 M multiply-adds (cnn-aug ~6 M) and serving gets
 * faster; the capacity goes where pen strokes need it, not into a 400k-weight Dense.
 */
function draw(seed: number): tf.Sequential {
  return tf.sequential({
    name: "draw",
    layers: [
      ...convBlock(16, seed, true),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      ...convBlock(32, seed + 1),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      ...convBlock(64, seed + 2),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: glorot(seed + 3) }),
      tf.layers.dropout({ rate: 0.3, seed: seed + 4 }),
      tf.layers.dense({ units: 10, kernelInitializer: glorot(seed + 5) }),
    ],
  });
}

function conv(
  filters: number,
  seed: number,
  extra: Partial<ConvArgs> = {},
): tf.layers.Layer {
  return tf.layers.conv2d({
    filters,
    kernelSize: 3,
    padding: "same",
    kernelInitializer: glorot(seed),
    ...extra,
  });
}

function glorot(seed: number) {
  return tf.initializers.glorotUniform({ seed });
}

const BUILDERS: Record<ModelName, (seed: number) => tf.Sequential> = {
  mlp,
  cnn,
  "cnn-aug": cnnAug,
  draw,
};

/** Builds the named architecture with seeded initial weights. */
export function buildModel(name: ModelName, seed: number): tf.Sequential {
  return BUILDERS[name](seed);
}

/** Whether the architecture is trained on augmented batches. */
export function usesAugmentation(name: ModelName): boolean {
  return name === "cnn-aug" || name === "draw";
}

/** A one-line-per-layer summary for the metadata and the model card. */
export function describeLayers(model: tf.LayersModel): string[] {
  return model.layers.map((layer) => {
    const shape = JSON.stringify(layer.outputShape).replaceAll("null", "N");
    return `${layer.getClassName()} -> ${shape} (${layer.countParams()} params)`;
  });
}
