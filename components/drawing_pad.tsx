/**
 * The drawing surface: a square canvas that takes mouse, touch and pen through Pointer
 * Events. It does not own the drawing: the strokes array belongs to the caller, which this
 * component appends to while a pointer is down and repaints whenever `version` changes.
 */
import { useLayoutEffect, useRef } from "preact/hooks";
import { containRect, type Stroke, toUnitPoint } from "../lib/strokes.ts";
import { usePenInput } from "./pen_input.ts";
import { canvasToPng, paintInk, paintPaper, useCrispBackingStore } from "./pad_canvas.ts";

/** What sits under the strokes: an uploaded picture, already decoded. */
export type Backdrop = ImageBitmap;

export interface DrawingPadProps {
  strokes: Stroke[];
  backdrop: Backdrop | null;
  /** Changes whenever strokes or backdrop change from outside (clear, undo, upload). */
  version: number;
  onStrokeStart(): void;
  /** A stroke grew; called at most once per animation frame. */
  onDraw(): void;
  onStrokeEnd(): void;
}

/** Paints paper, backdrop and strokes on a square context of side `size` pixels. */
export function paintDrawing(
  context: CanvasRenderingContext2D,
  size: number,
  strokes: Stroke[],
  backdrop: Backdrop | null,
): void {
  paintPaper(context, size, size);
  if (backdrop !== null) {
    const fit = containRect(backdrop.width, backdrop.height, size);
    context.drawImage(backdrop, fit.x, fit.y, fit.width, fit.height);
  }
  paintInk(context, strokes, size);
}

/** The drawing as a PNG of `size` x `size`, independent of the screen's pixel density. */
export function drawingToPng(strokes: Stroke[], backdrop: Backdrop | null, size = 280) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  paintDrawing(canvas.getContext("2d")!, size, strokes, backdrop);
  return canvasToPng(canvas);
}

export function DrawingPad(props: DrawingPadProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const propsRef = useRef(props);
  propsRef.current = props;

  const repaint = () => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    const { strokes, backdrop } = propsRef.current;
    paintDrawing(canvas.getContext("2d")!, canvas.width, strokes, backdrop);
  };

  useCrispBackingStore(canvasRef, 1, repaint);

  // Layout effect: the pad shows a Clear or Undo in the same frame as the buttons change.
  useLayoutEffect(repaint, [props.version, props.backdrop]);

  const pointAt = (event: PointerEvent) =>
    toUnitPoint(event.clientX, event.clientY, canvasRef.current!.getBoundingClientRect());

  const pen = usePenInput(canvasRef, () => propsRef.current, pointAt, repaint);

  return (
    <canvas
      ref={canvasRef}
      class="pad"
      width={280}
      height={280}
      role="img"
      aria-label="Drawing area: draw one digit with the mouse, a finger or a pen"
      {...pen}
    />
  );
}
