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
import { chromium } from "playwright-core";
import { createApp } from "../app.ts";
import { initImageDecoders } from "../inference/image_decode.ts";
import { loadModels } from "../inference/model_registry.ts";
import {
  fitStrokes,
  HELD_OUT_WRITERS,
  loadPendigits,
  type PenDigit,
  splitByWriter,
} from "../training/pendigits.ts";
import { PLACEMENTS } from "../training/stroke_field.ts";
import { buildAssets } from "../web/bundle/build_assets.ts";
import { SHIPPED_MODELS, shippedModel } from "./helpers/test_server.ts";
import { drawWithMouse, openPage } from "./helpers/browser_page.ts";

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
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const pageErrors: string[] = [];
      const page = await openPage(context, `http://127.0.0.1:${server.addr.port}`, pageErrors);
      const wrong: string[] = [];
      for (const [i, digit] of digits.entries()) {
        if (await page.isEnabled("#clear")) await page.click("#clear");
        const placement = PLACEMENTS[i % PLACEMENTS.length];
        // The answer to the finished drawing: live answers sent mid-stroke may be aborted by it.
        const strokes = fitStrokes(digit.strokes, placement.box);
        const answer = await drawWithMouse(page, strokes.map((s) => s.map((p) => [p.x, p.y])));
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
      assert.deepEqual(pageErrors, [], "the page logged no errors");
    } finally {
      await browser.close();
      await server.shutdown();
      await registry.close();
      await Deno.remove(buildDir, { recursive: true });
    }
  },
});
