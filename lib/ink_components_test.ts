import { deepStrictEqual } from "node:assert/strict";
import { seededRandom } from "../tests/helpers/bad_inputs.ts";
import { groupCrops } from "./digit_cut_out.ts";
import { groupDigits } from "./digit_groups.ts";
import {
  COMPONENT_THRESHOLD,
  inkBytes,
  inkComponents,
  type InkPlane,
  inkPlane,
} from "./ink_components.ts";
import { inkLevels, inkMap, type PixelImage } from "./ink_map.ts";

/** Grey pictures (white ink on black) of blobs, haze, specks and noise, varied sizes. */
function planes(): { name: string; plane: InkPlane }[] {
  const random = seededRandom(7);
  const out = [];
  for (const [width, height] of [[5, 3], [37, 19], [200, 100], [561, 280]]) {
    for (const kind of ["blobs", "noise"]) {
      const data = new Uint8Array(width * height);
      if (kind === "noise") {
        for (let i = 0; i < data.length; i++) data[i] = random() < 0.3 ? random() * 256 : 0;
      } else {
        for (let b = 0; b < 12; b++) { // soft discs: full ink inside, haze at the edge
          const cx = random() * width, cy = random() * height, r = 1 + random() * height / 5;
          for (let y = 0; y < height; y++) {
            for (let x = 0; x < width; x++) {
              const d = Math.hypot(x - cx, y - cy) - r;
              if (d < 1.5) data[y * width + x] = Math.max(data[y * width + x], d < 0 ? 255 : 60);
            }
          }
        }
      }
      const levels = inkLevels({ width, height, channels: 1, data });
      if (levels === null) continue;
      // As the segmentation sees it (row ranges), and bare: any pixel may hold ink...
      out.push({ name: `${kind} ${width}x${height}`, plane: inkPlane(levels) });
      out.push({ name: `${kind} ${width}x${height}, bare`, plane: { width, height, ink: data } });
      // ...and at an odd offset, where no word can be read at once.
      const shifted = new Uint8Array(data.length + 1);
      shifted.set(data, 1);
      out.push({
        name: `${kind} ${width}x${height}, unaligned`,
        plane: { width, height, ink: shifted.subarray(1) },
      });
    }
  }
  return out;
}

Deno.test("inkPlane (paper skipped a word at a time) holds every pixel's ink as inkMap does", () => {
  const random = seededRandom(3);
  for (const [width, height] of [[9, 4], [280, 280], [561, 140]]) {
    const grey = new Uint8Array(width * height).fill(250); // light paper, dark strokes
    for (let k = 0; k < grey.length / 7; k++) {
      grey[Math.floor(random() * grey.length)] = random() * 200;
    }
    const rgba = new Uint8Array(4 * grey.length);
    grey.forEach((v, i) => rgba.set([v, v, v, 255], 4 * i));
    const images: PixelImage[] = [
      { width, height, channels: 1, data: grey },
      { width, height, channels: 4, data: rgba },
    ];
    for (const image of images) {
      const plane = inkBytes(inkPlane(inkLevels(image)!));
      const map = inkMap(image)!;
      deepStrictEqual(plane.ink, Uint8Array.from(map.ink, (v) => Math.round(v * 255)));
    }
  }
});

Deno.test("inkPlane reads one-byte levels in place and writes out the ink of the others", () => {
  const width = 12, height = 5;
  const grey = new Uint8Array(width * height).fill(240);
  grey.fill(20, 2 * width + 3, 2 * width + 9);
  const rgba = new Uint8Array(4 * grey.length);
  grey.forEach((v, i) => rgba.set([v, v, v, 255], 4 * i));
  const alpha = new Uint8Array(4 * grey.length);
  grey.forEach((v, i) => alpha[4 * i + 3] = 255 - v);
  for (
    const [name, image, inPlace] of [
      ["grey", { width, height, channels: 1, data: grey }, true],
      ["opaque RGBA (luma)", { width, height, channels: 4, data: rgba }, true],
      ["transparent RGBA (alpha)", { width, height, channels: 4, data: alpha }, false],
    ] as const
  ) {
    const levels = inkLevels(image)!;
    const plane = inkPlane(levels);
    deepStrictEqual(plane.ink.buffer === levels.bytes.buffer, inPlace, name);
    deepStrictEqual(plane.inkOf !== undefined, inPlace, name);
    // Either way the ink is the same, and so are the components.
    const expected = Uint8Array.from(inkMap(image)!.ink, (v) => Math.round(v * 255));
    deepStrictEqual(inkBytes(plane).ink, expected, name);
    deepStrictEqual(Int32Array.from(inkComponents(plane).labels), referenceLabels(plane), name);
  }
});

/** The plain definition: 8-connected flood fill in raster order, every pixel visited. */
function referenceLabels(plane: InkPlane): Int32Array {
  const { width, height, ink } = inkBytes(plane);
  const cut = Math.max(1, Math.round(COMPONENT_THRESHOLD * 255));
  const labels = new Int32Array(width * height);
  let next = 0;
  for (let start = 0; start < labels.length; start++) {
    if (ink[start] < cut || labels[start] !== 0) continue;
    labels[start] = ++next;
    const stack = [start];
    while (stack.length > 0) {
      const i = stack.pop()!, x = i % width, y = (i - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx, ny = y + dy, j = ny * width + nx;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          if (ink[j] >= cut && labels[j] === 0) {
            labels[j] = next;
            stack.push(j);
          }
        }
      }
    }
  }
  return labels;
}

Deno.test("inkComponents over row ranges and paper words labels as a plain flood fill does", () => {
  for (const { name, plane } of planes()) {
    deepStrictEqual(Int32Array.from(inkComponents(plane).labels), referenceLabels(plane), name);
  }
});

Deno.test("groupCrops: each group's ink and haze, as the per-pixel definition picks them", () => {
  const cut = Math.max(1, Math.round(COMPONENT_THRESHOLD * 255));
  // Noise is refused before any crop (too many pieces); blobs have haze and specks.
  for (const { name, plane } of planes().filter(({ name }) => name.startsWith("blobs"))) {
    const components = inkComponents(plane);
    const { groups } = groupDigits(components.parts);
    const { width, height, ink } = inkBytes(plane);
    const { labels } = components;
    const groupOf = new Map(groups.flatMap((g, index) => g.labels.map((l) => [l, index])));
    // Haze: the first neighbour with full ink, row above first, left to right.
    const haze = (x: number, y: number) => {
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          if (ink[ny * width + nx] >= cut) return labels[ny * width + nx];
        }
      }
      return 0;
    };
    const crops = groupCrops(components, groups);
    groups.forEach((group, index) => {
      const w = group.x1 - group.x0, h = group.y1 - group.y0;
      const expected = new Uint8Array(w * h);
      for (let y = group.y0; y < group.y1; y++) {
        for (let x = group.x0; x < group.x1; x++) {
          const i = y * width + x;
          if (ink[i] === 0 || groupOf.get(labels[i] || haze(x, y)) !== index) continue;
          expected[(y - group.y0) * w + x - group.x0] = ink[i];
        }
      }
      const { bytes, rowStart, rowEnd } = crops[index].levels;
      deepStrictEqual(bytes, expected, `${name}, group ${index}`);
      for (let y = 0; y < h; y++) {
        const row = expected.subarray(y * w, (y + 1) * w);
        const first = row.findIndex((v) => v !== 0);
        const last = row.findLastIndex((v) => v !== 0);
        deepStrictEqual([rowStart[y], rowEnd[y]], first < 0 ? [0, 0] : [first, last + 1], name);
      }
    });
  }
});
