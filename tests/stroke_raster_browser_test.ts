/**
 * `lib/stroke_raster.ts` against the real thing: the same strokes painted by Chromium's canvas
 * the way the page paints them (`paintDrawing`'s colours, pen, caps and joins, through the
 * same `traceStrokes`), pixel for pixel. Training and tests render strokes with the raster, so
 * this is what makes "drawn as the page draws them" a fact.
 */
import { ok } from "node:assert/strict";
import { chromium } from "playwright-core";
import { coverageToRgba, INK_LEVEL, PAPER_LEVEL, renderStrokes } from "../lib/stroke_raster.ts";
import { type Stroke, STROKE_WIDTH_FRACTION, traceStrokes } from "../lib/strokes.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
if (!hasChromium && Deno.env.get("CI") !== "true") {
  console.warn(`stroke_raster_browser_test: no browser at ${CHROMIUM}; NOT compared`);
}

const wobble = (i: number) => 0.03 * Math.sin(i * 1.7);
const SCENES: Record<string, Stroke[]> = {
  "a loop and a tail": [
    Array.from({ length: 30 }, (_, i) => {
      const a = -Math.PI / 2 + (i / 29) * Math.PI * 2;
      return { x: 0.5 + 0.2 * Math.cos(a), y: 0.35 + 0.15 * Math.sin(a) + wobble(i) };
    }),
    [{ x: 0.7, y: 0.35 }, { x: 0.66, y: 0.6 }, { x: 0.6, y: 0.85 }],
  ],
  "a crossed seven and a dot": [
    [{ x: 0.25, y: 0.2 }, { x: 0.75, y: 0.2 }, { x: 0.55, y: 0.55 }, { x: 0.45, y: 0.85 }],
    [{ x: 0.4, y: 0.5 }, { x: 0.7, y: 0.5 }],
    [{ x: 0.2, y: 0.8 }],
  ],
};

Deno.test({
  name: "stroke_raster matches Chromium's canvas painting of the page's strokes",
  ignore: !hasChromium && Deno.env.get("CI") !== "true",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      for (const size of [28, 280]) {
        for (const [name, strokes] of Object.entries(SCENES)) {
          const painted: number[] = await page.evaluate(
            ({ source, strokes, size, fraction, paper, ink }) => {
              const trace = new Function(`return (${source})`)() as (
                c: CanvasRenderingContext2D,
                s: unknown,
                n: number,
              ) => void;
              const canvas = document.createElement("canvas");
              canvas.width = canvas.height = size;
              const context = canvas.getContext("2d")!;
              const grey = (v: number) => `rgb(${v},${v},${v})`;
              context.fillStyle = grey(paper);
              context.fillRect(0, 0, size, size);
              context.strokeStyle = context.fillStyle = grey(ink);
              context.lineWidth = size * fraction;
              context.lineCap = "round";
              context.lineJoin = "round";
              trace(context, strokes, size);
              const data = context.getImageData(0, 0, size, size).data;
              return Array.from({ length: size * size }, (_, i) => data[i * 4]);
            },
            {
              // traceStrokes reads STROKE_WIDTH_FRACTION: give the page the same constant.
              source: traceStrokes.toString().replaceAll(
                "STROKE_WIDTH_FRACTION",
                String(STROKE_WIDTH_FRACTION),
              ),
              strokes,
              size,
              fraction: STROKE_WIDTH_FRACTION,
              paper: PAPER_LEVEL,
              ink: INK_LEVEL,
            },
          );
          const ours = coverageToRgba(renderStrokes(strokes, { size }));
          let sumDiff = 0, worst = 0, inked = 0;
          for (let i = 0; i < painted.length; i++) {
            const diff = Math.abs(painted[i] - ours[i * 4]);
            sumDiff += diff;
            worst = Math.max(worst, diff);
            if (painted[i] < 128) inked++;
          }
          const meanDiff = sumDiff / painted.length;
          console.log(`${size}px ${name}: mean |diff| ${meanDiff.toFixed(2)}, worst ${worst}`);
          // Interiors and paper agree exactly; only antialiased edge pixels may differ.
          ok(
            meanDiff < 2.5,
            `${size}px ${name}: mean difference ${meanDiff.toFixed(2)} grey levels`,
          );
          ok(inked > 0, "Chromium painted ink");
        }
      }
    } finally {
      await browser.close();
    }
  },
});
