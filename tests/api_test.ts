/**
 * End-to-end tests of the JSON API over HTTP: every route, every input form, every error
 * status the issue lists, headers and docs. Untrained models (tests/helpers/test_models.ts)
 * make the answers arbitrary but well-formed; accuracy is tests/accuracy_test.ts's job.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { openSqliteStore } from "../feedback/sqlite_store.ts";
import { DIGIT_STROKES, drawStrokes, toRgba } from "./helpers/canvas.ts";
import { encodePng } from "./helpers/png_encode.ts";
import { writeTestModels } from "./helpers/test_models.ts";
import { startTestServer, type TestServer } from "./helpers/test_server.ts";

const modelsDir = await writeTestModels(["mlp", "cnn"], (name) => name === "cnn" ? 0.6 : 0.5);
const emptyDir = await Deno.makeTempDir({ prefix: "digitlab-empty-" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(modelsDir, { recursive: true });
  Deno.removeSync(emptyDir, { recursive: true });
});

const BODY_LIMIT = 256 * 1024;

async function withServer(
  fn: (server: TestServer) => Promise<void>,
  dir = modelsDir,
): Promise<void> {
  const server = await startTestServer({ modelsDir: dir, maxBodyBytes: BODY_LIMIT });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** A 7 drawn on a 280x280 transparent canvas, as the web UI sends it. */
const canvasPng = await (async () => {
  const { data } = toRgba(
    drawStrokes(DIGIT_STROKES["7"], { size: 280, penWidth: 20, box: [50, 40, 180] }),
    "transparent",
  );
  return await encodePng(data as Uint8Array, 280, 280, "rgba");
})();
const jpeg = await Deno.readFile(new URL("./fixtures/seven-colour.jpg", import.meta.url));

function multipart(bytes: Uint8Array, field = "img", type = "image/png"): FormData {
  const form = new FormData();
  form.append(field, new Blob([bytes as BlobPart], { type }), "image.png");
  return form;
}

async function post(server: TestServer, body: BodyInit, headers: HeadersInit = {}, query = "") {
  const response = await fetch(`${server.url}/predict${query}`, {
    method: "POST",
    body,
    headers,
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

function base64(bytes: Uint8Array): string {
  return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
}

function assertPrediction(body: Record<string, unknown>, model: string): void {
  const p = body as {
    result: number;
    probabilities: number[];
    model: string;
    top3: { digit: number; probability: number }[];
    confident: boolean;
    runnerUp: { digit: number; probability: number };
    reason?: string;
    input: number[];
    timings: Record<string, number>;
  };
  assert(Number.isInteger(p.result) && p.result >= 0 && p.result <= 9, `result ${p.result}`);
  deepStrictEqual(p.probabilities.length, 10);
  const sum = p.probabilities.reduce((a, b) => a + b, 0);
  assert(Math.abs(sum - 1) < 1e-4, `probabilities sum to ${sum}`);
  deepStrictEqual(p.model, model);
  deepStrictEqual(p.top3.length, 3);
  deepStrictEqual(p.top3[0].digit, p.result);
  deepStrictEqual(p.top3[0].probability, Math.max(...p.probabilities));
  assert(p.top3[0].probability >= p.top3[1].probability, "top3 not sorted");
  deepStrictEqual(p.top3[1].probability, p.probabilities[p.top3[1].digit]);
  deepStrictEqual(p.runnerUp, p.top3[1]);
  deepStrictEqual(typeof p.confident, "boolean");
  // A reason exactly when the answer is not confident.
  deepStrictEqual(typeof p.reason === "string" && p.reason.length > 0, !p.confident);
  deepStrictEqual(p.input.length, 784);
  assert(p.input.every((v) => v >= 0 && v <= 1), "input outside 0..1");
  assert(Math.max(...p.input) === 1, "the input's strongest ink should be 1");
  for (const key of ["decodeMs", "preprocessMs", "queueMs", "inferenceMs", "totalMs"]) {
    assert(typeof p.timings[key] === "number" && p.timings[key] >= 0, `timings.${key}`);
  }
  assert(p.timings.totalMs >= p.timings.queueMs + p.timings.inferenceMs, "total too short");
}

Deno.test("POST /predict accepts multipart, raw PNG/JPEG, base64 JSON and data URLs", async () => {
  await withServer(async (server) => {
    const forms: [string, () => Promise<{ status: number; body: Record<string, unknown> }>][] = [
      ["multipart img", () => post(server, multipart(canvasPng))],
      ["raw png", () => post(server, canvasPng, { "Content-Type": "image/png" })],
      ["raw jpeg", () => post(server, jpeg, { "Content-Type": "image/jpeg" })],
      [
        "octet-stream",
        () => post(server, canvasPng, { "Content-Type": "application/octet-stream" }),
      ],
      ["json base64", () =>
        post(server, JSON.stringify({ image: base64(canvasPng) }), {
          "Content-Type": "application/json",
        })],
      [
        "json data URL",
        () =>
          post(server, JSON.stringify({ image: `data:image/png;base64,${base64(canvasPng)}` }), {
            "Content-Type": "application/json; charset=utf-8",
          }),
      ],
    ];
    const results: number[][] = [];
    for (const [name, send] of forms) {
      const { status, body } = await send();
      deepStrictEqual(status, 200, `${name}: ${JSON.stringify(body)}`);
      assertPrediction(body, "cnn");
      if (name !== "raw jpeg") results.push(body.probabilities as number[]);
    }
    // The same PNG sent four ways gives the same answer.
    for (const r of results) deepStrictEqual(r, results[0]);
  });
});

Deno.test("POST /predict?model= picks the model; unknown models are 404", async () => {
  await withServer(async (server) => {
    const mlp = await post(server, canvasPng, { "Content-Type": "image/png" }, "?model=mlp");
    deepStrictEqual(mlp.status, 200);
    assertPrediction(mlp.body, "mlp");
    const unknown = await post(server, canvasPng, { "Content-Type": "image/png" }, "?model=nope");
    deepStrictEqual(unknown.status, 404);
    deepStrictEqual(unknown.body.error, "unknown_model");
    const traversal = await post(
      server,
      canvasPng,
      { "Content-Type": "image/png" },
      "?model=../models/mlp",
    );
    deepStrictEqual(traversal.status, 404);
  });
});

Deno.test("POST /predict: 400 for malformed multipart, missing fields, bad JSON or base64", async () => {
  await withServer(async (server) => {
    const cases: [string, BodyInit, HeadersInit, string][] = [
      ["garbage multipart", "not multipart at all", {
        "Content-Type": "multipart/form-data; boundary=xyz",
      }, "malformed_multipart"],
      ["multipart without boundary", "--x\r\n", {
        "Content-Type": "multipart/form-data",
      }, "malformed_multipart"],
      ["no img field", multipart(canvasPng, "image"), {}, "missing_field"],
      [
        "img as text",
        (() => {
          const form = new FormData();
          form.append("img", "hello");
          return form;
        })(),
        {},
        "missing_field",
      ],
      [
        "two img fields",
        (() => {
          const form = multipart(canvasPng);
          form.append("img", new Blob([canvasPng as BlobPart]), "second.png");
          return form;
        })(),
        {},
        "missing_field",
      ],
      ["empty raw body", new Uint8Array(0), { "Content-Type": "image/png" }, "missing_field"],
      ["bad json", "{image:", { "Content-Type": "application/json" }, "bad_json"],
      [
        "json without image",
        '{"img": "x"}',
        { "Content-Type": "application/json" },
        "missing_field",
      ],
      ["json null", "null", { "Content-Type": "application/json" }, "missing_field"],
      [
        "json image not a string",
        '{"image": 7}',
        { "Content-Type": "application/json" },
        "missing_field",
      ],
      ["bad base64", '{"image": "***"}', { "Content-Type": "application/json" }, "bad_base64"],
      ["data URL not base64", '{"image": "data:image/png,abc"}', {
        "Content-Type": "application/json",
      }, "bad_base64"],
    ];
    for (const [name, body, headers, code] of cases) {
      const response = await post(server, body, headers);
      deepStrictEqual(response.status, 400, `${name}: ${JSON.stringify(response.body)}`);
      deepStrictEqual(response.body.error, code, name);
      assert(typeof response.body.message === "string" && response.body.message.length > 5, name);
    }
  });
});

Deno.test("POST /predict: 413 for a body over the limit, declared or streamed", async () => {
  await withServer(async (server) => {
    const big = new Uint8Array(BODY_LIMIT + 1);
    big.set(canvasPng);
    const declared = await post(server, big, { "Content-Type": "image/png" });
    deepStrictEqual(declared.status, 413);
    deepStrictEqual(declared.body.error, "payload_too_large");
    // No Content-Length: the limit must hold while the body streams in.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(BODY_LIMIT / 4));
        controller.close();
      },
    });
    const streamed = await post(server, stream, { "Content-Type": "image/png" });
    deepStrictEqual(streamed.status, 413);
    const form = await post(server, multipart(big));
    deepStrictEqual(form.status, 413);
  });
});

Deno.test("POST /predict: 415 for what is not a PNG or JPEG", async () => {
  await withServer(async (server) => {
    const text = new TextEncoder().encode("hello, I am a text file");
    const gif = new TextEncoder().encode("GIF89a\x01\x00\x01\x00\x00\x00\x00;");
    const cases: [string, BodyInit, HeadersInit][] = [
      ["text sent as png", text, { "Content-Type": "image/png" }],
      ["text in multipart", multipart(text, "img", "image/png"), {}],
      ["gif", gif, { "Content-Type": "image/gif" }],
      ["gif as png", gif, { "Content-Type": "image/png" }],
      ["text/plain body", "abc", { "Content-Type": "text/plain" }],
      ["base64 of text", JSON.stringify({ image: base64(text) }), {
        "Content-Type": "application/json",
      }],
    ];
    for (const [name, body, headers] of cases) {
      const response = await post(server, body, headers);
      deepStrictEqual(response.status, 415, `${name}: ${JSON.stringify(response.body)}`);
      deepStrictEqual(response.body.error, "unsupported_media_type", name);
    }
  });
});

Deno.test("POST /predict: 422 for truncated images, bombs and blank drawings", async () => {
  await withServer(async (server) => {
    const blank = await encodePng(new Uint8Array(280 * 280 * 4), 280, 280, "rgba");
    const white = await encodePng(new Uint8Array(100 * 100).fill(255), 100, 100, "grey");
    const bomb = await encodePng(new Uint8Array(5000 * 5000), 5000, 5000, "grey");
    assert(bomb.length < BODY_LIMIT, "the bomb must fit the body limit to reach the decoder");
    const cases: [string, Uint8Array, string][] = [
      ["truncated png", canvasPng.subarray(0, canvasPng.length / 2), "undecodable_image"],
      ["truncated jpeg", jpeg.subarray(0, 300), "undecodable_image"],
      ["png header only", canvasPng.subarray(0, 30), "undecodable_image"],
      ["blank canvas", blank, "no_digit_found"],
      ["white paper", white, "no_digit_found"],
      ["5000x5000 bomb", bomb, "image_too_large"],
    ];
    for (const [name, bytes, code] of cases) {
      const response = await post(server, multipart(bytes));
      deepStrictEqual(response.status, 422, `${name}: ${JSON.stringify(response.body)}`);
      deepStrictEqual(response.body.error, code, name);
    }
  });
});

Deno.test("GET /predict is 405 with Allow; unknown routes are JSON 404", async () => {
  await withServer(async (server) => {
    const get = await fetch(`${server.url}/predict`);
    deepStrictEqual(get.status, 405);
    deepStrictEqual(get.headers.get("allow"), "POST");
    deepStrictEqual((await get.json()).error, "method_not_allowed");
    const missing = await fetch(`${server.url}/no/such/route`);
    deepStrictEqual(missing.status, 404);
    deepStrictEqual((await missing.json()).error, "not_found");
  });
});

Deno.test("GET /models lists the served models with the default first", async () => {
  await withServer(async (server) => {
    const body = await (await fetch(`${server.url}/models`)).json();
    // cnn-aug is absent, so the most accurate model (cnn, 0.6) is the default.
    deepStrictEqual(body.default, "cnn");
    deepStrictEqual(body.models.map((m: { name: string }) => m.name), ["cnn", "mlp"]);
    deepStrictEqual(Object.keys(body.models[0]).sort(), [
      "architecture",
      "name",
      "parameters",
      "precision",
      "testAccuracy",
      "version",
    ]);
    deepStrictEqual(body.models[0].testAccuracy, 0.6);
  });
});

Deno.test("GET /model_info has the tutorial's keys and the metadata", async () => {
  await withServer(async (server) => {
    const body = await (await fetch(`${server.url}/model_info?model=mlp`)).json();
    deepStrictEqual(body.input_shape, [1, 28, 28]);
    deepStrictEqual(body.output_classes, 10);
    assert(typeof body.model_type === "string" && body.model_type.includes("MLP"));
    deepStrictEqual(body.name, "mlp");
    deepStrictEqual(body.metadata.name, "mlp");
    deepStrictEqual(body.metadata.perClassAccuracy.length, 10);
    const byDefault = await (await fetch(`${server.url}/model_info`)).json();
    deepStrictEqual(byDefault.name, "cnn");
    const unknown = await fetch(`${server.url}/model_info?model=zzz`);
    deepStrictEqual(unknown.status, 404);
    deepStrictEqual((await unknown.json()).error, "unknown_model");
  });
});

Deno.test("GET /health is healthy with the models' versions", async () => {
  await withServer(async (server) => {
    const response = await fetch(`${server.url}/health`);
    const body = await response.json();
    deepStrictEqual(response.status, 200);
    deepStrictEqual(body.status, "healthy");
    deepStrictEqual(body.models, [
      { name: "cnn", version: "0.0.0-test", precision: "fp32" },
      { name: "mlp", version: "0.0.0-test", precision: "fp32" },
    ]);
  });
});

Deno.test("without models: /health is 503 and /predict says why", async () => {
  await withServer(async (server) => {
    const health = await fetch(`${server.url}/health`);
    const body = await health.json();
    deepStrictEqual(health.status, 503);
    deepStrictEqual(body.status, "unhealthy");
    const predict = await post(server, multipart(canvasPng));
    deepStrictEqual(predict.status, 503);
    deepStrictEqual(predict.body.error, "no_models");
    assert(String(predict.body.message).includes("--models"), predict.body.message);
    const models = await (await fetch(`${server.url}/models`)).json();
    deepStrictEqual(models, { default: null, models: [] });
  }, emptyDir);
});

Deno.test("security headers on JSON and HTML; /docs has its own policy", async () => {
  await withServer(async (server) => {
    const json = await fetch(`${server.url}/health`);
    await json.body?.cancel();
    deepStrictEqual(json.headers.get("x-content-type-options"), "nosniff");
    deepStrictEqual(json.headers.get("x-frame-options"), "DENY");
    assert(json.headers.get("content-security-policy")?.includes("default-src 'none'"));
    const docs = await fetch(`${server.url}/docs`);
    await docs.body?.cancel();
    const policy = docs.headers.get("content-security-policy") ?? "";
    assert(policy.includes("script-src 'self'") && !policy.includes("unsafe-eval"), policy);
    const page = await fetch(`${server.url}/`);
    await page.body?.cancel();
    assert(page.headers.get("content-security-policy")?.includes("script-src 'self'"));
  });
});

Deno.test("/docs serves Swagger UI from this process, and /openapi.json documents every route", async () => {
  // With a feedback store, so its routes are served too.
  const store = openSqliteStore({ path: ":memory:", maxExamples: 10 });
  const withFeedback = async (fn: (server: TestServer) => Promise<void>) => {
    const feedback = { store, adminToken: null };
    const server = await startTestServer({ modelsDir, maxBodyBytes: BODY_LIMIT, feedback });
    try {
      await fn(server);
    } finally {
      await server.close();
      await store.close();
    }
  };
  await withFeedback(async (server) => {
    const html = await (await fetch(`${server.url}/docs`)).text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])
      .filter((source) => !source.startsWith("data:")); // the empty favicon
    assert(sources.length >= 3, `docs page loads ${sources}`);
    for (const source of sources) {
      assert(source.startsWith("/"), `/docs loads ${source} from elsewhere`);
      const asset = await fetch(`${server.url}${source}`);
      const text = await asset.text();
      deepStrictEqual(asset.status, 200, source);
      assert(text.length > 50, `${source} is nearly empty`);
    }
    // Names an object has from its prototype are not files.
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty", "nothing.js"]) {
      const missing = await fetch(`${server.url}/docs/${name}`);
      deepStrictEqual(missing.status, 404, name);
      deepStrictEqual((await missing.json()).error, "not_found");
    }
    const spec = await (await fetch(`${server.url}/openapi.json`)).json();
    deepStrictEqual(spec.openapi, "3.1.0");
    deepStrictEqual(Object.keys(spec.paths).sort(), [
      "/feedback",
      "/feedback/export",
      "/feedback/{id}",
      "/feedback/{id}/image",
      "/health",
      "/metrics",
      "/model_info",
      "/models",
      "/predict",
      "/predict/number",
      "/v2",
      "/v2/health/live",
      "/v2/health/ready",
      "/v2/models/{name}",
      "/v2/models/{name}/infer",
      "/v2/models/{name}/ready",
    ]);
    // "Try it out" with a file upload needs a multipart schema with a binary img field.
    const upload = spec.paths["/predict"].post.requestBody.content["multipart/form-data"];
    deepStrictEqual(upload.schema.properties.img, { type: "string", format: "binary" });
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const method of Object.keys(methods as object)) {
        const url = `${server.url}${path.replace("{name}", "mlp").replace("{id}", "x")}`;
        const response = await fetch(url, { method: method.toUpperCase() });
        await response.body?.cancel();
        assert(response.status !== 404, `${method} ${path} is documented but not served`);
      }
    }
  });
});
