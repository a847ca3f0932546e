/**
 * A PNG contact sheet of augmented digits, as the tutorial showed: each row is one MNIST
 * image, first untouched, then several augmentations of it. A header names the two kinds of
 * column and each row starts with the digit's label.
 *
 * @module
 */
import { encode } from "fast-png";
import type { SeededAugmenter } from "./architectures.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { drawText, GLYPH_HEIGHT, GLYPH_WIDTH, textWidth } from "./pixel_font.ts";

const SIDE = 28;
const GAP = 2;
const BACKGROUND = 96;
/** Room for the header line and for the row labels. */
const HEADER = GLYPH_HEIGHT + 2 * GAP + 2;
const LABEL_COLUMN = GLYPH_WIDTH + 2 * GAP + 2;

/** Where things are on a sheet of `rows` x (1 + `variants`) cells of `scale`-fold digits. */
export function sheetLayout(rows: number, variants: number, scale: number) {
  const cell = SIDE * scale + GAP;
  return {
    width: LABEL_COLUMN + (variants + 1) * cell + GAP,
    height: HEADER + rows * cell + GAP,
    cellLeft: (column: number) => LABEL_COLUMN + GAP + column * cell,
    cellTop: (row: number) => HEADER + GAP + row * cell,
    /** Top-left corner of a row's label. */
    labelAt: (row: number) => ({ left: GAP + 1, top: HEADER + GAP + row * cell + GAP }),
  };
}

/** Renders `rows` digits with `variants` augmentations each, enlarged by `scale`. */
export function augmentationSheet(
  set: DigitSet,
  augmenter: Pick<SeededAugmenter, "augment">,
  rows = 8,
  variants = 9,
  scale = 2,
): Uint8Array {
  const layout = sheetLayout(rows, variants, scale);
  const { width, height } = layout;
  const pixels = new Uint8Array(width * height).fill(BACKGROUND);
  const original = "ORIGINAL", augmented = "AUGMENTED";
  const cellWidth = SIDE * scale;
  // Centred over the first column and over the rest; too narrow a sheet just clips the text.
  if (textWidth(original) <= cellWidth) {
    drawText(
      pixels,
      width,
      layout.cellLeft(0) + Math.floor((cellWidth - textWidth(original)) / 2),
      GAP,
      original,
    );
  }
  const restWidth = layout.cellLeft(variants) + cellWidth - layout.cellLeft(1);
  if (variants > 0 && textWidth(augmented) <= restWidth) {
    const left = layout.cellLeft(1) + Math.floor((restWidth - textWidth(augmented)) / 2);
    drawText(pixels, width, left, GAP, augmented);
  }
  const source = new Float32Array(SIDE * SIDE), out = new Float32Array(SIDE * SIDE);
  for (let row = 0; row < rows; row++) {
    // Spread rows over the set so the sheet shows different digits.
    const index = Math.floor(row * set.count / rows);
    const { left, top } = layout.labelAt(row);
    drawText(pixels, width, left, top, String(set.labels[index]));
    for (let i = 0; i < source.length; i++) source[i] = set.images[index * 784 + i] / 255;
    for (let column = 0; column <= variants; column++) {
      if (column === 0) out.set(source);
      else augmenter.augment(source, out);
      const cellLeft = layout.cellLeft(column), cellTop = layout.cellTop(row);
      for (let y = 0; y < cellWidth; y++) {
        for (let x = 0; x < cellWidth; x++) {
          const value = out[Math.floor(y / scale) * SIDE + Math.floor(x / scale)];
          pixels[(cellTop + y) * width + cellLeft + x] = Math.round(value * 255);
        }
      }
    }
  }
  return encode({ width, height, data: pixels, channels: 1, depth: 8 });
}
