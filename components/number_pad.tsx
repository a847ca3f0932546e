/**
 * A wide drawing surface for a whole number: strokes in unit coordinates of its height (as
 * `web/strokes.ts` draws them, x running to its aspect ratio), the boxes of the digits read
 * drawn over the ink. Like DrawingPad it does not own the strokes: it appends to the caller's
 * array while a pointer is down and repaints when `version` or `boxes` change.
 */
import { useLayoutEffect, useRef } from "preact/hooks";
import type { Stroke } from "../lib/strokes.ts";
import { usePenInput } from "./pen_input.ts";
import { canvasToPng, paintInk, paintPaper, useCrispBackingStore } from "./pad_canvas.ts";

/** Width over height of the pad: room for five or six digits. */
export const NUMBER_PAD_ASPECT = 2.5;
/** The PNG sent to the server: 700x280, the digit pad's height. */
export const NUMBER_PNG_HEIGHT = 280;

/** A box in the PNG's pixels, with whether its digit was read confidently. */
export interface PadBox {
  x: number;
  y: number;
  width: number;
  height: number;
  confident: boolean;
}

export interface NumberPadProps {
  strokes: Stroke[];
  version: number;
  boxes: PadBox[];
  onDraw(): void;
  onStrokeEnd(): void;
}

/** Paints paper, the strokes and the boxes on a context `height` pixels tall. */
function paint(
  context: CanvasRenderingContext2D,
  height: number,
  strokes: Stroke[],
  boxes: PadBox[],
) {
  paintPaper(context, Math.round(height * NUMBER_PAD_ASPECT), height);
  paintInk(context, strokes, height);
  const scale = height / NUMBER_PNG_HEIGHT;
  context.lineWidth = Math.max(1, 2 * scale);
  for (const box of boxes) {
    context.strokeStyle = box.confident ? "#2e7d32" : "#d97706";
    context.strokeRect(box.x * scale, box.y * scale, box.width * scale, box.height * scale);
  }
}

/** The number as the PNG the server reads: 700x280, ink #111 on white, no boxes. */
export function numberToPng(strokes: Stroke[]): Promise<Blob> {
  const canvas = document.createElement("canvas");
  canvas.height = NUMBER_PNG_HEIGHT;
  canvas.width = Math.round(NUMBER_PNG_HEIGHT * NUMBER_PAD_ASPECT);
  paint(canvas.getContext("2d")!, NUMBER_PNG_HEIGHT, strokes, []);
  return canvasToPng(canvas);
}

/**
 * One digit of the number as a PNG for feedback: the ink inside its box (so a neighbour's
 * stroke stays out), centred on a white square with a margin, as the digit pad draws a digit.
 */
export function digitToPng(strokes: Stroke[], box: Omit<PadBox, "confident">): Promise<Blob> {
  const side = Math.ceil(Math.max(box.width, box.height) * 1.25) + 8;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = side;
  const context = canvas.getContext("2d")!;
  paintPaper(context, side, side);
  context.translate(
    Math.round((side - box.width) / 2 - box.x),
    Math.round((side - box.height) / 2 - box.y),
  );
  context.beginPath();
  context.rect(box.x - 1, box.y - 1, box.width + 2, box.height + 2);
  context.clip();
  paint(context, NUMBER_PNG_HEIGHT, strokes, []);
  return canvasToPng(canvas);
}

export function NumberPad(props: NumberPadProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const propsRef = useRef(props);
  propsRef.current = props;

  const repaint = () => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    paint(
      canvas.getContext("2d")!,
      canvas.height,
      propsRef.current.strokes,
      propsRef.current.boxes,
    );
  };

  useCrispBackingStore(canvasRef, NUMBER_PAD_ASPECT, repaint);

  useLayoutEffect(repaint, [props.version, props.boxes]);

  // Unit coordinates of the pad's height: x runs from 0 to NUMBER_PAD_ASPECT.
  const pointAt = (event: PointerEvent) => {
    const rect = canvasRef.current!.getBoundingClientRect();
    const clamp = (v: number, high: number) => Math.min(high, Math.max(0, v));
    return {
      x: clamp((event.clientX - rect.left) / rect.height, NUMBER_PAD_ASPECT),
      y: clamp((event.clientY - rect.top) / rect.height, 1),
    };
  };

  const pen = usePenInput(canvasRef, () => propsRef.current, pointAt, repaint);

  return (
    <canvas
      ref={canvasRef}
      id="number-pad"
      class="pad number-pad"
      width={700}
      height={280}
      role="img"
      aria-label="Number pad: write a number of several digits"
      {...pen}
    />
  );
}
