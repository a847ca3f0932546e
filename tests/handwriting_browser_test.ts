/**
 * 30 digits of the held-out pendigits writers drawn with the mouse on the page in Chromium
 * (three of each digit, by different writers, at the three sizes and places in turn), read by
 * the default model: at least 29 must come back right. Chromium draws the strokes, so this
 * measures the page's own canvas, not our rasteriser.
 *
 * Needs Chromium, PENDIGITS_DIR and models/draw.onnx; locally a missing one skips the test with
 * a message, under CI=true it fails.
 */
import assert from "node:assert/strict";
import { chromium, type Page, type Request } from "playwright-core";
import { createApp } from "../app.ts";
import { initImageDecoders } from "../inference/image_decode.ts";
import { loadModels } from "../inference/model_registry.ts";
import type { Prediction } from "../lib/prediction.ts";
import {
  fitStrokes,
  HELD_OUT_WRITERS,
  loadPendigits,
  type PenDigit,
  splitByWriter,
} from "../training/pendigits.ts";
import { PLACEMENTS } from "../training/stroke_field.ts";
import { buildAssets } from "../web/bundle/build_assets.ts";
import type { Stroke } from "../lib/strokes.ts";
import { SHIPPED_MODELS, shippedModel } from "./helpers/test_server.ts";

const CHROMIUM = "/usr/bin/chromium";
const projectRoot = new URL("../", import.meta.url).pathname;
const pendigitsDir = Deno.env.get("PENDIGITS_DIR");
const inCi = Deno.env.get("CI") === "true";

async function missingPrerequisite(): Promise<string | null> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    return `no browser at ${CHROMIUM}`;
  }
  if (!pendigitsDir) return "PENDIGITS_DIR is not set";
  if (!(await shippedModel("draw"))) return "no models/draw.onnx";
  return null;
}
const missing = await missingPrerequisite();
if (missing) console.warn(`%chandwriting browser test skipped: ${missing}`, "color: yellow");

/** Three of each digit, each by a different held-out writer. */
function pickThirty(heldOut: PenDigit[]): PenDigit[] {
  const picked: PenDigit[] = [];
  for (let label = 0; label < 10; label++) {
    for (let k = 0; k < 3; k++) {
      const writer = HELD_OUT_WRITERS[(label + 2 * k) % HELD_OUT_WRITERS.length];
      const digit = heldOut.find((d) => d.label === label && d.writer === writer);
      assert.ok(digit, `writer ${writer} wrote a ${label}`);
      picked.push(digit);
    }
  }
  return picked;
}

/**
 * Moves the mouse along each stroke every few pixels, as a hand would, and returns the answer
 * to the drawing as finished: the stroke's end sends at once and aborts a live request still in
 * flight (web/browser/predict_loop.ts), so the answer is the last /predict sent once the page
 * settles, never one that was waited for while the pen was still moving.
 */
async function drawWithMouse(page: Page, strokes: Stroke[]): Promise<Prediction> {
  const box = await page.locator("canvas.pad").boundingBox();
  assert.ok(box, "the pad is visible");
  const at = (p: { x: number; y: number }): [number, number] => [
    box.x + p.x * box.width,
    box.y + p.y * box.height,
  ];
  const sent: Request[] = [];
  const onRequest = (request: Request) => {
    if (request.url().includes("/predict") && request.method() === "POST") sent.push(request);
  };
  page.on("request", onRequest);
  let sentBeforeEnd = 0;
  for (const [index, stroke] of strokes.entries()) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (let i = 1; i < stroke.length; i++) {
      const a = stroke[i - 1], b = stroke[i];
      const steps = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) * box.width / 6));
      for (let s = 1; s <= steps; s++) {
        await page.mouse.move(...at({
          x: a.x + (b.x - a.x) * s / steps,
          y: a.y + (b.y - a.y) * s / steps,
        }));
      }
    }
    if (index === strokes.length - 1) sentBeforeEnd = sent.length;
    await page.mouse.up();
  }
  try {
    for (const deadline = Date.now() + 10_000; sent.length <= sentBeforeEnd;) {
      assert.ok(Date.now() < deadline, "the end of the last stroke sent no /predict");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await page.waitForFunction(() => !document.querySelector(".result.pending"));
    const response = await sent[sent.length - 1].response();
    assert.ok(response, "the finished drawing's /predict got no response");
    assert.equal(response.status(), 200, await response.text());
    return await response.json();
  } finally {
    page.off("request", onRequest);
  }
}

Deno.test({
  name: "30 held-out digits drawn with the mouse in Chromium: at least 29 read right",
  ignore: missing !== null && !inCi,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (missing) throw new Error(`cannot run under CI: ${missing}`);
    const digits = pickThirty(splitByWriter((await loadPendigits(pendigitsDir!)).digits).heldOut);
    const buildDir = await Deno.makeTempDir({ prefix: "digitlab_handwriting_build_" });
    await buildAssets({ rootDir: projectRoot, outDir: buildDir });
    await initImageDecoders();
    const { registry } = await loadModels(new URL(`file://${SHIPPED_MODELS}`), {
      preferred: "draw",
      required: true,
    });
    const app = createApp({
      registry,
      maxBodyBytes: 2 * 1024 * 1024,
      modelsDir: SHIPPED_MODELS,
      buildDir,
    });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`http://127.0.0.1:${server.addr.port}`);
      await page.waitForFunction(() =>
        performance.getEntriesByType("resource").some((r) => r.name.includes("/static/digit_lab"))
      );
      await page.waitForLoadState("load");
      const wrong: string[] = [];
      for (const [i, digit] of digits.entries()) {
        if (await page.isEnabled("#clear")) await page.click("#clear");
        const placement = PLACEMENTS[i % PLACEMENTS.length];
        const answer = await drawWithMouse(page, fitStrokes(digit.strokes, placement.box));
        assert.equal(answer.model, "draw");
        const shown = await page.textContent("#predicted-digit");
        assert.equal(shown, String(answer.result), "the page shows the server's answer");
        const line = `writer ${digit.writer} ${digit.label} (${placement.name}): read ` +
          `${answer.result}, ${answer.confident ? "confident" : answer.reason}`;
        console.log(`  ${line}`);
        if (answer.result !== digit.label) wrong.push(line);
      }
      console.log(`read right: ${digits.length - wrong.length}/${digits.length}`);
      assert.ok(wrong.length <= 1, `wrong: ${wrong.join("; ")}`);
    } finally {
      await browser.close();
      await server.shutdown();
      await registry.close();
      await Deno.remove(buildDir, { recursive: true });
    }
  },
});
