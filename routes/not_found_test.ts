import assert, { deepStrictEqual } from "node:assert/strict";
import { createApp } from "../app.ts";
import { loadModels } from "../inference/model_registry.ts";

const BROWSER_ACCEPT =
  "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

async function app() {
  const empty = await Deno.makeTempDir({ prefix: "digitlab_not_found_" });
  const { registry } = await loadModels(new URL(`file://${empty}/`), {
    preferred: "cnn-aug",
    required: false,
  });
  // No UI build: the page renders without styles, which is all these tests need.
  return createApp({ registry, maxBodyBytes: 1024, buildDir: `${empty}/no-build` });
}

Deno.test("a browser on an unknown path gets an HTML 404 page in the app's layout", async () => {
  const response = await (await app()).request("/nope", { headers: { Accept: BROWSER_ACCEPT } });
  deepStrictEqual(response.status, 404);
  assert(response.headers.get("content-type")!.startsWith("text/html"));
  const html = await response.text();
  assert(html.includes("There is no page at /nope."), html);
  assert(html.includes('class="site-header"'), "the app's header, with its way back");
  assert(html.includes('<a href="/">Back to drawing</a>'), html);
  assert(response.headers.get("content-security-policy")!.includes("script-src 'self'"));
});

Deno.test("API clients on an unknown path keep the JSON error", async () => {
  const served = await app();
  for (const accept of [null, "*/*", "application/json", "application/json, text/html;q=0.5"]) {
    const headers: Record<string, string> = accept === null ? {} : { Accept: accept };
    const response = await served.request("/nope", { headers });
    deepStrictEqual(response.status, 404, `Accept: ${accept}`);
    deepStrictEqual((await response.json()).error, "not_found", `Accept: ${accept}`);
  }
  const posted = await served.request("/nope", {
    method: "POST",
    headers: { Accept: BROWSER_ACCEPT },
  });
  deepStrictEqual(posted.status, 404);
  deepStrictEqual((await posted.json()).error, "not_found", "only page loads (GET) get a page");
});

Deno.test("the not-found page leaves every route its own metric label", async () => {
  const served = await app();
  await served.request("/nope", { headers: { Accept: BROWSER_ACCEPT } });
  await served.request("/health", { headers: { Accept: BROWSER_ACCEPT } });
  const metrics = await (await served.request("/metrics")).text();
  const routes = new Set(
    [...metrics.matchAll(/^digitlab_http_requests_total\{[^}]*route="([^"]*)"/gm)].map((m) => m[1]),
  );
  assert(routes.has("/health") && routes.has("other"), `labels: ${[...routes]}`);
});
