/**
 * A mini-batch's float input from a set's bytes: normalised pixels, NHWC, augmented when an
 * augmenter is given. The training loop fills on this thread; data-parallel workers fill their
 * own slices (train_worker.ts), which is why an augmented image can take its own seed.
 *
 * @module
 */
import type { Normalisation } from "../lib/model_metadata.ts";
import type { SeededAugmenter } from "./architectures.ts";
import type { DigitSet } from "./mnist_idx.ts";

const PIXELS = 784;

/**
 * Fills `target` with normalised pixels of the images at `indices`, NHWC order. With `seeds`,
 * image n's augmentation draws from `augmenter.random` restarted at `seeds[n]`, so it does not
 * depend on the images before it; without, the augmenter's stream runs on from image to image.
 */
export function fillBatch(
  set: Pick<DigitSet, "images">,
  indices: ArrayLike<number>,
  normalisation: Normalisation,
  target: Float32Array,
  augmenter?: SeededAugmenter,
  seeds?: ArrayLike<number>,
): void {
  const source = new Float32Array(PIXELS);
  const scratch = new Float32Array(PIXELS);
  const scale = 1 / normalisation.std;
  for (let n = 0; n < indices.length; n++) {
    const offset = indices[n] * PIXELS;
    for (let i = 0; i < PIXELS; i++) source[i] = set.images[offset + i] / 255;
    if (augmenter && seeds) augmenter.random.restart(seeds[n]);
    const pixels = augmenter ? (augmenter.augment(source, scratch), scratch) : source;
    const base = n * PIXELS;
    for (let i = 0; i < PIXELS; i++) target[base + i] = (pixels[i] - normalisation.mean) * scale;
  }
}
