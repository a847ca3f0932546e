/**
 * The canvas work both pads (DrawingPad, NumberPad) share: a backing store that follows the
 * displayed size, the pen's ink on paper, and the PNG the server reads. Their pointer handling
 * is in pen_input.ts.
 */
import { type RefObject } from "preact";
import { useEffect } from "preact/hooks";
import { type Stroke, STROKE_WIDTH_FRACTION, traceStrokes } from "../lib/strokes.ts";

export const PAPER = "#ffffff";
export const INK = "#111111";

/**
 * Keeps the canvas's backing store at its displayed height times devicePixelRatio, `aspect`
 * times as wide, so lines stay crisp; repaints whenever that changes it.
 */
export function useCrispBackingStore(
  canvasRef: RefObject<HTMLCanvasElement>,
  aspect: number,
  repaint: () => void,
): void {
  useEffect(() => {
    const canvas = canvasRef.current!;
    const resize = () => {
      const height = Math.round(canvas.clientHeight * (globalThis.devicePixelRatio || 1));
      if (height > 0 && height !== canvas.height) {
        canvas.height = height;
        canvas.width = Math.round(height * aspect);
        repaint();
      }
    };
    resize();
    const observer = new ResizeObserver(resize);
    observer.observe(canvas);
    return () => observer.disconnect();
  }, []);
}

/** Fills `width` x `height` with paper. */
export function paintPaper(context: CanvasRenderingContext2D, width: number, height: number) {
  context.fillStyle = PAPER;
  context.fillRect(0, 0, width, height);
}

/** Draws `strokes` (unit coordinates of `height`) in the pen's ink and width. */
export function paintInk(context: CanvasRenderingContext2D, strokes: Stroke[], height: number) {
  context.strokeStyle = INK;
  context.fillStyle = INK;
  context.lineWidth = height * STROKE_WIDTH_FRACTION;
  context.lineCap = "round";
  context.lineJoin = "round";
  traceStrokes(context, strokes, height);
}

/** The canvas's picture as a PNG. */
export function canvasToPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((blob) => blob ? resolve(blob) : reject(new Error("toBlob failed")), "image/png")
  );
}
