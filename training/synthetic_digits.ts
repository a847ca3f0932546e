/**
 * Synthetic digits for training tests: no data set needed.
 *
 * @module
 */
import type { DigitSet } from "./mnist_idx.ts";
import { Random } from "./random.ts";

/** Blobs of ink at random places: enough structure for non-trivial gradients. */
export function syntheticDigits(count: number, seed: number): DigitSet {
  const random = new Random(seed);
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    labels[n] = Math.floor(random.next() * 10);
    const cx = 6 + random.next() * 16, cy = 6 + random.next() * 16, r = 3 + labels[n] / 2;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const d = Math.hypot(x - cx, y - cy);
        images[n * 784 + y * 28 + x] = d < r ? 255 : Math.max(0, 255 - (d - r) * 120);
      }
    }
  }
  return { images, labels, count, rows: 28, cols: 28 };
}
