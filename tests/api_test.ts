/**
 * End-to-end tests of the JSON API over HTTP besides /predict's inputs (tests/predict_api_test.ts):
 * models, model info, health, headers and docs.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { openSqliteStore } from "../feedback/sqlite_store.ts";
import {
  BODY_LIMIT,
  canvasPng,
  emptyDir,
  modelsDir,
  multipart,
  post,
  withServer,
} from "./helpers/api_fixture.ts";
import { startTestServer, type TestServer } from "./helpers/test_server.ts";

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
