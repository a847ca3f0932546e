/**
 * Drawing model of the canvas: strokes as lists of points in unit coordinates (0..1 of the
 * canvas side), so the same drawing renders at any size, on screen (scaled by
 * devicePixelRatio) and in the 280x280 PNG sent to the server.
 *
 * @module
 */

export interface Point {
  x: number;
  y: number;
}

export type Stroke = Point[];

/** MNIST's pen, scaled: the digits' strokes are about 2 px of 28, i.e. 1/14 of the side. */
export const STROKE_WIDTH_FRACTION = 1 / 14;
/** Points closer than this (unit coordinates) add nothing but jitter. */
export const MIN_POINT_DISTANCE = 0.004;

/** The subset of CanvasRenderingContext2D drawing needs; tests pass a recorder. */
export interface PathSink {
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  quadraticCurveTo(cx: number, cy: number, x: number, y: number): void;
  arc(x: number, y: number, radius: number, start: number, end: number): void;
  stroke(): void;
  fill(): void;
}

/** Adds `point` to `stroke` unless it is too close to the last one; true when added. */
export function appendPoint(stroke: Stroke, point: Point): boolean {
  const last = stroke[stroke.length - 1];
  if (last && Math.hypot(point.x - last.x, point.y - last.y) < MIN_POINT_DISTANCE) return false;
  stroke.push(point);
  return true;
}

/** Maps a pointer position to unit coordinates of a box, clamped to its edges. */
export function toUnitPoint(
  clientX: number,
  clientY: number,
  box: { left: number; top: number; width: number; height: number },
): Point {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return {
    x: clamp((clientX - box.left) / box.width),
    y: clamp((clientY - box.top) / box.height),
  };
}

/**
 * Traces `strokes` on a square of side `size` (the caller sets colours, width, caps and
 * joins). Lines run through the midpoints between samples with the samples as control
 * points: smooth curves without overshoot. A single tap becomes a dot.
 */
export function traceStrokes(sink: PathSink, strokes: Stroke[], size: number): void {
  const radius = (size * STROKE_WIDTH_FRACTION) / 2;
  for (const stroke of strokes) {
    if (stroke.length === 0) continue;
    const first = stroke[0];
    sink.beginPath();
    if (stroke.length === 1) {
      sink.arc(first.x * size, first.y * size, radius, 0, Math.PI * 2);
      sink.fill();
      continue;
    }
    sink.moveTo(first.x * size, first.y * size);
    for (let i = 1; i < stroke.length - 1; i++) {
      const point = stroke[i], next = stroke[i + 1];
      sink.quadraticCurveTo(
        point.x * size,
        point.y * size,
        ((point.x + next.x) / 2) * size,
        ((point.y + next.y) / 2) * size,
      );
    }
    const last = stroke[stroke.length - 1];
    sink.lineTo(last.x * size, last.y * size);
    sink.stroke();
  }
}

/** Where an image of `width` x `height` sits when fitted, centred, into a square of `size`. */
export function containRect(width: number, height: number, size: number) {
  const scale = Math.min(size / width, size / height);
  const w = width * scale, h = height * scale;
  return { x: (size - w) / 2, y: (size - h) / 2, width: w, height: h };
}
