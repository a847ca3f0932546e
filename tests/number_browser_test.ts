/**
 * The number pad (`/number`) in Chromium: writing "1 7 0" with the mouse on the wide pad gets three
 * digits back, each shown with a box on the pad and its reading and confidence below it;
 * Undo and Clear work. Correcting the middle digit ("It's a 4" under the 7) stores that digit
 * alone (checked through the admin API: label, predicted digit, model, and a square PNG the
 * model reads as 7); with `--feedback off` no control is shown.
 * Skipped (with a message) without a browser or models, failing under CI.
 */
import { chromium, type Page } from "playwright-core";
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createApp } from "../app.ts";
import { openSqliteStore } from "../feedback/sqlite_store.ts";
import { decodeImage, initImageDecoders } from "../inference/image_decode.ts";
import { loadModels } from "../inference/model_registry.ts";
import type { NumberPrediction } from "../lib/prediction.ts";
import { buildAssets } from "../web/bundle/build_assets.ts";
import { trackPredictions, waitForPrediction } from "./helpers/browser_page.ts";

const CHROMIUM = "/usr/bin/chromium";
const projectRoot = new URL("../", import.meta.url).pathname;
const modelsDir = `${projectRoot}models/`;
const inCi = Deno.env.get("CI") === "true";
const TOKEN = "number-admin-token-5f0c2d91";
const hasBrowser = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
if (!hasBrowser && !inCi) console.warn(`number pad browser test skipped: no ${CHROMIUM}`);

type Strokes = [number, number][][];
/** Where the number pad shows its answer, for waitForPrediction. */
const NUMBER_ANSWER = { path: "/predict/number", pending: ".number-result.pending" };
const ellipse = (cx: number, cy: number, rx: number, ry: number): [number, number][] =>
  Array.from({ length: 41 }, (_, i) => {
    const angle = -Math.PI / 2 + (i / 40) * Math.PI * 2;
    return [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)];
  });
/** "1 7 0" in unit coordinates of the pad's height (x up to 2.5). */
const NUMBER: Strokes = [
  [[0.52, 0.2], [0.5, 0.5], [0.48, 0.8]],
  [[0.85, 0.22], [1.2, 0.22], [1.08, 0.5], [0.97, 0.8]],
  ellipse(1.7, 0.5, 0.16, 0.3),
];

async function draw(page: Page, strokes: Strokes): Promise<NumberPrediction> {
  const box = (await page.locator("#number-pad").boundingBox())!;
  const side = box.height;
  let answer: Promise<NumberPrediction> | null = null;
  for (const [index, stroke] of strokes.entries()) {
    const at = ([x, y]: [number, number]): [number, number] => [box.x + x * side, box.y + y * side];
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (let i = 1; i < stroke.length; i++) {
      const [x0, y0] = stroke[i - 1], [x1, y1] = stroke[i];
      const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) * side / 6));
      for (let s = 1; s <= steps; s++) {
        await page.mouse.move(...at([x0 + (x1 - x0) * s / steps, y0 + (y1 - y0) * s / steps]));
      }
    }
    // The answer to the finished drawing, not a live request the stroke's end aborts.
    if (index === strokes.length - 1) answer = waitForPrediction(page, NUMBER_ANSWER);
    await page.mouse.up();
  }
  return await answer!;
}

Deno.test({
  name: "number pad in Chromium: three digits written, three boxes and readings shown",
  ignore: !hasBrowser && !inCi,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const buildDir = await Deno.makeTempDir({ prefix: "digitlab_number_build_" });
    await buildAssets({ rootDir: projectRoot, outDir: buildDir });
    await initImageDecoders();
    const { registry } = await loadModels(new URL(`file://${modelsDir}`), {
      preferred: "cnn-aug",
      required: false,
    });
    const store = openSqliteStore({ path: ":memory:", maxExamples: 100 });
    const app = createApp({
      registry,
      maxBodyBytes: 2 * 1024 * 1024,
      modelsDir,
      buildDir,
      feedback: { store, adminToken: TOKEN },
    });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
    const url = `http://127.0.0.1:${server.addr.port}`;
    // The same build and models with `--feedback off`.
    const withoutFeedback = createApp({ registry, maxBodyBytes: 2 * 1024 * 1024, buildDir });
    const serverOff = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      withoutFeedback.fetch,
    );
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      trackPredictions(page);
      await page.goto(`${url}/number`);
      await page.locator("#number-pad").scrollIntoViewIfNeeded();
      const answer = await draw(page, NUMBER);
      equal(answer.digits.length, 3, JSON.stringify(answer));
      equal(answer.number, "170");
      await page.waitForSelector(".number-digits li");
      equal(await page.locator(".number-digits li").count(), 3);
      equal(await page.locator("#read-number").textContent(), answer.number);
      // The boxes are drawn on the pad: its pixels in each box's border are coloured.
      const coloured = await page.$eval("#number-pad", (canvas) => {
        const c = canvas as HTMLCanvasElement;
        const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (Math.abs(data[i] - data[i + 1]) > 40 || Math.abs(data[i + 1] - data[i + 2]) > 40) {
            count++;
          }
        }
        return count;
      });
      ok(coloured > 100, `${coloured} coloured pixels of boxes`);
      await Deno.mkdir(`${projectRoot}test-output`, { recursive: true });
      await page.screenshot({ path: `${projectRoot}test-output/number-pad.png` });

      // One control per digit; correcting the 7 stores that digit alone, as 4.
      equal(await page.locator(".number-feedback .feedback").count(), 3);
      equal(answer.digits[1].result, 7, "the middle digit is read as 7");
      const posted = page.waitForResponse((r) =>
        r.url().endsWith("/feedback") && r.request().method() === "POST"
      );
      await page.click('#feedback-1-right ~ button[data-digit="4"]');
      equal((await posted).status(), 201);
      await page.locator("#feedback-1-status", { hasText: "Saved as 4" }).waitFor();
      ok(await page.isDisabled("#feedback-1-right"), "one correction per drawing");
      ok(!(await page.isDisabled("#feedback-0-right")), "the other digits stay correctable");
      const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
      const { items } = await (await fetch(`${url}/feedback?limit=10`, auth)).json();
      equal(items.length, 1, JSON.stringify(items));
      equal(items[0].label, 4);
      equal(items[0].predicted, 7);
      equal(items[0].model, answer.model);
      const png = new Uint8Array(
        await (await fetch(`${url}/feedback/${items[0].id}/image`, auth)).arrayBuffer(),
      );
      const { image } = await decodeImage(png);
      equal(image.width, image.height, "a square crop");
      ok(image.height < 280, `${image.width}x${image.height}: one digit, not the whole pad`);
      const form = new FormData();
      form.set("img", new Blob([png], { type: "image/png" }), "digit.png");
      const reread = await (await fetch(`${url}/predict?model=${answer.model}`, {
        method: "POST",
        body: form,
      })).json();
      equal(reread.result, 7, `the stored crop is the 7: ${JSON.stringify(reread)}`);

      const undone = waitForPrediction<NumberPrediction>(page, NUMBER_ANSWER);
      await page.click("#number-undo");
      const afterUndo = await undone;
      equal(afterUndo.digits.length, 2);
      await page.click("#number-clear");
      ok(await page.isDisabled("#number-clear"));

      // `--feedback off`: the digits are read, no control is shown.
      await page.goto(`http://127.0.0.1:${serverOff.addr.port}/number`);
      const offAnswer = await draw(page, NUMBER);
      equal(offAnswer.number, "170");
      await page.waitForSelector(".number-digits li");
      equal(await page.locator(".feedback").count(), 0);
      deepStrictEqual(errors, []);
    } finally {
      await browser.close();
      await server.shutdown();
      await serverOff.shutdown();
      await store.close();
      await registry.close();
      await Deno.remove(buildDir, { recursive: true });
    }
  },
});
