/**
 * A PNG contact sheet of augmented digits, as the tutorial showed: each row is
 * one MNIST image, first untouched, then several augmentations of it.
 *
 * @module
 */
import { encode } from "fast-png";
import type { ImageAugmenter } from "./draw_augment.ts";
import type { DigitSet } from "./mnist_idx.ts";

const SIDE = 28;
const GAP = 2;

/** Renders `rows` digits with `variants` augmentations each, enlarged by `scale`. */
export function augmentationSheet(
  set: DigitSet,
  augmenter: ImageAugmenter,
  rows = 8,
  variants = 9,
  scale = 2,
): Uint8Array {
  const cell = SIDE * scale + GAP;
  const width = (variants + 1) * cell + GAP, height = rows * cell + GAP;
  const pixels = new Uint8Array(width * height).fill(96);
  const source = new Float32Array(SIDE * SIDE), out = new Float32Array(SIDE * SIDE);
  for (let row = 0; row < rows; row++) {
    // Spread rows over the set so the sheet shows different digits.
    const index = Math.floor(row * set.count / rows);
    for (let i = 0; i < source.length; i++) source[i] = set.images[index * 784 + i] / 255;
    for (let column = 0; column <= variants; column++) {
      if (column === 0) out.set(source);
      else augmenter.augment(source, out);
      const left = GAP + column * cell, top = GAP + row * cell;
      for (let y = 0; y < SIDE * scale; y++) {
        for (let x = 0; x < SIDE * scale; x++) {
          const value = out[Math.floor(y / scale) * SIDE + Math.floor(x / scale)];
          pixels[(top + y) * width + left + x] = Math.round(value * 255);
        }
      }
    }
  }
  return encode({ width, height, data: pixels, channels: 1, depth: 8 });
}
