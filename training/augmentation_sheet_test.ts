import assert, { deepStrictEqual } from "node:assert/strict";
import { decode } from "fast-png";
import { Augmenter } from "./augment.ts";
import { augmentationSheet, sheetLayout } from "./augmentation_sheet.ts";
import { drawText, GLYPH_HEIGHT, GLYPH_WIDTH } from "./pixel_font.ts";
import { Random } from "./random.ts";

/** Four images with a vertical bar at column 14, labelled 3, 7, 1, 9. */
function barSet() {
  const images = new Uint8Array(4 * 784);
  for (let n = 0; n < 4; n++) for (let y = 8; y < 20; y++) images[n * 784 + y * 28 + 14] = 255;
  return { images, labels: Uint8Array.from([3, 7, 1, 9]), count: 4, rows: 28, cols: 28 };
}

/** The pixels of a `w` x `h` box of a greyscale image. */
function box(
  data: Uint8Array | Uint16Array,
  width: number,
  left: number,
  top: number,
  w: number,
  h: number,
) {
  return Array.from(
    { length: h },
    (_, y) => Array.from(data.subarray((top + y) * width + left, (top + y) * width + left + w)),
  );
}

Deno.test("augmentationSheet draws a grid of originals and variants", () => {
  const png = decode(augmentationSheet(barSet(), new Augmenter(new Random(1)), 2, 3, 1));
  const layout = sheetLayout(2, 3, 1);
  deepStrictEqual([png.width, png.height, png.channels], [layout.width, layout.height, 1]);
  // The untouched original keeps its bar at column 14 of the first cell.
  deepStrictEqual(png.data[(layout.cellTop(0) + 10) * png.width + layout.cellLeft(0) + 14], 255);
  assert(png.data.some((v) => v > 0 && v < 255), "augmented cells should hold grey levels");
});

Deno.test("each row of the sheet is labelled with its digit, and the columns are named", () => {
  const rows = 4;
  const png = decode(augmentationSheet(barSet(), new Augmenter(new Random(1)), rows, 9, 2));
  const layout = sheetLayout(rows, 9, 2);
  for (const [row, label] of [3, 7, 1, 9].entries()) {
    const { left, top } = layout.labelAt(row);
    // What the font draws for the label on the sheet's grey, pixel for pixel.
    const expected = new Uint8Array(png.width * png.height).fill(96);
    drawText(expected, png.width, left, top, String(label));
    deepStrictEqual(
      box(png.data as Uint8Array, png.width, left, top, GLYPH_WIDTH, GLYPH_HEIGHT),
      box(expected, png.width, left, top, GLYPH_WIDTH, GLYPH_HEIGHT),
      `row ${row} is not labelled ${label}`,
    );
  }
  // Header text above the original column and above the augmented ones.
  const header = (from: number, to: number) =>
    box(png.data as Uint8Array, png.width, from, 0, to - from, layout.cellTop(0)).flat().filter((
      v,
    ) => v === 255)
      .length;
  assert(header(layout.cellLeft(0), layout.cellLeft(1)) > 20, "no ORIGINAL header");
  assert(header(layout.cellLeft(1), png.width) > 20, "no AUGMENTED header");
});
