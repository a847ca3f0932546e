import { decode } from "fast-png";
import assert, { deepStrictEqual } from "node:assert/strict";
import { Augmenter } from "./augment.ts";
import { augmentationSheet } from "./augmentation_sheet.ts";
import { Random } from "./random.ts";

Deno.test("augmentationSheet draws a grid of originals and variants", () => {
  const images = new Uint8Array(4 * 784);
  for (let n = 0; n < 4; n++) for (let y = 8; y < 20; y++) images[n * 784 + y * 28 + 14] = 255;
  const set = { images, labels: new Uint8Array(4), count: 4, rows: 28, cols: 28 };
  const png = decode(augmentationSheet(set, new Augmenter(new Random(1)), 2, 3, 1));
  deepStrictEqual([png.width, png.height, png.channels], [4 * 30 + 2, 2 * 30 + 2, 1]);
  // The untouched original keeps its bar at column 14 of the first cell.
  deepStrictEqual(png.data[(2 + 10) * png.width + 2 + 14], 255);
  assert(png.data.some((v) => v > 0 && v < 255), "augmented cells should hold grey levels");
});
