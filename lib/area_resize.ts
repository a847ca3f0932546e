/**
 * Area-averaging resampling: each output pixel is the mean of the source area it covers,
 * counting partly covered source pixels by the share covered. Shrinking a canvas drawing this
 * way keeps thin strokes as grey instead of dropping them (nearest neighbour) and matches the
 * anti-aliasing of MNIST's digits.
 *
 * @module
 */
import type { Box } from "./ink_box.ts";

/**
 * Resamples `box` of a single-channel image (`source`, `sourceWidth` wide) to
 * `width` x `height`.
 */
export function areaResize(
  source: Float32Array,
  sourceWidth: number,
  box: Box,
  width: number,
  height: number,
): Float32Array {
  const across = coverage(box.width, width);
  const down = coverage(box.height, height);
  // Horizontal pass over the box's rows, then a vertical pass: cost is linear in the box.
  const narrowed = new Float32Array(width * box.height);
  for (let y = 0; y < box.height; y++) {
    const row = (box.y + y) * sourceWidth + box.x;
    for (let x = 0; x < width; x++) {
      const { first, weights } = across[x];
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k] * source[row + first + k];
      narrowed[y * width + x] = sum;
    }
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const { first, weights } = down[y];
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) {
        sum += weights[k] * narrowed[(first + k) * width + x];
      }
      out[y * width + x] = sum;
    }
  }
  return out;
}

interface Footprint {
  first: number;
  weights: Float64Array;
}

/** For each of `outputs` cells, the source cells it covers and their weights (summing to 1). */
function coverage(inputs: number, outputs: number): Footprint[] {
  const step = inputs / outputs;
  return Array.from({ length: outputs }, (_, i) => {
    const start = i * step;
    const end = Math.min(inputs, start + step);
    const first = Math.floor(start);
    const last = Math.min(inputs - 1, Math.ceil(end) - 1);
    const weights = new Float64Array(last - first + 1);
    for (let k = first; k <= last; k++) {
      weights[k - first] = (Math.min(end, k + 1) - Math.max(start, k)) / step;
    }
    return { first, weights };
  });
}
