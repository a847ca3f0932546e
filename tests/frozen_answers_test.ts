/**
 * The API's answers and every response's headers, frozen before the code-health refactor
 * (issue #12) and compared on every run, so moving code around cannot change what clients see.
 * Timings and per-request ids are left out; everything else must match exactly.
 *
 * The answers in tests/fixtures/frozen_answers.json were written by this file from the code as
 * it was before the refactor (`deno test --allow-all tests/frozen_answers_test.ts -- --update`).
 * Update them only for an intended change of the API, and say so in the commit.
 */
import { deepStrictEqual } from "node:assert/strict";
import { createApp } from "../app.ts";
import { SHIPPED_MODELS_DIR } from "../config.ts";
import { initImageDecoders } from "../inference/image_decode.ts";
import { loadModels } from "../inference/model_registry.ts";
import { buildAssets } from "../web/bundle/build_assets.ts";

const FROZEN = new URL("./fixtures/frozen_answers.json", import.meta.url);
const update = Deno.args.includes("--update");
const png = await Deno.readFile(new URL("./fixtures/drawn-7.png", import.meta.url));

/** Headers that differ per request or per build by design. */
const VOLATILE_HEADERS = new Set(["date", "x-request-id", "content-length", "etag", "vary"]);

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** A 1x784 tensor with a deterministic pattern, for the v2 `infer` route. */
const tensor = Array.from({ length: 784 }, (_, i) => ((i * 37) % 255) / 255 - 0.5);

const REQUESTS: [string, string, RequestInit?][] = [
  ["predict, default model", "/predict", {
    method: "POST",
    body: png,
    headers: { "Content-Type": "image/png" },
  }],
  ["predict, mlp fp32 file via multipart", "/predict?model=mlp", { method: "POST", body: form() }],
  ["predict, not an image", "/predict", {
    method: "POST",
    body: "hello",
    headers: { "Content-Type": "image/png" },
  }],
  ["predict, wrong method", "/predict"],
  ["predict, unknown model", "/predict?model=nope", { method: "POST", body: png }],
  ["models", "/models"],
  ["model_info, default", "/model_info"],
  ["model_info, mlp", "/model_info?model=mlp"],
  ["health", "/health"],
  ["v2 server", "/v2"],
  ["v2 live", "/v2/health/live"],
  ["v2 ready", "/v2/health/ready"],
  ["v2 model", "/v2/models/cnn"],
  ["v2 model ready", "/v2/models/mlp/ready"],
  ["v2 versioned model ready", "/v2/models/mlp/versions/20261126.045231-98.51/ready"],
  ["v2 infer", "/v2/models/mlp/infer", {
    method: "POST",
    body: JSON.stringify({
      id: "frozen",
      inputs: [{ name: "input", datatype: "FP32", shape: [1, 784], data: tensor }],
    }),
    headers: { "Content-Type": "application/json" },
  }],
  ["v2 infer, bad shape", "/v2/models/mlp/infer", {
    method: "POST",
    body: JSON.stringify({ inputs: [{ name: "input", datatype: "FP32", shape: [2], data: [1] }] }),
  }],
  ["openapi", "/openapi.json"],
  ["docs page", "/docs"],
  ["docs init", "/docs/init.js"],
  ["page", "/"],
  ["model card", "/models/cnn"],
  ["model card, unknown", "/models/nope"],
  ["no route", "/nope"],
];

function form(): FormData {
  const data = new FormData();
  data.append("img", new Blob([png], { type: "image/png" }), "seven.png");
  return data;
}

async function answer(response: Response, path: string): Promise<Answer> {
  const headers = Object.fromEntries(
    [...response.headers].filter(([name]) => !VOLATILE_HEADERS.has(name)),
  );
  const type = response.headers.get("content-type") ?? "";
  let body: unknown;
  if (type.startsWith("application/json")) {
    body = await response.json();
    if (path.startsWith("/predict") && typeof body === "object" && body && "timings" in body) {
      // Timings are measurements; keep only which ones are reported.
      const { timings, ...rest } = body as { timings: Record<string, number> };
      body = { ...rest, timings: Object.keys(timings).sort() };
    }
  } else {
    // HTML and scripts: the shape is what matters here, not the bytes (builds hash names).
    body = { bytes: type.startsWith("text/") ? "text" : "binary" };
    await response.body?.cancel();
  }
  return { status: response.status, headers, body };
}

Deno.test("frozen answers: API bodies and every response's headers are as before", async () => {
  await initImageDecoders();
  // A copy of the three models the answers were frozen with: models shipped later do not count.
  const modelsDir = await Deno.makeTempDir({ prefix: "digitlab_frozen_models_" });
  for await (const entry of Deno.readDir(SHIPPED_MODELS_DIR)) {
    if (/^(?:mlp|cnn|cnn-aug)[.-]/.test(entry.name)) {
      await Deno.copyFile(new URL(entry.name, SHIPPED_MODELS_DIR), `${modelsDir}/${entry.name}`);
    }
  }
  const { registry } = await loadModels(new URL(`file://${modelsDir}/`), {
    preferred: "cnn-aug",
    required: false,
  });
  const buildDir = await Deno.makeTempDir({ prefix: "digitlab_frozen_" });
  try {
    await buildAssets({ rootDir: new URL("../", import.meta.url).pathname, outDir: buildDir });
    const app = createApp({
      registry,
      maxBodyBytes: 2 * 1024 * 1024,
      buildDir,
      modelsDir,
    });
    const answers: Record<string, Answer> = {};
    for (const [name, path, init] of REQUESTS) {
      answers[name] = await answer(await app.request(path, init), path);
    }
    // A built asset, found the way a browser finds it: from the page.
    const page = await (await app.request("/")).text();
    const asset = /\/static\/[^"]+\.css/.exec(page)?.[0];
    if (!asset) throw new Error("the page links no stylesheet");
    answers["static asset"] = await answer(await app.request(asset), asset);
    answers["static, missing"] = await answer(await app.request("/static/nope.js"), "");
    // The route labels the requests above were counted under (not the counts: timing buckets).
    const metrics = await (await app.request("/metrics")).text();
    const labels = new Set(
      metrics.split("\n").filter((line) => line.startsWith("digitlab_http_requests_total{"))
        .map((line) => line.replace(/^[^{]*/, "").replace(/ [^ ]+$/, "")),
    );
    answers["metric labels"] = { status: 200, headers: {}, body: [...labels].sort() };

    if (update) {
      await Deno.writeTextFile(FROZEN, JSON.stringify(answers, null, 2) + "\n");
      return;
    }
    const frozen = JSON.parse(await Deno.readTextFile(FROZEN));
    // One request at a time, so a failure names the route.
    for (const name of Object.keys(frozen)) {
      deepStrictEqual(JSON.parse(JSON.stringify(answers[name])), frozen[name], name);
    }
    deepStrictEqual(Object.keys(answers).sort(), Object.keys(frozen).sort());
  } finally {
    await registry.close();
    await Deno.remove(buildDir, { recursive: true });
    await Deno.remove(modelsDir, { recursive: true });
  }
});
