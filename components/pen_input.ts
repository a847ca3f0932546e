/**
 * Pen input for a drawing canvas, shared by the digit pad and the number pad: Pointer Events
 * from mouse, touch and pen become strokes appended to the caller's array (one pointer at a
 * time), with coalesced samples for smooth fast strokes and at most one repaint per frame.
 */
import { type RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { appendPoint, type Point, type Stroke } from "../lib/strokes.ts";

/** What the pad is drawing into, read afresh on every event. */
export interface PenTarget {
  strokes: Stroke[];
  onStrokeStart?(): void;
  /**
   * The ink changed: at pen-down (the stroke's first point is already a dot on the pad, so a
   * live answer need not wait for the pointer to move and a frame to pass), then as the stroke
   * grows, at most once per animation frame.
   */
  onDraw(): void;
  onStrokeEnd(): void;
}

/** The canvas's pointer handlers; spread them onto the `<canvas>`. */
export function usePenInput(
  canvasRef: RefObject<HTMLCanvasElement>,
  target: () => PenTarget,
  pointAt: (event: PointerEvent) => Point,
  repaint: () => void,
) {
  const activePointer = useRef<number | null>(null);
  const frame = useRef(0);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const onPointerDown = (event: PointerEvent) => {
    if (activePointer.current !== null) return; // a second finger does not start a stroke
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault();
    canvasRef.current!.setPointerCapture(event.pointerId);
    activePointer.current = event.pointerId;
    target().strokes.push([pointAt(event)]);
    target().onStrokeStart?.();
    repaint();
    target().onDraw();
  };

  const onPointerMove = (event: PointerEvent) => {
    if (event.pointerId !== activePointer.current) return;
    const { strokes } = target();
    const stroke = strokes[strokes.length - 1];
    // Coalesced events carry the samples between frames: smoother fast strokes.
    const samples = event.getCoalescedEvents?.() ?? [];
    let grew = false;
    for (const sample of samples.length > 0 ? samples : [event]) {
      grew = appendPoint(stroke, pointAt(sample)) || grew;
    }
    if (!grew || frame.current !== 0) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      repaint();
      target().onDraw();
    });
  };

  const onPointerEnd = (event: PointerEvent) => {
    if (event.pointerId !== activePointer.current) return;
    activePointer.current = null;
    cancelAnimationFrame(frame.current);
    frame.current = 0;
    repaint();
    target().onStrokeEnd();
  };

  return {
    onPointerDown,
    onPointerMove,
    onPointerUp: onPointerEnd,
    onPointerCancel: onPointerEnd,
    // A long press on a touch screen would otherwise open a menu mid-stroke.
    onContextMenu: (event: MouseEvent) => event.preventDefault(),
  };
}
