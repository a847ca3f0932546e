/**
 * The web UI in a real browser: Debian's Chromium driven by playwright-core against the app
 * (in this process, on a free port) serving the shipped models and a fresh build of the
 * islands. Draws digits with the mouse and with touch, uses Clear/Undo/upload/the model
 * picker, watches for console errors and saves screenshots to test-output/.
 *
 * Locally a missing browser or missing models skip these tests with a message; under CI=true
 * they fail instead.
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { createApp } from "../app.ts";
import { initImageDecoders } from "../inference/image_decode.ts";
import { loadModels, type ModelRegistry } from "../inference/model_registry.ts";
import assert, { deepStrictEqual } from "node:assert/strict";
import { buildAssets } from "../web/bundle/build_assets.ts";
import type { Prediction } from "../web/browser/predict_client.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const projectRoot = new URL("../", import.meta.url).pathname;
const modelsDir = `${projectRoot}models/`;
const outputDir = `${projectRoot}test-output/`;
const fixture = (name: string) => `${projectRoot}tests/fixtures/${name}`;
const inCi = Deno.env.get("CI") === "true";

/** Strokes in unit coordinates of the pad, drawn as a person would. */
type Strokes = [number, number][][];
const ellipse = (cx: number, cy: number, rx: number, ry: number): [number, number][] =>
  Array.from({ length: 41 }, (_, i) => {
    const angle = -Math.PI / 2 + (i / 40) * Math.PI * 2;
    return [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)];
  });
const DIGITS: Record<number, Strokes> = {
  1: [[[0.52, 0.18], [0.5, 0.5], [0.48, 0.82]]],
  7: [[[0.28, 0.2], [0.72, 0.2], [0.58, 0.5], [0.44, 0.82]]],
  0: [ellipse(0.5, 0.5, 0.2, 0.3)],
};

function missingPrerequisite(): string | null {
  try {
    Deno.statSync(CHROMIUM);
  } catch {
    return `no browser at ${CHROMIUM} (apt-get install -y chromium)`;
  }
  let models: string[] = [];
  try {
    models = [...Deno.readDirSync(modelsDir)].map((e) => e.name).filter((n) => n.endsWith(".onnx"));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (models.length === 0) return `no models in ${modelsDir} (deno task train)`;
  return null;
}

const missing = missingPrerequisite();
if (missing !== null && !inCi) {
  console.warn(`%cbrowser tests skipped: ${missing}`, "color: yellow");
}

Deno.test({
  name: "web UI in Chromium",
  ignore: missing !== null && !inCi,
  // Chromium's child process and playwright's pipes outlive single steps by design.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (missing !== null) throw new Error(`browser tests cannot run under CI: ${missing}`);
    const server = await startServer();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const consoleErrors: string[] = [];
    await Deno.mkdir(outputDir, { recursive: true });
    try {
      const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await openPage(desktop, server.url, consoleErrors);

      await t.step("a blank pad asks for a digit and sends nothing", async () => {
        let requests = 0;
        page.on("request", (r) => r.url().includes("/predict") && requests++);
        deepStrictEqual(await page.textContent(".result .confidence"), "Draw a digit");
        assert(await page.isDisabled("#clear") && await page.isDisabled("#undo"));
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
        await page.waitForFunction(() => !document.querySelector(".result.pending"));
        deepStrictEqual(await inkPixels(page), afterFirst);

        await page.focus("#undo");
        await page.keyboard.press("Tab"); // keyboard focus moves on, visibly
        deepStrictEqual(await page.evaluate(() => document.activeElement?.id), "clear");
        const ring = await page.$eval("#clear", (b) => getComputedStyle(b).boxShadow);
        assert(ring !== "none", "focused button shows a focus ring");
        await page.keyboard.press("Enter"); // the buttons work from the keyboard
        await page.waitForSelector("#clear:disabled");
        deepStrictEqual(await inkPixels(page), 0);
        deepStrictEqual(await page.textContent(".result .confidence"), "Draw a digit");
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
        assert((await page.textContent(".error"))!.includes("no digit found in the image"));

        await page.unroute("**/predict**");
        await page.route("**/predict**", (route) => route.abort("connectionrefused"));
        await drawWithMouse(page, [[[0.3, 0.5], [0.7, 0.5]]], false);
        await page.waitForFunction(() =>
          document.querySelector(".error")?.textContent?.includes("Server unreachable")
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
    } finally {
      await browser.close();
      await server.close();
    }
  },
});

async function startServer() {
  const buildDir = await Deno.makeTempDir({ prefix: "digitlab_browser_build_" });
  await buildAssets({ rootDir: projectRoot, outDir: buildDir });
  await initImageDecoders();
  const { registry } = await loadModels(new URL(`file://${modelsDir}`), {
    preferred: "cnn-aug",
    required: false,
  });
  const app = createApp({ registry, maxBodyBytes: 2 * 1024 * 1024, modelsDir, buildDir });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    async close() {
      await server.shutdown();
      await (registry as ModelRegistry).close();
      await Deno.remove(buildDir, { recursive: true });
    },
  };
}

async function openPage(context: BrowserContext, url: string, errors: string[]) {
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  await page.goto(url);
  // Hydrated once the island's script has run: the Upload button's handler is attached.
  await page.waitForFunction(() =>
    performance.getEntriesByType("resource").some((r) => r.name.includes("/static/digit_lab"))
  );
  await page.waitForLoadState("load");
  return page;
}

/** The next successful /predict answer. */
async function waitForPrediction(page: Page): Promise<Prediction> {
  const response = await page.waitForResponse((r) =>
    r.url().includes("/predict") && r.request().method() === "POST" && r.status() === 200
  );
  const prediction = await response.json() as Prediction;
  // Wait until the page shows the answer (its state updates after the response).
  await page.waitForFunction(() => !document.querySelector(".result.pending"));
  return prediction;
}

async function padBox(page: Page) {
  const box = await page.locator("canvas.pad").boundingBox();
  assert(box !== null, "the pad is visible");
  return box;
}

/** Points every few pixels along the polyline, so the pointer moves like a hand. */
function densify(stroke: [number, number][], side: number): [number, number][] {
  const points: [number, number][] = [stroke[0]];
  for (let i = 1; i < stroke.length; i++) {
    const [x0, y0] = stroke[i - 1], [x1, y1] = stroke[i];
    const steps = Math.max(1, Math.ceil((Math.hypot(x1 - x0, y1 - y0) * side) / 6));
    for (let s = 1; s <= steps; s++) {
      points.push([x0 + ((x1 - x0) * s) / steps, y0 + ((y1 - y0) * s) / steps]);
    }
  }
  return points;
}

/** Draws `strokes` with the mouse; resolves with the answer to the final request. */
async function drawWithMouse(page: Page, strokes: Strokes, expectAnswer = true) {
  const box = await padBox(page);
  let answer: Promise<Prediction> | null = null;
  for (const [index, stroke] of strokes.entries()) {
    const points = densify(stroke, box.width);
    const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height];
    await page.mouse.move(...(at(points[0]) as [number, number]));
    await page.mouse.down();
    for (const point of points.slice(1)) {
      await page.mouse.move(...(at(point) as [number, number]));
    }
    if (expectAnswer && index === strokes.length - 1) answer = waitForPrediction(page);
    await page.mouse.up();
  }
  return answer === null ? (null as unknown as Prediction) : await answer;
}

/** Draws `strokes` with touch events through the DevTools protocol (one finger). */
async function drawWithTouch(page: Page, context: BrowserContext, strokes: Strokes) {
  const cdp = await context.newCDPSession(page);
  const box = await padBox(page);
  let answer: Promise<Prediction> | null = null;
  for (const [index, stroke] of strokes.entries()) {
    const points = densify(stroke, box.width).map(([x, y]) => ({
      x: box.x + x * box.width,
      y: box.y + y * box.height,
    }));
    await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [points[0]] });
    for (const point of points.slice(1)) {
      await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [point] });
    }
    if (index === strokes.length - 1) answer = waitForPrediction(page);
    await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  }
  await cdp.detach();
  return await answer!;
}

/** A full-page screenshot once the bars' transition has settled. */
async function screenshot(page: Page, name: string) {
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${outputDir}${name}`, fullPage: true });
}

/** Presses Clear unless the pad is already blank (then the button is disabled). */
async function clearPad(page: Page) {
  if (await page.isEnabled("#clear")) await page.click("#clear");
}

/** How many pixels of the pad are dark: a direct view of what is drawn. */
function inkPixels(page: Page): Promise<number> {
  return page.$eval("canvas.pad", (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 128) dark++;
    return dark;
  });
}

function removeWhere(list: string[], predicate: (item: string) => boolean) {
  for (let i = list.length - 1; i >= 0; i--) if (predicate(list[i])) list.splice(i, 1);
}
