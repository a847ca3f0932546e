/**
 * Draws strokes without a browser, as the page's canvas does: `traceStrokes` (the page's own
 * curve code) drives a {@link CoverageRaster}, which strokes with a round pen (round caps and
 * joins) and antialiases by pixel coverage. Training, tests and benchmarks use it to render real
 * pen strokes at any size and place, so what they measure is what the page would send.
 *
 * @example A diagonal line on a 28x28 pad, as the page's PNG would show it
 * ```ts
 * import { renderStrokes, coverageToRgba } from "./stroke_raster.ts";
 * const ink = renderStrokes([[{ x: 0.2, y: 0.2 }, { x: 0.8, y: 0.8 }]], { size: 28 });
 * const rgba = coverageToRgba(ink); // white paper, the page's ink colour
 * console.log(ink.length, rgba.length); // 784 3136
 * ```
 *
 * @module
 */
import { type PathSink, type Stroke, STROKE_WIDTH_FRACTION, traceStrokes } from "./strokes.ts";

/** Flattened curve pieces are at most this long (px): chord error far below a pixel. */
const CURVE_STEP_PX = 2;
/** The page's paper and ink grey levels (`components/drawing_pad.tsx`: #ffffff, #111111). */
export const PAPER_LEVEL = 255;
export const INK_LEVEL = 0x11;

/**
 * A canvas-like sink that keeps ink coverage (0..1) per pixel. Within one path the pen's
 * coverage is the union (max) of its segments, as a canvas stroke does; separate paths
 * composite over each other (`a + b(1 - a)`), as canvas source-over does.
 */
export class CoverageRaster implements PathSink {
  readonly coverage: Float32Array;
  lineWidth = 1;
  #path: number[][] = [];
  #dots: { x: number; y: number; radius: number }[] = [];

  constructor(readonly width: number, readonly height: number) {
    this.coverage = new Float32Array(width * height);
  }

  beginPath(): void {
    this.#path = [];
    this.#dots = [];
  }

  moveTo(x: number, y: number): void {
    this.#path.push([x, y]);
  }

  lineTo(x: number, y: number): void {
    this.#current().push(x, y);
  }

  quadraticCurveTo(cx: number, cy: number, x: number, y: number): void {
    const line = this.#current();
    const x0 = line[line.length - 2], y0 = line[line.length - 1];
    const reach = Math.hypot(cx - x0, cy - y0) + Math.hypot(x - cx, y - cy);
    const steps = Math.max(2, Math.ceil(reach / CURVE_STEP_PX));
    for (let i = 1; i <= steps; i++) {
      const t = i / steps, u = 1 - t;
      line.push(u * u * x0 + 2 * u * t * cx + t * t * x, u * u * y0 + 2 * u * t * cy + t * t * y);
    }
  }

  arc(x: number, y: number, radius: number): void {
    this.#dots.push({ x, y, radius });
  }

  stroke(): void {
    const layer = new Float32Array(this.coverage.length);
    const radius = this.lineWidth / 2;
    for (const line of this.#path) {
      if (line.length === 2) this.#capsule(layer, line[0], line[1], line[0], line[1], radius);
      for (let i = 2; i < line.length; i += 2) {
        this.#capsule(layer, line[i - 2], line[i - 1], line[i], line[i + 1], radius);
      }
    }
    this.#composite(layer);
  }

  fill(): void {
    const layer = new Float32Array(this.coverage.length);
    for (const dot of this.#dots) this.#capsule(layer, dot.x, dot.y, dot.x, dot.y, dot.radius);
    this.#composite(layer);
  }

  #current(): number[] {
    if (this.#path.length === 0) this.#path.push([0, 0]);
    return this.#path[this.#path.length - 1];
  }

  /** Coverage of a round-ended segment: 1 inside, a one-pixel linear ramp at its edge. */
  #capsule(layer: Float32Array, ax: number, ay: number, bx: number, by: number, r: number) {
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r - 1));
    const x1 = Math.min(this.width - 1, Math.ceil(Math.max(ax, bx) + r + 1));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r - 1));
    const y1 = Math.min(this.height - 1, Math.ceil(Math.max(ay, by) + r + 1));
    const dx = bx - ax, dy = by - ay;
    const lengthSquared = dx * dx + dy * dy;
    for (let py = y0; py <= y1; py++) {
      for (let px = x0; px <= x1; px++) {
        const cx = px + 0.5 - ax, cy = py + 0.5 - ay;
        const t = lengthSquared > 0
          ? Math.min(1, Math.max(0, (cx * dx + cy * dy) / lengthSquared))
          : 0;
        const ex = cx - t * dx, ey = cy - t * dy;
        // Math.sqrt, not Math.hypot: this is the inner loop, and hypot is several times slower.
        const distance = Math.sqrt(ex * ex + ey * ey);
        const value = Math.min(1, Math.max(0, r + 0.5 - distance));
        const index = py * this.width + px;
        if (value > layer[index]) layer[index] = value;
      }
    }
  }

  #composite(layer: Float32Array) {
    const target = this.coverage;
    for (let i = 0; i < target.length; i++) {
      if (layer[i] > 0) target[i] = layer[i] + target[i] * (1 - layer[i]);
    }
  }
}

/** Where and how to render: strokes are in unit coordinates of `size` (as on the page). */
export interface RenderOptions {
  /** Pixels per unit coordinate: the page's pad side. */
  size: number;
  /** Raster width in pixels (default `size`): wider for a number. */
  width?: number;
  /** Raster height in pixels (default `size`). */
  height?: number;
  /** Pen width in pixels (default the page's, `size` x {@link STROKE_WIDTH_FRACTION}). */
  lineWidth?: number;
}

/** Ink coverage (0..1, row-major) of `strokes` drawn as the page draws them. */
export function renderStrokes(strokes: Stroke[], options: RenderOptions): Float32Array {
  const raster = new CoverageRaster(options.width ?? options.size, options.height ?? options.size);
  raster.lineWidth = options.lineWidth ?? options.size * STROKE_WIDTH_FRACTION;
  traceStrokes(raster, strokes, options.size);
  return raster.coverage;
}

/** Coverage to the page's opaque RGBA: ink #111111 on white paper, blended by coverage. */
export function coverageToRgba(coverage: Float32Array): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(coverage.length * 4);
  for (let i = 0; i < coverage.length; i++) {
    const level = PAPER_LEVEL - coverage[i] * (PAPER_LEVEL - INK_LEVEL);
    rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = Math.round(level);
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}
