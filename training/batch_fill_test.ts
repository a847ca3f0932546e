import assert from "node:assert/strict";
import { MNIST_NORMALISATION } from "../lib/model_metadata.ts";
import { Augmenter } from "./augment.ts";
import { fillBatch } from "./batch_fill.ts";
import { Random } from "./random.ts";

const PIXELS = 784;

/** Three different blobs, so the images' augmentations are told apart. */
const images = Uint8Array.from({ length: 3 * PIXELS }, (_, i) => {
  const n = Math.floor(i / PIXELS), x = i % 28, y = Math.floor((i % PIXELS) / 28);
  return Math.hypot(x - 9 - 4 * n, y - 14) < 5 + n ? 255 : 0;
});

function filled(indices: number[], seeds?: number[]): Float32Array {
  const target = new Float32Array(indices.length * PIXELS);
  const augmenter = new Augmenter(new Random(99));
  fillBatch({ images }, indices, MNIST_NORMALISATION, target, augmenter, seeds);
  return target;
}

Deno.test("with seeds an image's augmentation depends on its seed, not on the images before it", () => {
  const batch = filled([0, 1, 2], [11, 22, 33]);
  // Image 2 alone, or after another image, with its seed: the same pixels.
  assert.deepEqual(filled([2], [33]), batch.subarray(2 * PIXELS));
  assert.deepEqual(filled([1, 2], [44, 33]).subarray(PIXELS), batch.subarray(2 * PIXELS));
  // Another seed, another augmentation.
  assert.notDeepEqual(filled([2], [34]), batch.subarray(2 * PIXELS));
});

Deno.test("without seeds the augmenter's stream runs on from image to image", () => {
  const batch = filled([2, 2]);
  assert.notDeepEqual(batch.subarray(0, PIXELS), batch.subarray(PIXELS));
});
