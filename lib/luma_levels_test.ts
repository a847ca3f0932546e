import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { seededRandom } from "../tests/helpers/bad_inputs.ts";
import { luma, lumaLevels } from "./luma_levels.ts";

/** RGBA pictures of every kind the fast path meets: paper with ink, noise, see-through. */
function pictures(): { name: string; width: number; height: number; data: Uint8Array }[] {
  const random = seededRandom(16);
  const out = [];
  for (const [width, height] of [[1, 1], [3, 5], [28, 28], [281, 140], [560, 280], [7, 300]]) {
    const n = width * height;
    const paper = new Uint8Array(4 * n).fill(255);
    for (let k = 0; k < n / 9; k++) { // strokes of grey and colour on white paper
      const i = Math.floor(random() * n), v = Math.floor(random() * 256);
      paper.set([v, Math.floor(v * random()), v, 255], 4 * i);
    }
    const noise = Uint8Array.from({ length: 4 * n }, () => Math.floor(random() * 256));
    const clear = new Uint8Array(4 * n);
    for (let i = 0; i < n; i++) if (random() < 0.2) clear.set([10, 20, 200, 255], 4 * i);
    const inkFirst = Uint8Array.from(paper);
    inkFirst.set([0, 0, 0, 255], 0); // the first pixel is ink, not paper
    out.push(
      { name: `paper ${width}x${height}`, width, height, data: paper },
      { name: `noise ${width}x${height}`, width, height, data: noise },
      { name: `see-through ${width}x${height}`, width, height, data: clear },
      { name: `ink first ${width}x${height}`, width, height, data: inkFirst },
    );
  }
  return out;
}

Deno.test("lumaLevels: the one-pass RGBA path equals per-pixel luma, histogram and opaque count", () => {
  for (const { name, width, height, data } of pictures()) {
    const n = width * height;
    const histogram = new Uint32Array(256), rowStart = new Int32Array(height);
    const rowEnd = new Int32Array(height);
    const fast = lumaLevels({ width, height, data }, histogram, rowStart, rowEnd);
    // The reference: every pixel spelled out.
    const levels = new Uint8Array(n), expected = new Uint32Array(256);
    let opaque = 0;
    for (let i = 0; i < n; i++) {
      levels[i] = luma(data[4 * i], data[4 * i + 1], data[4 * i + 2]);
      expected[levels[i]]++;
      if (data[4 * i + 3] >= 128) opaque++;
    }
    deepStrictEqual(fast.levels, levels, name);
    deepStrictEqual(histogram, expected, name);
    equal(fast.opaque, opaque, name);
    // Outside each row's range every pixel is the first pixel's level.
    for (let y = 0; y < height; y++) {
      ok(0 <= rowStart[y] && rowStart[y] <= rowEnd[y] && rowEnd[y] <= width, name);
      for (let x = 0; x < width; x++) {
        if (x >= rowStart[y] && x < rowEnd[y]) continue;
        equal(levels[y * width + x], levels[0], `${name}: (${x}, ${y}) outside its row's range`);
      }
    }
    // Unaligned bytes take the plain path: the same levels, histogram and count.
    const shifted = new Uint8Array(4 * n + 1);
    shifted.set(data, 1);
    const plainHistogram = new Uint32Array(256);
    const plain = lumaLevels(
      { width, height, data: shifted.subarray(1) },
      plainHistogram,
      new Int32Array(height),
      new Int32Array(height),
    );
    deepStrictEqual(plain.levels, levels, `${name}, unaligned`);
    deepStrictEqual(plainHistogram, expected, `${name}, unaligned`);
    equal(plain.opaque, opaque, `${name}, unaligned`);
  }
});
