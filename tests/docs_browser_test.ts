/**
 * /docs in a real browser (Debian's Chromium via playwright-core): Swagger UI renders from
 * this process under its Content-Security-Policy, and "try it out" uploads a PNG to /predict.
 * Locally a missing browser skips with a message; under CI=true it fails.
 */
import { chromium } from "playwright-core";
import assert, { deepStrictEqual } from "node:assert/strict";
import { DIGIT_STROKES, drawStrokes, toRgba } from "./helpers/canvas.ts";
import { encodePng } from "./helpers/png_encode.ts";
import { writeTestModels } from "./helpers/test_models.ts";
import { startTestServer } from "./helpers/test_server.ts";

const CHROMIUM = "/usr/bin/chromium";
const inCi = Deno.env.get("CI") === "true";
const hasBrowser = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
if (!hasBrowser && !inCi) {
  console.warn(`docs browser test skipped: no browser at ${CHROMIUM} (apt-get install chromium)`);
}

Deno.test({
  name: "/docs: Swagger UI renders offline and 'try it out' uploads a file to /predict",
  ignore: !hasBrowser && !inCi,
  // Chromium's process and playwright's pipes outlive the test's bookkeeping by design.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!hasBrowser) throw new Error(`no browser at ${CHROMIUM} under CI`);
    const dir = await writeTestModels(["mlp"]);
    const upload = await Deno.makeTempFile({ suffix: ".png" });
    const { data } = toRgba(
      drawStrokes(DIGIT_STROKES["7"], { size: 280, penWidth: 20, box: [50, 40, 180] }),
      "transparent",
    );
    await Deno.writeFile(upload, await encodePng(data as Uint8Array, 280, 280, "rgba"));
    const server = await startTestServer({ modelsDir: dir });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      page.on("pageerror", (e) => problems.push(e.message));
      const offsite: string[] = [];
      page.on("request", (r) => !r.url().startsWith(server.url) && offsite.push(r.url()));

      await page.goto(`${server.url}/docs`);
      await page.waitForSelector(".opblock", { timeout: 15_000 });
      // One block per documented operation.
      const document = await (await fetch(`${server.url}/openapi.json`)).json();
      const operations = Object.values(document.paths as Record<string, object>)
        .reduce((sum, methods) => sum + Object.keys(methods).length, 0);
      deepStrictEqual(await page.locator(".opblock").count(), operations);

      await page.locator(".opblock-summary-path", { hasText: "/predict" }).first().click();
      await page.locator("button.try-out__btn").first().click();
      await page.locator('input[type="file"]').first().setInputFiles(upload);
      const answered = page.waitForResponse((r) => r.url().includes("/predict"));
      await page.locator("button.execute").first().click();
      const response = await answered;
      deepStrictEqual(response.status(), 200);
      const body = await response.json();
      deepStrictEqual(body.probabilities.length, 10);
      await page.waitForSelector(".live-responses-table .response-col_status");

      deepStrictEqual(offsite, [], `requests left the server: ${offsite.join(", ")}`);
      assert(problems.length === 0, `console errors: ${problems.join("; ")}`);
    } finally {
      await browser.close();
      await server.close();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(upload);
    }
  },
});
