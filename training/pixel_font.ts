/**
 * A 5x7 bitmap font for the few labels training draws into PNG sheets: digits and the
 * capitals of ORIGINAL and AUGMENTED. Pure: writes into an 8-bit greyscale pixel array.
 *
 * @module
 */

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Columns between two glyphs. */
const SPACING = 1;

const GLYPHS: Record<string, string[]> = {
  "0": [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
  "1": ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
  "2": [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
  "3": ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
  "4": ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
  "5": ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
  "6": ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
  "7": ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
  "8": [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
  "9": [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
  A: [" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"],
  D: ["#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "],
  E: ["#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"],
  G: [" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"],
  I: [" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
  L: ["#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"],
  M: ["#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"],
  N: ["#   #", "##  #", "# # #", "#  ##", "#   #", "#   #", "#   #"],
  O: [" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
  R: ["#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"],
  T: ["#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "],
  U: ["#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
  " ": ["     ", "     ", "     ", "     ", "     ", "     ", "     "],
};

/** Width in pixels of `text` drawn at `scale`. */
export function textWidth(text: string, scale = 1): number {
  return text.length === 0 ? 0 : (text.length * (GLYPH_WIDTH + SPACING) - SPACING) * scale;
}

/**
 * Draws `text` (digits, space and the capitals above) with its top-left corner at (left, top)
 * into `pixels`, a greyscale image `width` wide; ink pixels get `value`.
 */
export function drawText(
  pixels: Uint8Array,
  width: number,
  left: number,
  top: number,
  text: string,
  options: { scale?: number; value?: number } = {},
): void {
  const scale = options.scale ?? 1, value = options.value ?? 255;
  for (const [index, char] of [...text].entries()) {
    const glyph = GLYPHS[char];
    if (!glyph) throw new RangeError(`no glyph for "${char}"`);
    const x0 = left + index * (GLYPH_WIDTH + SPACING) * scale;
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (glyph[gy][gx] !== "#") continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            pixels[(top + gy * scale + dy) * width + x0 + gx * scale + dx] = value;
          }
        }
      }
    }
  }
}
