import { gzipSync } from "node:zlib";
import assert, { deepStrictEqual } from "node:assert/strict";
import type { ModelMetadata } from "../lib/model_metadata.ts";
import { buildAssets } from "../web/bundle/build_assets.ts";
import { pageRoutes, type PageRoutesOptions } from "./pages.ts";

const projectRoot = new URL("../", import.meta.url).pathname;
/** The budget for JavaScript shipped with the draw page. */
const JS_BUDGET_GZIP_BYTES = 15 * 1024;

function metadata(name: string, extra: Partial<ModelMetadata> = {}): ModelMetadata {
  const confusionMatrix = Array.from(
    { length: 10 },
    (_, t) => Array.from({ length: 10 }, (_, p) => (t === p ? 95 + t : t + p === 9 ? 2 : 0)),
  );
  return {
    name,
    version: "1.2.3",
    architecture: ["Conv2D 8 3x3", "Dense 10"],
    parameters: 12345,
    input: {
      name: "input",
      shape: ["N", 1, 28, 28],
      layout: "NCHW",
      normalisation: { mean: 0.1307, std: 0.3081 },
    },
    outputs: [{ name: "logits", shape: ["N", 10] }],
    opset: 13,
    testAccuracy: 0.9876,
    perClassAccuracy: confusionMatrix.map((row, t) => row[t] / row.reduce((a, b) => a + b)),
    confusionMatrix,
    history: [1, 2, 3].map((epoch) => ({
      epoch,
      loss: 0.5 / epoch,
      accuracy: 0.9 + epoch / 100,
      seconds: 10,
      learningRate: 0.001,
    })),
    hyperParameters: {
      epochs: 3,
      batchSize: 64,
      learningRate: 0.001,
      schedule: "cosine",
      optimizer: "adam",
      loss: "categoricalCrossentropy",
      augmentation: false,
      limit: null,
    },
    seed: 1,
    trainingSeconds: 30,
    date: "2026-01-02T03:04:05Z",
    data: { trainCount: 60000, testCount: 10000, sha256: {} },
    tools: { deno: "2.9.6" },
    ...extra,
  };
}

/** The real islands built once into a temporary build dir for this file's tests. */
const buildDir = await Deno.makeTempDir({ prefix: "digitlab_pages_" });
await buildAssets({ rootDir: projectRoot, outDir: buildDir });
const modelsDir = await Deno.makeTempDir({ prefix: "digitlab_models_" });
const SHEET = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
await Deno.writeFile(`${modelsDir}/cnn-aug-augmentations.png`, SHEET);
await Deno.writeTextFile(`${modelsDir}/secret.png`, "not for the web");

function app(overrides: Partial<PageRoutesOptions> = {}) {
  const models = [
    metadata("mlp"),
    metadata("cnn-aug", { augmentationSheet: "cnn-aug-augmentations.png" }),
    metadata("sneaky", { augmentationSheet: "../secret.png" }),
  ];
  return pageRoutes({
    listModels: () => models,
    defaultModel: "cnn-aug",
    modelsDir,
    buildDir,
    ...overrides,
  });
}

function scriptTags(html: string): string[] {
  return [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
}

Deno.test("/ renders the draw page with the island, its props and security headers", async () => {
  const res = await app().request("/");
  deepStrictEqual(res.status, 200);
  assert(res.headers.get("content-type")!.startsWith("text/html"));
  const csp = res.headers.get("content-security-policy")!;
  assert(csp.includes("script-src 'self'") && !csp.includes("unsafe-inline"), csp);
  deepStrictEqual(res.headers.get("x-content-type-options"), "nosniff");
  const html = await res.text();
  assert(html.includes('data-island="digit_lab"'), "island marker");
  const props = html.match(/<script type="application\/json" id="island-0">(.*?)<\/script>/);
  assert(props !== null, "island props");
  const parsed = JSON.parse(props[1]);
  deepStrictEqual(parsed.defaultModel, "cnn-aug");
  deepStrictEqual(parsed.models.map((m: { name: string }) => m.name), ["mlp", "cnn-aug", "sneaky"]);
  assert(html.includes("Draw a digit"), "blank state text");
});

Deno.test("/ has no inline script: every script is external or JSON data", async () => {
  const html = await (await app().request("/")).text();
  const tags = scriptTags(html);
  assert(tags.length >= 2, `scripts: ${tags}`);
  for (const tag of tags) {
    assert(/ src="\/static\//.test(tag) || tag.includes('type="application/json"'), tag);
  }
  assert(!/ style="/.test(html), "inline style attributes break the CSP's style-src");
});

/** The gzip bytes of every script `path` loads (its island and the chunks it preloads). */
async function pageScriptGzipBytes(pages: ReturnType<typeof app>, path: string) {
  const html = await (await pages.request(path)).text();
  const urls = [
    ...html.matchAll(/<script type="module" src="([^"]+)"/g),
    ...html.matchAll(/<link rel="modulepreload" href="([^"]+)"/g),
  ].map((m) => m[1]);
  assert(urls.length > 0, `${path} loads its island`);
  let total = 0;
  for (const url of urls) {
    const res = await pages.request(url);
    deepStrictEqual(res.status, 200, url);
    total += gzipSync(new Uint8Array(await res.arrayBuffer()), { level: 9 }).length;
  }
  return total;
}

Deno.test("the JavaScript / loads fits the 15 KB gzip budget", async () => {
  const total = await pageScriptGzipBytes(app(), "/");
  assert(total <= JS_BUDGET_GZIP_BYTES, `${total} bytes gzip > ${JS_BUDGET_GZIP_BYTES}`);
});

Deno.test("the number page's JavaScript, with its feedback controls, fits the same budget", async () => {
  const total = await pageScriptGzipBytes(app({ feedback: true }), "/number");
  assert(total <= JS_BUDGET_GZIP_BYTES, `${total} bytes gzip > ${JS_BUDGET_GZIP_BYTES}`);
});

Deno.test("island props cannot close their script element", async () => {
  const pages = app({ listModels: () => [metadata("</script><script>alert(1)</script>")] });
  const html = await (await pages.request("/")).text();
  assert(!html.includes("</script><script>alert(1)"), "props escaped");
  const props = html.match(/<script type="application\/json" id="island-0">(.*?)<\/script>/)!;
  deepStrictEqual(JSON.parse(props[1]).models[0].name, "</script><script>alert(1)</script>");
});

Deno.test("the stylesheet and favicon the page links are served", async () => {
  const pages = app();
  const html = await (await pages.request("/")).text();
  const links = [...html.matchAll(/<link rel="(?:stylesheet|icon)" href="([^"]+)"/g)];
  deepStrictEqual(links.length, 2);
  for (const [, href] of links) {
    const res = await pages.request(href);
    deepStrictEqual(res.status, 200, href);
    deepStrictEqual(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    await res.body?.cancel();
  }
});

Deno.test("/models/:name renders the model card", async () => {
  const res = await app().request("/models/mlp");
  deepStrictEqual(res.status, 200);
  const html = await res.text();
  assert(html.includes("98.76%"), "test accuracy");
  assert(html.includes("Confusion matrix"), "confusion matrix section");
  deepStrictEqual((html.match(/class="cm-(hit|miss|zero)"/g) ?? []).length, 100);
  assert(html.includes("Training loss") && html.includes("<path"), "training curves");
  assert(!html.includes("augmentations.png"), "no sheet for a model without one");
  deepStrictEqual(scriptTags(html).length, 0);
});

Deno.test("/models/:name says when the server runs the model's int8 twin", async () => {
  const int8 = {
    file: "cnn.int8.onnx",
    testAccuracy: 0.9871,
    agreementWithFloat: 0.9985,
    quantizedLayers: ["conv"],
    calibration: "test",
  };
  const served = metadata("cnn", { int8, precision: "int8" });
  const pages = app({ listModels: () => [served, metadata("mlp", { precision: "fp32" })] });
  const html = await (await pages.request("/models/cnn")).text();
  assert(html.includes('id="int8-note"'), "int8 note shown");
  assert(html.includes("98.71%") && html.includes("99.85%"), "int8 accuracy and agreement");
  const float = await (await pages.request("/models/mlp")).text();
  assert(!float.includes('id="int8-note"'), "no int8 note for a float model");
});

Deno.test("/models/:name shows and serves the augmentation sheet", async () => {
  const pages = app();
  const html = await (await pages.request("/models/cnn-aug")).text();
  assert(html.includes('src="/models/cnn-aug/augmentations.png"'), "sheet linked");
  // The caption names what training/augment.ts does; nothing there scales a digit.
  assert(!html.includes("scaled") && html.includes("rotated, shifted, warped"), "caption");
  const res = await pages.request("/models/cnn-aug/augmentations.png");
  deepStrictEqual(res.status, 200);
  deepStrictEqual(res.headers.get("content-type"), "image/png");
  deepStrictEqual([...new Uint8Array(await res.arrayBuffer())], [...SHEET]);
});

Deno.test("a sheet name that is a path is never served", async () => {
  const res = await app().request("/models/sneaky/augmentations.png");
  deepStrictEqual(res.status, 404);
  assert(!(await res.text()).includes("not for the web"));
  const mlp = await app().request("/models/mlp/augmentations.png");
  deepStrictEqual(mlp.status, 404);
  await mlp.body?.cancel();
});

Deno.test("an unknown model name gets a 404 page that lists the served models", async () => {
  const res = await app().request("/models/nope");
  deepStrictEqual(res.status, 404);
  const html = await res.text();
  assert(html.includes("There is no model called &quot;nope&quot;"), "explains");
  assert(html.includes('href="/models/cnn-aug"'), "links the served models");
});

Deno.test("without a build the pages still render, without scripts", async () => {
  const empty = await Deno.makeTempDir();
  try {
    const originalWarn = console.warn;
    console.warn = () => {};
    const pages = app({ buildDir: empty });
    console.warn = originalWarn;
    const res = await pages.request("/");
    deepStrictEqual(res.status, 200);
    deepStrictEqual(scriptTags(await res.text()).length, 1, "only the props");
    const asset = await pages.request("/static/anything.js");
    deepStrictEqual(asset.status, 404);
    await asset.body?.cancel();
  } finally {
    await Deno.remove(empty);
  }
});

Deno.test("with no models the draw page says so instead of offering a picker", async () => {
  const html = await (await app({ listModels: () => [] }).request("/")).text();
  assert(html.includes("The server has no models loaded."), "explains");
  assert(!html.includes('<select id="model"'), "no empty picker");
});

Deno.test("the picker starts on the server's default model", async () => {
  const html = await (await app().request("/")).text();
  assert(html.includes('<option selected value="cnn-aug">'), "default selected");
});

Deno.test("/?model=NAME preselects that model; an unknown name falls back", async () => {
  const chosen = await (await app().request("/?model=mlp")).text();
  assert(chosen.includes('<option selected value="mlp">'), "requested model selected");
  const unknown = await (await app().request("/?model=nope")).text();
  assert(unknown.includes('<option selected value="cnn-aug">'), "default selected");
});

Deno.test("cleanup: remove the temporary build and models", async () => {
  await Deno.remove(buildDir, { recursive: true });
  await Deno.remove(modelsDir, { recursive: true });
});
