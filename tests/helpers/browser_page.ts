/**
 * What the browser tests share: the app in this process on a free port with a fresh build,
 * Debian's Chromium, and a hand that draws on the pad with the mouse or a finger.
 *
 * @module
 */
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Page,
  type Request,
} from "playwright-core";
import { createApp } from "../../app.ts";
import { DEFAULT_ENGINE, InferenceEngine } from "../../inference/engine.ts";
import { initImageDecoders } from "../../inference/image_decode.ts";
import { loadModels, type ModelRegistry } from "../../inference/model_registry.ts";
import assert from "node:assert/strict";
import { buildAssets } from "../../web/bundle/build_assets.ts";
import type { Prediction } from "../../web/browser/predict_client.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const projectRoot = new URL("../../", import.meta.url).pathname;
export const modelsDir = `${projectRoot}models/`;
export const outputDir = `${projectRoot}test-output/`;
export const fixture = (name: string) => `${projectRoot}tests/fixtures/${name}`;
export const inCi = Deno.env.get("CI") === "true";

/** Strokes in unit coordinates of the pad, drawn as a person would. */
export type Strokes = [number, number][][];
export const ellipse = (cx: number, cy: number, rx: number, ry: number): [number, number][] =>
  Array.from({ length: 41 }, (_, i) => {
    const angle = -Math.PI / 2 + (i / 40) * Math.PI * 2;
    return [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)];
  });
export const DIGITS: Record<number, Strokes> = {
  1: [[[0.52, 0.18], [0.5, 0.5], [0.48, 0.82]]],
  7: [[[0.28, 0.2], [0.72, 0.2], [0.58, 0.5], [0.44, 0.82]]],
  0: [ellipse(0.5, 0.5, 0.2, 0.3)],
};

export function missingPrerequisite(): string | null {
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

/** A server a browser test drives. */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Declares a test in Chromium against `start()`'s server, both closed afterwards. Where
 * `missing` names an absent prerequisite it is ignored, or fails under CI=true.
 */
export function browserTest<S extends TestServer>(
  options: { name: string; missing: string | null; start: () => Promise<S> },
  fn: (t: Deno.TestContext, rig: { browser: Browser; server: S }) => Promise<void>,
): void {
  const { name, missing, start } = options;
  Deno.test({
    name,
    ignore: missing !== null && !inCi,
    // Chromium's child process and playwright's pipes outlive single steps by design.
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      if (missing !== null) throw new Error(`browser tests cannot run under CI: ${missing}`);
      const server = await start();
      try {
        const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
        try {
          await fn(t, { browser, server });
        } finally {
          await browser.close();
        }
      } finally {
        await server.close();
      }
    },
  });
}

/**
 * The app with an inference worker that also decodes, so models and PNG decoding run off this
 * process's main thread, which also drives the browser: a page asking several times a second
 * would otherwise slow the pointer events that draw on it (170 -> 104 ms per mouse move here).
 */
export async function startServer() {
  const buildDir = await Deno.makeTempDir({ prefix: "digitlab_browser_build_" });
  await buildAssets({ rootDir: projectRoot, outDir: buildDir });
  await initImageDecoders();
  const engine = await InferenceEngine.start({ ...DEFAULT_ENGINE, preprocessIn: "workers" });
  const { registry } = await loadModels(
    new URL(`file://${modelsDir}`),
    { preferred: "cnn-aug", required: false },
    { mainSession: engine.needsMainSession, prepare: (model) => engine.prepare(model) },
  );
  const app = createApp({ registry, maxBodyBytes: 2 * 1024 * 1024, modelsDir, buildDir, engine });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    async close() {
      await server.shutdown();
      await (registry as ModelRegistry).close();
      engine.close();
      await Deno.remove(buildDir, { recursive: true });
    },
  };
}

export async function openPage(context: BrowserContext, url: string, errors: string[]) {
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  trackPredictions(page);
  await page.goto(url);
  // Hydrated once the island's script has run: the Upload button's handler is attached.
  await page.waitForFunction(() =>
    performance.getEntriesByType("resource").some((r) => r.name.includes("/static/digit_lab"))
  );
  await page.waitForLoadState("load");
  return page;
}

/** Every POST /predict a page sent, in order (the page has at most one in flight). */
const predictRequests = new WeakMap<Page, Request[]>();

export function isPredictRequest(request: Request): boolean {
  return request.url().includes("/predict") && request.method() === "POST";
}

/** Starts recording `page`'s POST /predict requests (openPage does this), for waitForPrediction. */
export function trackPredictions(page: Page): void {
  if (predictRequests.has(page)) return;
  const requests: Request[] = [];
  page.on("request", (r) => isPredictRequest(r) && requests.push(r));
  predictRequests.set(page, requests);
}

/** How many /predict requests `page` has sent so far. */
export function predictRequestCount(page: Page): number {
  return predictRequests.get(page)?.length ?? 0;
}

/** Where the answer waitForPrediction waits for is shown, and its class while one is on its way. */
export interface AnswerPlace {
  /** Only requests to this path count (default: any /predict route). */
  path?: string;
  /** The selector that matches while the page waits for an answer. */
  pending?: string;
}

/**
 * The answer to the newest drawing, once the page shows it: waits for a /predict request
 * sent after this call, then until the page has no newer one on its way. The draw page's
 * answer by default; the number pad's with `{ path: "/predict/number", pending:
 * ".number-result.pending" }`.
 */
export async function waitForPrediction<T = Prediction>(
  page: Page,
  { path, pending = ".lab-result.pending" }: AnswerPlace = {},
): Promise<T> {
  const all = predictRequests.get(page);
  assert(all !== undefined, "open the page with openPage, or call trackPredictions");
  const requests = () => path ? all.filter((r) => new URL(r.url()).pathname === path) : all;
  const before = requests().length;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const last = requests().at(-1);
    if (requests().length > before && last !== undefined) {
      const response = await last.response();
      await page.waitForFunction((selector) => !document.querySelector(selector), pending);
      if (requests().at(-1) === last && response !== null) {
        assert(response.status() === 200, `${last.url()} answered ${response.status()}`);
        return await response.json() as T;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no ${path ?? "/predict"} answer within 15 s`);
}

export async function padBox(page: Page) {
  const box = await page.locator("canvas.pad").boundingBox();
  assert(box !== null, "the pad is visible");
  return box;
}

/** Points every few pixels along the polyline, so the pointer moves like a hand. */
export function densify(stroke: [number, number][], side: number): [number, number][] {
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
export async function drawWithMouse(page: Page, strokes: Strokes, expectAnswer = true) {
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
export async function drawWithTouch(page: Page, context: BrowserContext, strokes: Strokes) {
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
export async function screenshot(page: Page, name: string) {
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${outputDir}${name}`, fullPage: true });
}

/** Presses Clear unless the pad is already blank (then the button is aria-disabled). */
export async function clearPad(page: Page) {
  if (await page.getAttribute("#clear", "aria-disabled") !== "true") await page.click("#clear");
}

/** How many pixels of the pad are dark: a direct view of what is drawn. */
export function inkPixels(page: Page): Promise<number> {
  return page.$eval("canvas.pad", (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 128) dark++;
    return dark;
  });
}

export function removeWhere(list: string[], predicate: (item: string) => boolean) {
  for (let i = list.length - 1; i >= 0; i--) if (predicate(list[i])) list.splice(i, 1);
}
