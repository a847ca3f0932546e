import { Hono } from "hono";
import assert, { deepStrictEqual } from "node:assert/strict";
import { methodLabel, type ObservedEnv, observeRequests, routeLabel } from "./observe.ts";
import { ServiceMetrics } from "./service_metrics.ts";

function app(logFormat: "json" | "text" | "none") {
  const lines: string[] = [];
  const metrics = new ServiceMetrics({ models: () => [], queued: () => 0 });
  const hono = new Hono<ObservedEnv>();
  hono.use(observeRequests({ metrics, logFormat, write: (line) => lines.push(line) }));
  hono.post("/predict", (c) => {
    c.set("model", "cnn-aug");
    c.set("batch", { queueMs: 1.23456, inferenceMs: 4.5, batchSize: 7 });
    return c.json({ ok: true });
  });
  hono.get("/boom", () => {
    throw new Error("boom");
  });
  hono.onError((_error, c) => c.json({ error: "internal_error" }, 500));
  return { hono, lines, metrics };
}

Deno.test("observeRequests: one JSON line per request with the model and a request id", async () => {
  const { hono, lines, metrics } = app("json");
  const response = await hono.request("/predict", {
    method: "POST",
    headers: { "x-request-id": "client-42" },
  });
  deepStrictEqual(response.status, 200);
  deepStrictEqual(response.headers.get("x-request-id"), "client-42");
  deepStrictEqual(lines.length, 1);
  const entry = JSON.parse(lines[0]);
  deepStrictEqual(Object.keys(entry).sort(), [
    "batch",
    "inferenceMs",
    "method",
    "model",
    "ms",
    "path",
    "queueMs",
    "requestId",
    "status",
    "time",
  ]);
  // Where the time went, for inference requests: queued, the batch's run, its size.
  deepStrictEqual([entry.queueMs, entry.inferenceMs, entry.batch], [1.235, 4.5, 7]);
  deepStrictEqual([entry.method, entry.path, entry.status, entry.model], [
    "POST",
    "/predict",
    200,
    "cnn-aug",
  ]);
  deepStrictEqual(entry.requestId, "client-42");
  assert(entry.ms >= 0 && !Number.isNaN(Date.parse(entry.time)), "ms and time");
  deepStrictEqual(metrics.requests.get({ route: "/predict", method: "POST", status: "200" }), 1);
});

Deno.test("observeRequests: text lines, fresh ids for insane ones, errors counted as 500", async () => {
  const { hono, lines, metrics } = app("text");
  const response = await hono.request("/boom", { headers: { "x-request-id": 'bad "id"' } });
  deepStrictEqual(response.status, 500);
  const id = response.headers.get("x-request-id")!;
  assert(/^[0-9a-f-]{36}$/.test(id), `a fresh UUID, not the client's: ${id}`);
  deepStrictEqual(lines.length, 1);
  assert(/^\S+Z GET \/boom 500 [\d.]+ms id=[0-9a-f-]{36}$/.test(lines[0]), lines[0]);
  await hono.request("/predict", { method: "POST" });
  assert(
    / POST \/predict 200 [\d.]+ms model=cnn-aug queue=1\.235ms inference=4\.5ms batch=7 id=/
      .test(lines[1]),
    lines[1],
  );
  // Labelled by its declared route (the labels come from the routes, not from a list).
  deepStrictEqual(metrics.requests.get({ route: "/boom", method: "GET", status: "500" }), 1);
});

Deno.test("observeRequests: none logs nothing but still counts", async () => {
  const { hono, lines, metrics } = app("none");
  await hono.request("/predict", { method: "POST" });
  deepStrictEqual(lines, []);
  deepStrictEqual(metrics.requestSeconds.count({ route: "/predict" }), 1);
});

Deno.test("routeLabel: the matched route's path, parameters named, unknown paths one label", async () => {
  const hono = new Hono();
  let label = "";
  hono.use(async (c, next) => {
    await next();
    label = routeLabel(c);
  });
  for (const path of ["/v2/models/:name", "/v2/models/:name/versions/:version/ready"]) {
    hono.get(path, (c) => c.text("ok"));
  }
  hono.get("/models/:name", (c) => c.text("ok"));
  hono.get("/static/*", (c) => c.text("ok"));
  hono.get("/predict", (c) => c.text("ok"));
  const cases: [string, string][] = [
    ["/v2/models/x/versions/3/ready", "/v2/models/{name}/ready"],
    ["/v2/models/x", "/v2/models/{name}"],
    ["/models/cnn", "/models/{name}"],
    ["/static/app-1234.js", "/static/{file}"],
    ["/predict", "/predict"],
    ["/../../etc/passwd", "other"],
    ["/anything-else", "other"],
  ];
  for (const [path, expected] of cases) {
    label = "";
    await hono.request(path);
    deepStrictEqual(label, expected, path);
  }
});

Deno.test("methodLabel: standard methods by name, invented ones as other", () => {
  for (const method of ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]) {
    deepStrictEqual(methodLabel(method), method);
  }
  deepStrictEqual(methodLabel("FOO123"), "other");
  deepStrictEqual(methodLabel("get"), "other");
});
