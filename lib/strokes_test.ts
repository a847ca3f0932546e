import assert, { deepStrictEqual } from "node:assert/strict";
import {
  appendPoint,
  containRect,
  type PathSink,
  type Stroke,
  STROKE_WIDTH_FRACTION,
  toUnitPoint,
  traceStrokes,
} from "./strokes.ts";

function recorder(): PathSink & { calls: string[] } {
  const calls: string[] = [];
  const record = (name: string) => (...args: number[]) => {
    calls.push(`${name}(${args.map((a) => Math.round(a * 100) / 100).join(",")})`);
  };
  return {
    calls,
    beginPath: record("beginPath"),
    moveTo: record("moveTo"),
    lineTo: record("lineTo"),
    quadraticCurveTo: record("quad"),
    arc: record("arc"),
    stroke: record("stroke"),
    fill: record("fill"),
  };
}

Deno.test("appendPoint drops points closer than the jitter threshold", () => {
  const stroke: Stroke = [];
  assert(appendPoint(stroke, { x: 0.5, y: 0.5 }));
  assert(!appendPoint(stroke, { x: 0.501, y: 0.5 }));
  assert(appendPoint(stroke, { x: 0.6, y: 0.5 }));
  deepStrictEqual(stroke.length, 2);
});

Deno.test("toUnitPoint maps client coordinates into the box and clamps outside points", () => {
  const box = { left: 10, top: 20, width: 200, height: 100 };
  deepStrictEqual(toUnitPoint(110, 70, box), { x: 0.5, y: 0.5 });
  deepStrictEqual(toUnitPoint(0, 500, box), { x: 0, y: 1 });
});

Deno.test("traceStrokes draws a tap as a dot of the stroke width", () => {
  const sink = recorder();
  traceStrokes(sink, [[{ x: 0.5, y: 0.25 }]], 280);
  const radius = 280 * STROKE_WIDTH_FRACTION / 2;
  deepStrictEqual(sink.calls, [
    "beginPath()",
    `arc(140,70,${radius},0,${Math.round(Math.PI * 200) / 100})`,
    "fill()",
  ]);
});

Deno.test("traceStrokes curves through midpoints and ends on the last sample", () => {
  const sink = recorder();
  traceStrokes(sink, [[{ x: 0, y: 0 }, { x: 0.5, y: 0 }, { x: 0.5, y: 1 }]], 100);
  deepStrictEqual(sink.calls, [
    "beginPath()",
    "moveTo(0,0)",
    "quad(50,0,50,50)",
    "lineTo(50,100)",
    "stroke()",
  ]);
});

Deno.test("containRect centres a wide image and keeps its aspect ratio", () => {
  deepStrictEqual(containRect(400, 200, 280), { x: 0, y: 70, width: 280, height: 140 });
});
