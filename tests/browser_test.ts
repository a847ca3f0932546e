/**
 * The web UI in a real browser: Debian's Chromium driven by playwright-core against the app
 * (in this process, on a free port) serving the shipped models and a fresh build of the
 * islands. Draws digits with the mouse and with touch, uses Clear/Undo/upload/the model
 * picker, watches for console errors and saves screenshots to test-output/.
 *
 * Locally a missing browser or missing models skip these tests with a message; under CI=true
 * they fail instead.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import {
  browserTest,
  clearPad,
  DIGITS,
  drawWithMouse,
  drawWithTouch,
  fixture,
  inCi,
  inkPixels,
  missingPrerequisite,
  openPage,
  outputDir,
  removeWhere,
  screenshot,
  startServer,
  waitForPrediction,
} from "./helpers/browser_page.ts";

const missing = missingPrerequisite();
if (missing !== null && !inCi) {
  console.warn(`%cbrowser tests skipped: ${missing}`, "color: yellow");
}

browserTest(
  { name: "web UI in Chromium", missing, start: () => startServer() },
  async (t, { browser, server }) => {
    const consoleErrors: string[] = [];
    await Deno.mkdir(outputDir, { recursive: true });
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await openPage(desktop, server.url, consoleErrors);

    await t.step("a blank pad asks for a digit and sends nothing", async () => {
      let requests = 0;
      page.on("request", (r) => r.url().includes("/predict") && requests++);
      deepStrictEqual(await page.textContent(".result .confidence"), "Waiting for ink");
      deepStrictEqual(await page.getAttribute("#clear", "aria-disabled"), "true");
      deepStrictEqual(await page.getAttribute("#undo", "aria-disabled"), "true");
      await page.click("#clear", { force: true }).catch(() => {});
      await page.waitForTimeout(300);
      deepStrictEqual(requests, 0);
    });

    for (const digit of [1, 7, 0]) {
      await t.step(`drawing a ${digit} with the mouse shows ${digit}`, async () => {
        await clearPad(page);
        const prediction = await drawWithMouse(page, DIGITS[digit]);
        deepStrictEqual(prediction.result, digit, `probabilities ${prediction.probabilities}`);
        deepStrictEqual(await page.textContent("#predicted-digit"), String(digit));
        deepStrictEqual(prediction.input.length, 784);
      });
    }
    await screenshot(page, "desktop.png");

    await t.step("Undo removes the last stroke, Clear empties the pad", async () => {
      await page.click("#clear");
      await drawWithMouse(page, [[[0.3, 0.3], [0.7, 0.3]]]);
      const afterFirst = await inkPixels(page);
      await drawWithMouse(page, [[[0.5, 0.3], [0.5, 0.8]]]);
      const afterSecond = await inkPixels(page);
      assert(afterSecond > afterFirst, `ink ${afterFirst} -> ${afterSecond}`);

      const undone = waitForPrediction(page);
      await page.click("#undo");
      await undone;
      deepStrictEqual(await inkPixels(page), afterFirst);

      await drawWithMouse(page, [[[0.5, 0.3], [0.5, 0.8]]]);
      await page.keyboard.press("Control+z"); // the keyboard shortcut undoes too
      await page.waitForFunction(() => !document.querySelector(".lab-result.pending"));
      deepStrictEqual(await inkPixels(page), afterFirst);

      await page.focus("#undo");
      await page.keyboard.press("Tab"); // keyboard focus moves on, visibly
      deepStrictEqual(await page.evaluate(() => document.activeElement?.id), "clear");
      const ring = await page.$eval("#clear", (b) => getComputedStyle(b).boxShadow);
      assert(ring !== "none", "focused button shows a focus ring");
      await page.keyboard.press("Enter"); // the buttons work from the keyboard
      await page.waitForSelector("#clear[aria-disabled=true]");
      deepStrictEqual(await inkPixels(page), 0);
      deepStrictEqual(await page.textContent(".result .confidence"), "Waiting for ink");
      deepStrictEqual(await page.$("#predicted-digit"), null);
    });

    await t.step("uploading a PNG of a 7 predicts 7", async () => {
      const predicted = waitForPrediction(page);
      await page.setInputFiles("#upload-input", fixture("drawn-7.png"));
      deepStrictEqual((await predicted).result, 7);
      assert(await inkPixels(page) > 0, "the upload is shown on the pad");
      await page.click("#clear");
    });

    await t.step("dropping a PNG on the pad predicts it too", async () => {
      const bytes = [...await Deno.readFile(fixture("drawn-7.png"))];
      const predicted = waitForPrediction(page);
      await page.evaluate((data) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(data)], "seven.png", { type: "image/png" }));
        document.querySelector(".pad-frame")!.dispatchEvent(
          new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }),
        );
      }, bytes);
      deepStrictEqual((await predicted).result, 7);
      await page.click("#clear");
    });

    await t.step("the model picker changes the model that answers", async () => {
      const names = await page.$$eval(
        "#model option",
        (os) => os.map((o) => (o as HTMLOptionElement).value),
      );
      if (names.length < 2) {
        if (inCi) throw new Error(`the picker needs two models, found ${names}`);
        console.warn(`%c  model picker step skipped: only ${names} shipped`, "color: yellow");
        return;
      }
      await drawWithMouse(page, DIGITS[7]);
      const current = await page.$eval("#model", (s) => (s as HTMLSelectElement).value);
      const other = names.find((n) => n !== current)!;
      const answered = waitForPrediction(page);
      await page.selectOption("#model", other);
      deepStrictEqual((await answered).model, other);
      assert((await page.textContent(".confidence small"))!.includes(other));
      deepStrictEqual(await page.getAttribute(".model-info a", "href"), `/models/${other}`);
    });

    await t.step("errors show in the page: API error and unreachable server", async () => {
      await clearPad(page);
      await page.route("**/predict**", (route) =>
        route.fulfill({
          status: 422,
          json: { error: "no_digit_found", message: "no digit found in the image" },
        }));
      await drawWithMouse(page, DIGITS[1], false);
      await page.waitForSelector(".error[role=alert]");
      deepStrictEqual(
        await page.textContent(".error"),
        "No digit found. The picture looks empty. Draw a bit bigger or darker.",
        "plain words, no code, no Retry for an answer that will not change",
      );

      await page.unroute("**/predict**");
      await page.route("**/predict**", (route) => route.abort("connectionrefused"));
      await drawWithMouse(page, [[[0.3, 0.5], [0.7, 0.5]]], false);
      await page.waitForFunction(() =>
        document.querySelector(".error")?.textContent?.includes("could not be reached")
      );
      await page.unroute("**/predict**");
      // The refused requests are logged by the browser as resource errors: expected here.
      removeWhere(consoleErrors, (e) => e.includes("ERR_CONNECTION_REFUSED"));
      removeWhere(consoleErrors, (e) => e.includes("422"));

      const recovered = waitForPrediction(page);
      await page.click("#undo");
      await recovered;
      deepStrictEqual(await page.$(".error"), null);
    });

    await t.step("the model card renders its charts", async () => {
      const name = await page.$eval("#model", (s) => (s as HTMLSelectElement).value);
      await page.goto(`${server.url}/models/${name}`);
      deepStrictEqual(await page.locator(".confusion rect").count(), 100);
      assert(await page.locator(".chart svg").count() >= 1);
      await screenshot(page, "model-card.png");
    });
    await desktop.close();

    await t.step("touch drawing on a phone draws without scrolling the page", async () => {
      const phone = await browser.newContext({
        viewport: { width: 360, height: 740 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        colorScheme: "dark",
      });
      const mobile = await openPage(phone, server.url, consoleErrors);
      const width = await mobile.evaluate(() => document.documentElement.scrollWidth);
      assert(width <= 360, `no sideways scrolling at 360 px (page is ${width} px wide)`);
      const pad = await mobile.$eval("canvas.pad", (canvas) => {
        const c = canvas as HTMLCanvasElement;
        return {
          touchAction: getComputedStyle(c).touchAction,
          width: c.width,
          css: c.clientWidth,
        };
      });
      deepStrictEqual(pad.touchAction, "none");
      deepStrictEqual(pad.width, Math.round(pad.css * 2), "backing store at devicePixelRatio 2");
      const scrollBefore = await mobile.evaluate(() => scrollY);
      const prediction = await drawWithTouch(mobile, phone, DIGITS[7]);
      deepStrictEqual(prediction.result, 7);
      deepStrictEqual(await mobile.evaluate(() => scrollY), scrollBefore);
      await screenshot(mobile, "phone.png");
      await phone.close();
    });

    await t.step("no console errors", () => {
      deepStrictEqual(consoleErrors, []);
    });
  },
);
