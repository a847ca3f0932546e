/**
 * Written numbers for tests: digits (MNIST test images, or rendered pen strokes) placed side
 * by side on one canvas with a chosen gap between their ink boxes (negative: overlapping
 * boxes, the ink touching or crossing), each digit's box recorded.
 *
 * @module
 */
import type { Box } from "../../lib/ink_box.ts";
import { renderStrokes } from "../../lib/stroke_raster.ts";
import { strokeBounds } from "../../training/pendigits.ts";
import { type Stroke, STROKE_WIDTH_FRACTION } from "../../lib/strokes.ts";

/** A digit's ink as coverage (0..1), cropped to its ink. */
export interface DigitInk {
  label: number;
  width: number;
  height: number;
  ink: Float32Array;
}

/** A composed number: the canvas's coverage, its digits' labels and boxes. */
export interface NumberCanvas {
  width: number;
  height: number;
  ink: Float32Array;
  labels: number[];
  boxes: Box[];
  /** Where each digit was put: its ink box's offset (to move strokes with it). */
  offsets: { x: number; y: number; scale: number }[];
}

/** The MNIST digit (28x28 bytes) as ink, cropped to its ink box. */
export function mnistInk(pixels: Uint8Array, label: number): DigitInk {
  let x0 = 28, y0 = 28, x1 = -1, y1 = -1;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (pixels[y * 28 + x] === 0) continue;
      x0 = Math.min(x0, x), x1 = Math.max(x1, x), y0 = Math.min(y0, y), y1 = Math.max(y1, y);
    }
  }
  const width = x1 - x0 + 1, height = y1 - y0 + 1;
  const ink = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) ink[y * width + x] = pixels[(y0 + y) * 28 + x0 + x] / 255;
  }
  return { label, width, height, ink };
}

/**
 * Places `digits` left to right on a `width` x `height` canvas, `gaps[i]` pixels between the
 * ink boxes of digit i and i + 1, every digit scaled by the same factor so the tallest is
 * `digitHeight` pixels tall (or less, to fit), centred vertically with `jitter()` pixels of
 * vertical offset each. Overlapping ink adds up (clamped), as two strokes over each other.
 */
export function composeNumber(
  digits: DigitInk[],
  options: {
    width: number;
    height: number;
    digitHeight: number;
    gaps: number[];
    jitter?: () => number;
  },
): NumberCanvas {
  const { width, height, gaps } = options;
  const tallest = Math.max(...digits.map((d) => d.height));
  const naturalWidth = (scale: number) =>
    digits.reduce((sum, d) => sum + Math.ceil(d.width * scale), 0) +
    gaps.reduce((sum, g) => sum + g, 0);
  let scale = options.digitHeight / tallest;
  while (scale > 0.2 && naturalWidth(scale) > width - 8) scale *= 0.95;
  const ink = new Float32Array(width * height);
  const boxes: Box[] = [];
  const offsets: NumberCanvas["offsets"] = [];
  let left = Math.max(2, Math.floor((width - naturalWidth(scale)) / 2));
  digits.forEach((digit, k) => {
    const w = Math.max(1, Math.ceil(digit.width * scale));
    const h = Math.max(1, Math.ceil(digit.height * scale));
    const shift = Math.round(options.jitter?.() ?? 0);
    const top = Math.min(height - h, Math.max(0, Math.floor((height - h) / 2) + shift));
    for (let y = 0; y < h; y++) {
      const sy = Math.min(digit.height - 1, (y + 0.5) / scale - 0.5);
      for (let x = 0; x < w; x++) {
        const cx = left + x;
        if (cx < 0 || cx >= width) continue;
        const sx = Math.min(digit.width - 1, (x + 0.5) / scale - 0.5);
        const v = bilinear(digit, sx, sy);
        const i = (top + y) * width + cx;
        ink[i] = Math.min(1, ink[i] + v);
      }
    }
    boxes.push({ x: left, y: top, width: w, height: h });
    offsets.push({ x: left, y: top, scale });
    left += w + (gaps[k] ?? 0);
  });
  return { width, height, ink, labels: digits.map((d) => d.label), boxes, offsets };
}

function bilinear({ width, height, ink }: DigitInk, sx: number, sy: number): number {
  const x0 = Math.max(0, Math.floor(sx)), y0 = Math.max(0, Math.floor(sy));
  const x1 = Math.min(width - 1, x0 + 1), y1 = Math.min(height - 1, y0 + 1);
  const fx = Math.max(0, sx - x0), fy = Math.max(0, sy - y0);
  const at = (x: number, y: number) => ink[y * width + x];
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x1, y0)) +
    fy * ((1 - fx) * at(x0, y1) + fx * at(x1, y1));
}

/** The canvas as the page sends it: black ink on a transparent canvas (alpha = coverage). */
export function numberRgba({ width, height, ink }: NumberCanvas): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < ink.length; i++) data[i * 4 + 3] = Math.round(ink[i] * 255);
  return data;
}

/** A number written with a pen: its strokes (the page's units: pixels / canvas height). */
export interface StrokeNumber {
  width: number;
  height: number;
  strokes: Stroke[];
  /** Which digit each stroke belongs to. */
  strokeDigit: number[];
  labels: number[];
  /** Each digit's ink box in pixels (its points' box grown by the pen's radius). */
  boxes: Box[];
  penWidth: number;
}

/**
 * Places pen-written digits left to right as `composeNumber` places images: `gaps[i]` pixels
 * between the ink boxes (pen included) of digit i and i + 1, the tallest digit's ink
 * `digitHeight` pixels tall (less to fit), a pen of the page's width for this canvas height.
 */
export function composeStrokeNumber(
  digits: { label: number; strokes: Stroke[] }[],
  options: {
    width: number;
    height: number;
    digitHeight: number;
    gaps: number[];
    jitter?: () => number;
  },
): StrokeNumber {
  const { width, height, gaps } = options;
  const penWidth = height * STROKE_WIDTH_FRACTION;
  const bounds = digits.map((d) => strokeBounds(d.strokes));
  const tallest = Math.max(...bounds.map((b) => b.height));
  const naturalWidth = (scale: number) =>
    bounds.reduce((sum, b) => sum + b.width * scale + penWidth, 0) +
    gaps.reduce((sum, g) => sum + g, 0);
  let scale = (options.digitHeight - penWidth) / tallest;
  while (scale > 0 && naturalWidth(scale) > width - 8) scale *= 0.95;
  const strokes: Stroke[] = [], strokeDigit: number[] = [], boxes: Box[] = [];
  let left = Math.max(2, (width - naturalWidth(scale)) / 2);
  digits.forEach((digit, k) => {
    const b = bounds[k];
    const w = b.width * scale + penWidth, h = b.height * scale + penWidth;
    const shift = options.jitter?.() ?? 0;
    const top = Math.min(height - h, Math.max(0, (height - h) / 2 + shift));
    for (const stroke of digit.strokes) {
      strokes.push(stroke.map(({ x, y }) => ({
        x: (left + penWidth / 2 + (x - b.x) * scale) / height,
        y: (top + penWidth / 2 + (y - b.y) * scale) / height,
      })));
      strokeDigit.push(k);
    }
    boxes.push({ x: left, y: top, width: w, height: h });
    left += w + (gaps[k] ?? 0);
  });
  return {
    width,
    height,
    strokes,
    strokeDigit,
    labels: digits.map((d) => d.label),
    boxes,
    penWidth,
  };
}

/** The pen number drawn as the page draws it (lib/stroke_raster.ts), as coverage. */
export function renderStrokeNumber(number: StrokeNumber): NumberCanvas {
  const ink = renderStrokes(number.strokes, {
    size: number.height,
    width: number.width,
    height: number.height,
  });
  return {
    width: number.width,
    height: number.height,
    ink,
    labels: number.labels,
    boxes: number.boxes,
    offsets: [],
  };
}
