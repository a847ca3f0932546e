/**
 * Start-up warm-up for the preprocessing, so the first requests do not pay for compiling it.
 *
 * @module
 */
import type { PixelImage } from "../lib/ink_map.ts";
import { mnistField, normalise } from "../lib/preprocess.ts";

/**
 * Runs the preprocessing a few times on a synthetic stroke in each of the common kinds of image:
 * a transparent canvas, dark ink on opaque white (the draw page's), and 1-channel grey like MNIST.
 * Each kind takes its own code path.
 */
export function warmUpPreprocessing(): void {
  const size = 96;
  const kinds: PixelImage[] = [
    stroke(size, 4, [0, 0, 0, 0], [0, 0, 0, 255]),
    stroke(size, 4, [255, 255, 255, 255], [20, 20, 20, 255]),
    stroke(size, 1, [0], [255]),
  ];
  for (let pass = 0; pass < 20; pass++) {
    for (const image of kinds) normalise(mnistField(image), { mean: 0, std: 1 });
  }
}

/** Two lines (a "1" and a diagonal) in `ink` on `paper`, `channels` bytes per pixel. */
function stroke(size: number, channels: 1 | 4, paper: number[], ink: number[]): PixelImage {
  const data = new Uint8Array(size * size * channels);
  for (let i = 0; i < data.length; i++) data[i] = paper[i % channels];
  for (let i = 20; i < 76; i++) {
    for (const pixel of [i * size + 48, i * size + i]) data.set(ink, pixel * channels);
  }
  return { width: size, height: size, channels, data };
}
