/**
 * UCI "pendigits" (real pen strokes of 30 writers, UNIPEN text format): parsing, loading with
 * its checksum verified, and the split by writer that keeps validation honest.
 *
 * Strokes come out in screen coordinates of the writer's 500x500 tablet box (y grows down; the
 * file's y grows up). `fitStrokes` places them on the page's unit square, where
 * `lib/strokes.ts` and `lib/stroke_raster.ts` draw them exactly as the page does.
 *
 * Source: E. Alpaydin, F. Alimoglu, Bogazici University, 1998; UCI Machine Learning Repository,
 * doi:10.24432/C5MG6K; licence CC BY 4.0.
 *
 * @example Held-out writers' digits, fitted into the middle of the pad
 * ```ts
 * import { fitStrokes, loadPendigits, splitByWriter } from "./pendigits.ts";
 * const dir = Deno.env.get("PENDIGITS_DIR");
 * if (dir) {
 *   const { heldOut } = splitByWriter((await loadPendigits(dir)).digits);
 *   const strokes = fitStrokes(heldOut[0].strokes, { x: 0.2, y: 0.2, width: 0.6, height: 0.6 });
 *   console.log(heldOut[0].label, strokes.length);
 * }
 * ```
 *
 * @module
 */
import { sha256Hex } from "./mnist_files.ts";
import type { Point, Stroke } from "../lib/strokes.ts";
import { joinPath } from "../lib/join_path.ts";

/** The file this module reads, as shipped in `../shared/data/pendigits/`. */
export const PENDIGITS_FILE = "pendigits-orig.tra";
/** SHA-256 of {@link PENDIGITS_FILE} as published (also in the data folder's SHA256SUMS). */
export const PENDIGITS_SHA256 = "a66225d68d7d68591e62944df1ad33b3f5aa608e2df2505844b41f5568a80da4";
/** Side of the tablet box each digit was written in. */
export const TABLET_SIDE = 500;

/**
 * The 6 of 30 writers held out for validation, never trained on: every fifth writer, so the
 * choice is fixed and says nothing about how hard each writer is.
 */
export const HELD_OUT_WRITERS: readonly number[] = [5, 10, 15, 20, 25, 30];

/** One digit as written: its label, who wrote it, and its strokes (one per pen-down). */
export interface PenDigit {
  label: number;
  writer: number;
  sample: number;
  strokes: Stroke[];
}

/** A box in the page's unit coordinates (0..1 of the pad's side). */
export interface UnitBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The file cannot be read as pendigits: missing, corrupt or not this format. */
export class PendigitsError extends Error {
  override name = "PendigitsError";
}

/** Parses the UNIPEN text; strokes with y flipped to screen coordinates. */
export function parsePendigits(text: string): PenDigit[] {
  const digits: PenDigit[] = [];
  let current: PenDigit | null = null;
  let stroke: Point[] | null = null;
  let lineNumber = 0;
  for (const raw of text.split("\n")) {
    lineNumber++;
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith(".SEGMENT")) {
      const label = /"(\d)"\s*$/.exec(line);
      if (!label) throw new PendigitsError(`line ${lineNumber}: a .SEGMENT without a digit label`);
      current = { label: Number(label[1]), writer: 0, sample: 0, strokes: [] };
      digits.push(current);
    } else if (line.startsWith(".COMMENT") && current) {
      const [, , writer, sample] = line.split(/\s+/);
      current.writer = Number(writer);
      current.sample = Number(sample);
    } else if (line === ".PEN_DOWN") {
      if (!current) throw new PendigitsError(`line ${lineNumber}: .PEN_DOWN outside a digit`);
      stroke = [];
    } else if (line === ".PEN_UP") {
      if (current && stroke && stroke.length > 0) current.strokes.push(stroke);
      stroke = null;
    } else if (stroke) {
      const [x, y] = line.split(/\s+/).map(Number);
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        throw new PendigitsError(`line ${lineNumber}: expected "x y", got "${line}"`);
      }
      stroke.push({ x, y: TABLET_SIDE - y });
    }
  }
  return digits.filter((digit) => digit.strokes.length > 0);
}

/** What {@link loadPendigits} returns: the digits and the file's checksum for metadata. */
export interface Pendigits {
  digits: PenDigit[];
  sha256: string;
}

/** Reads `dir/pendigits-orig.tra` and verifies it against {@link PENDIGITS_SHA256}. */
export async function loadPendigits(dir: string): Promise<Pendigits> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(joinPath(dir, PENDIGITS_FILE));
  } catch (error) {
    throw new PendigitsError(
      `cannot read pendigits in ${dir}: ${error instanceof Error ? error.message : error}`,
    );
  }
  const sha256 = await sha256Hex(bytes);
  if (sha256 !== PENDIGITS_SHA256) {
    throw new PendigitsError(
      `${PENDIGITS_FILE} in ${dir}: SHA-256 ${sha256}, expected ${PENDIGITS_SHA256}`,
    );
  }
  return { digits: parsePendigits(new TextDecoder().decode(bytes)), sha256 };
}

/** Splits by writer: {@link HELD_OUT_WRITERS} to `heldOut`, everyone else to `train`. */
export function splitByWriter(
  digits: readonly PenDigit[],
  heldOutWriters: readonly number[] = HELD_OUT_WRITERS,
): { train: PenDigit[]; heldOut: PenDigit[] } {
  const held = new Set(heldOutWriters);
  const train: PenDigit[] = [], heldOut: PenDigit[] = [];
  for (const digit of digits) (held.has(digit.writer) ? heldOut : train).push(digit);
  return { train, heldOut };
}

/** The bounding box of the strokes' points. */
export function strokeBounds(strokes: readonly Stroke[]): UnitBox {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const stroke of strokes) {
    for (const { x, y } of stroke) {
      minX = Math.min(minX, x), maxX = Math.max(maxX, x);
      minY = Math.min(minY, y), maxY = Math.max(maxY, y);
    }
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

/**
 * Scales and moves the strokes so their points fill `box` (in the target's coordinates),
 * keeping the aspect ratio and centring the shorter side, as a person writes a digit into a
 * space. A digit with no extent (a dot) lands at the box's centre.
 */
export function fitStrokes(strokes: readonly Stroke[], box: UnitBox): Stroke[] {
  const bounds = strokeBounds(strokes);
  const span = Math.max(bounds.width, bounds.height);
  const scale = span > 0 ? Math.min(box.width, box.height) / span : 0;
  const offsetX = box.x + (box.width - bounds.width * scale) / 2;
  const offsetY = box.y + (box.height - bounds.height * scale) / 2;
  return strokes.map((stroke) =>
    stroke.map(({ x, y }) => ({
      x: offsetX + (x - bounds.x) * scale,
      y: offsetY + (y - bounds.y) * scale,
    }))
  );
}
