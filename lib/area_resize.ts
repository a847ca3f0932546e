/**
 * Area-averaging resampling: each output pixel is the mean of the source area it covers,
 * counting partly covered source pixels by the share covered. Shrinking a canvas drawing this
 * way keeps thin strokes as grey instead of dropping them (nearest neighbour) and matches the
 * anti-aliasing of MNIST's digits.
 *
 * @module
 */
import type { Box } from "./ink_box.ts";
import type { InkLevels } from "./ink_map.ts";

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
  // Horizontal pass over the box's rows, then a vertical pass: cost is linear in the box.
  const narrowed = new Float32Array(width * box.height);
  for (let y = 0; y < box.height; y++) {
    const row = (box.y + y) * sourceWidth + box.x;
    for (let x = 0, w = 0; x < width; x++) {
      const first = row + across.first[x];
      let sum = 0;
      for (let k = 0; k < across.count[x]; k++, w++) sum += across.weight[w] * source[first + k];
      narrowed[y * width + x] = sum;
    }
  }
  return resizeColumns(narrowed, width, box.height, height);
}

/**
 * `areaResize` of the ink that `levels` describe, reading each row only where it has ink and
 * skipping pixels without: the sums are added in the same order, so the results are the same
 * to the bit.
 */
export function areaResizeLevels(
  levels: InkLevels,
  box: Box,
  width: number,
  height: number,
): Float32Array {
  const { bytes, offset, stride, ink, rowStart, rowEnd } = levels;
  const { first, count, weight } = coverage(box.width, width);
  const narrowed = new Float32Array(width * box.height);
  for (let y = 0; y < box.height; y++) {
    const row = box.y + y;
    // Outside [from, to) the row has no ink: outputs covering only that part stay 0.
    const from = Math.max(rowStart[row], box.x) - box.x;
    const to = Math.min(rowEnd[row], box.x + box.width) - box.x;
    const base = offset + (row * levels.width + box.x) * stride;
    for (let x = 0, w = 0; x < width; x++) {
      const n = count[x];
      if (first[x] + n <= from || first[x] >= to) {
        w += n;
        continue;
      }
      let sum = 0;
      for (let k = 0, p = base + first[x] * stride; k < n; k++, w++, p += stride) {
        const v = ink[bytes[p]];
        if (v !== 0) sum += weight[w] * v; // adding 0 changes nothing
      }
      narrowed[y * width + x] = sum;
    }
  }
  return resizeColumns(narrowed, width, box.height, height);
}

/** The vertical pass: `rows` rows of `width` values resampled to `height` rows. */
function resizeColumns(
  narrowed: Float32Array,
  width: number,
  rows: number,
  height: number,
): Float32Array {
  const down = coverage(rows, height);
  const out = new Float32Array(width * height);
  for (let y = 0, w = 0; y < height; y++) {
    const first = down.first[y], count = down.count[y];
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = 0; k < count; k++) sum += down.weight[w + k] * narrowed[(first + k) * width + x];
      out[y * width + x] = sum;
    }
    w += count;
  }
  return out;
}

/**
 * For each of `outputs` cells, the first source cell it covers, how many it covers, and their
 * weights (summing to 1), all cells' weights one after another.
 */
interface Footprints {
  first: Int32Array;
  count: Int32Array;
  weight: Float64Array;
}

function coverage(inputs: number, outputs: number): Footprints {
  const step = inputs / outputs;
  const first = new Int32Array(outputs);
  const count = new Int32Array(outputs);
  // A cell spans at most ceil(step) + 1 source cells.
  const weight = new Float64Array(outputs * (Math.ceil(step) + 1));
  let w = 0;
  for (let i = 0; i < outputs; i++) {
    const start = i * step;
    const end = Math.min(inputs, start + step);
    const from = Math.floor(start);
    const last = Math.min(inputs - 1, Math.ceil(end) - 1);
    first[i] = from;
    count[i] = last - from + 1;
    for (let k = from; k <= last; k++) {
      weight[w++] = (Math.min(end, k + 1) - Math.max(start, k)) / step;
    }
  }
  return { first, count, weight };
}
