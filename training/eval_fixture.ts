/**
 * Test fixtures for the evaluator: a tiny ONNX model whose answers are known in advance and a
 * synthetic digit set written as MNIST's gzipped IDX files.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { DigitSet } from "./mnist_idx.ts";
import { TEST_IMAGES_FILE, TEST_LABELS_FILE } from "./evaluate.ts";
import { exportOnnx } from "./onnx_export.ts";
import { initTrainingBackend } from "./tf_backend.ts";

const PIXELS = 28 * 28;

/** An ONNX model that answers with the brightest of pixels 0-9 (logit c = pixel c). */
export async function brightestPixelModel(): Promise<Uint8Array> {
  await initTrainingBackend();
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const kernel = new Float32Array(PIXELS * 10);
  for (let c = 0; c < 10; c++) kernel[c * 10 + c] = 1;
  const weights = [tf.tensor2d(kernel, [PIXELS, 10]), tf.zeros([10])];
  model.setWeights(weights);
  try {
    return exportOnnx(model, { name: "brightest-pixel" });
  } finally {
    tf.dispose(weights);
    model.dispose();
  }
}

/** `count` images: image i lights pixel `lit(i)` (0-9) and is labelled `label(i)`. */
export function litPixelSet(
  count: number,
  lit: (i: number) => number,
  label: (i: number) => number,
): DigitSet {
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    images[i * PIXELS + lit(i)] = 255;
    labels[i] = label(i);
  }
  return { images, labels, count, rows: 28, cols: 28 };
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Writes `set` into `dir` as MNIST's two t10k IDX .gz files. */
export async function writeTestSet(dir: string, set: DigitSet): Promise<void> {
  const images = new Uint8Array(16 + set.images.length);
  const imagesView = new DataView(images.buffer);
  [2051, set.count, set.rows, set.cols].forEach((word, i) => imagesView.setUint32(i * 4, word));
  images.set(set.images, 16);
  const labels = new Uint8Array(8 + set.count);
  const labelsView = new DataView(labels.buffer);
  [2049, set.count].forEach((word, i) => labelsView.setUint32(i * 4, word));
  labels.set(set.labels, 8);
  await Deno.writeFile(`${dir}/${TEST_IMAGES_FILE}`, await gzip(images));
  await Deno.writeFile(`${dir}/${TEST_LABELS_FILE}`, await gzip(labels));
}
