/**
 * Correcting answers on the page, in Chromium: a mouse click on "It's a ...", a key press and a
 * tap each store the drawing (checked through the admin API: label, the model's answer, the
 * model, the strokes and a PNG the server decodes), one correction per drawing, a confirmation
 * and the contribution counter. With feedback off the controls are absent.
 *
 * Locally a missing browser or missing models skip this with a message; under CI=true they fail.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { createApp } from "../app.ts";
import { openSqliteStore } from "../feedback/sqlite_store.ts";
import type { FeedbackStore } from "../feedback/store.ts";
import { initImageDecoders } from "../inference/image_decode.ts";
import { loadModels } from "../inference/model_registry.ts";
import { buildAssets } from "../web/bundle/build_assets.ts";
import { browserTest, CHROMIUM, inCi } from "./helpers/browser_page.ts";

const projectRoot = new URL("../", import.meta.url).pathname;
const modelsDir = `${projectRoot}models/`;
const TOKEN = "browser-admin-token-73ac19e0";

const SEVEN: [number, number][] = [[0.28, 0.2], [0.72, 0.2], [0.58, 0.5], [0.44, 0.82]];
const ONE: [number, number][] = [[0.52, 0.18], [0.5, 0.5], [0.48, 0.82]];

function missingPrerequisite(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    Deno.statSync(`${modelsDir}cnn-aug.onnx`);
    return null;
  } catch (error) {
    return `no browser at ${CHROMIUM} or no models in ${modelsDir}: ${(error as Error).message}`;
  }
}
const missing = missingPrerequisite();
if (missing !== null && !inCi) console.warn(`feedback browser test skipped: ${missing}`);

async function startServer(feedback: boolean) {
  const buildDir = await Deno.makeTempDir({ prefix: "digitlab_feedback_build_" });
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
    buildDir,
    feedback: feedback ? { store, adminToken: TOKEN } : undefined,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    store,
    async close() {
      await server.shutdown();
      await registry.close();
      await store.close();
      await Deno.remove(buildDir, { recursive: true });
    },
  };
}

/** Draws `stroke` with the mouse; resolves with the answer the page shows once it settles. */
async function draw(page: Page, stroke: [number, number][]) {
  // The pad also predicts while a stroke is drawn: wait until every /predict has answered.
  let sent = 0, answered = 0;
  const onRequest = (r: { url(): string }) => r.url().includes("/predict") && sent++;
  const onDone = (r: { url(): string }) => r.url().includes("/predict") && answered++;
  page.on("request", onRequest);
  page.on("requestfinished", onDone);
  page.on("requestfailed", onDone);
  const box = (await page.locator("canvas.pad").boundingBox())!;
  await page.mouse.move(box.x + stroke[0][0] * box.width, box.y + stroke[0][1] * box.height);
  await page.mouse.down();
  for (const [x, y] of stroke.slice(1)) {
    await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 12 });
  }
  await page.mouse.up();
  // The final request leaves after the PNG is encoded (a few ms); give it a moment to start.
  for (let settled = 0, polls = 0; settled < 3; polls++) {
    if (polls > 100) throw new Error(`the page never settled: ${sent} sent, ${answered} answered`);
    await page.waitForTimeout(150);
    const pending = await page.locator(".lab-result.pending").count();
    settled = sent > 0 && sent === answered && pending === 0 ? settled + 1 : 0;
  }
  page.off("request", onRequest);
  page.off("requestfinished", onDone);
  page.off("requestfailed", onDone);
  // What the page shows is what a correction reports as the model's answer.
  return { result: Number(await page.locator("#predicted-digit").textContent()) };
}

async function openPage(page: Page, url: string) {
  await page.goto(url);
  await page.waitForFunction(() =>
    performance.getEntriesByType("resource").some((r) => r.name.includes("/static/digit_lab"))
  );
  await page.waitForLoadState("load");
}

async function listed(url: string) {
  const response = await fetch(`${url}/feedback?limit=10`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  return (await response.json()).items as { id: string; label: number; predicted: number }[];
}

async function assertStored(store: FeedbackStore, id: string, label: number, predicted: number) {
  const record = await store.get(id);
  assert.ok(record);
  assert.equal(record.label, label);
  assert.equal(record.predicted, predicted);
  assert.equal(record.model, "cnn-aug");
  assert.equal(record.imageType, "image/png");
  assert.ok(record.strokes && record.strokes[0].length >= 3, "the strokes were stored");
}

browserTest({
  name: "in Chromium, correcting an answer stores it (mouse, key and tap)",
  missing,
  start: () => startServer(true),
}, async (_t, { browser, server }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await openPage(page, server.url);

  // Mouse: "It's a 3" on a drawn 7.
  const first = await draw(page, SEVEN);
  await page.locator('.feedback-digit[data-digit="3"]').click();
  await page.locator("#feedback-status", { hasText: "Saved as 3" }).waitFor();
  await page.locator("#feedback-count", { hasText: "contributed 1 drawing" }).waitFor();
  let items = await listed(server.url);
  assert.equal(items.length, 1);
  await assertStored(server.store, items[0].id, 3, first.result);
  // One correction per drawing: another key press on it stores nothing.
  await page.keyboard.press("5");
  assert.equal((await listed(server.url)).length, 1);

  // Keyboard: a new drawing, corrected with the key 1; drawing continues meanwhile.
  await page.locator("#clear").click();
  const second = await draw(page, ONE);
  await page.keyboard.press("1");
  await page.locator("#feedback-status", { hasText: "Saved as 1" }).waitFor();
  await page.locator("#feedback-count", { hasText: "contributed 2 drawings" }).waitFor();
  items = await listed(server.url);
  assert.equal(items.length, 2);
  await assertStored(server.store, items[0].id, 1, second.result);

  // Touch: "Right" tapped on a touch screen.
  const touch = await browser.newContext({
    hasTouch: true,
    viewport: { width: 420, height: 860 },
  });
  const phone = await touch.newPage();
  await openPage(phone, server.url);
  const third = await draw(phone, SEVEN);
  await phone.locator("#feedback-right").tap();
  await phone.locator("#feedback-status", { hasText: `Saved as ${third.result}` }).waitFor();
  items = await listed(server.url);
  assert.equal(items.length, 3);
  await assertStored(server.store, items[0].id, third.result, third.result);
  assert.deepEqual(errors, []);
});

browserTest({
  name: "in Chromium, with feedback off the page has no feedback controls",
  missing,
  start: () => startServer(false),
}, async (_t, { browser, server }) => {
  const page = await browser.newPage();
  await openPage(page, server.url);
  await draw(page, SEVEN);
  assert.equal(await page.locator(".feedback").count(), 0);
});

browserTest({
  name: "in Chromium, the review page lists, filters and deletes with the token as a header",
  missing,
  start: () => startServer(true),
}, async (_t, { browser, server }) => {
  const png = await Deno.readFile(new URL("./fixtures/drawn-7.png", import.meta.url));
  const ids: string[] = [];
  for (const [label, predicted] of [[7, 7], [7, 1], [3, 8]]) {
    const form = new FormData();
    form.set("img", new File([png], "d.png", { type: "image/png" }));
    form.set("label", String(label));
    form.set("predicted", String(predicted));
    ids.push(
      (await (await fetch(`${server.url}/feedback`, { method: "POST", body: form })).json()).id,
    );
  }
  const page = await browser.newPage();
  const urls: string[] = [];
  page.on("request", (request) => urls.push(request.url()));
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${server.url}/feedback`);
  await page.waitForLoadState("load");

  await page.locator("#admin-token").fill("wrong-token-000000000");
  await page.locator("#admin-sign-in").click();
  await page.locator(".error", { hasText: "That token is wrong" }).waitFor();

  await page.locator("#admin-token").fill(TOKEN);
  await page.locator("#admin-sign-in").click();
  await page.locator(".review-item").nth(2).waitFor();
  assert.equal(await page.locator(".review-item").count(), 3);
  // Every drawing arrived as an image through the token-carrying fetch.
  await page.waitForFunction(() =>
    [...document.querySelectorAll(".review-item img")].every((img) =>
      (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0
    )
  );

  await page.locator("#filter-wrong").check();
  await page.waitForFunction(() => document.querySelectorAll(".review-item").length === 2);
  await page.locator("#filter-label").selectOption("3");
  await page.waitForFunction(() => document.querySelectorAll(".review-item").length === 1);
  await page.locator(`.review-item[data-id="${ids[2]}"] .review-delete`).click();
  await page.locator("#review-empty").waitFor();
  assert.equal(await server.store.get(ids[2]), null, "deleted in the store");
  assert.equal(await server.store.count(), 2);

  // The token stays in this tab's sessionStorage and never enters a URL.
  assert.equal(await page.evaluate(() => sessionStorage.getItem("digitlab.adminToken")), TOKEN);
  assert.deepEqual(urls.filter((url) => url.includes(TOKEN)), []);
  await page.reload();
  await page.locator(".review-item").first().waitFor();
  assert.deepEqual(errors, []);
});
