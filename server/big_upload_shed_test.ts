import { deepStrictEqual, equal } from "node:assert/strict";
import { DecodeLanes } from "../inference/decode_budget.ts";
import { shedBigUploads } from "./big_upload_shed.ts";

const info = (hostname: string) =>
  ({ remoteAddr: { transport: "tcp", hostname, port: 1 } }) as Deno.ServeHandlerInfo<Deno.Addr>;

function shedWith(lanes: DecodeLanes) {
  let reachedApp = 0;
  const shed: string[] = [];
  const handler = shedBigUploads(() => {
    reachedApp++;
    return new Response("app");
  }, {
    bigLane: lanes.big,
    clientOf: (_request, info) => (info.remoteAddr as Deno.NetAddr).hostname,
    paths: ["/predict", "/predict/number"],
    minBytes: 1000,
    onShed: (path) => shed.push(path),
  });
  return { handler, reachedApp: () => reachedApp, shed };
}

const upload = (path: string, bytes: number, method = "POST") =>
  new Request(`http://digitlab.test${path}`, {
    method,
    headers: { "content-length": String(bytes) },
  });

Deno.test("shedBigUploads: a big upload from a client whose big lane is full gets 503 before the app", async () => {
  const lanes = new DecodeLanes({ bytes: 192 * 2 ** 20 });
  const { handler, reachedApp, shed } = shedWith(lanes);
  const release = lanes.big.reserve(lanes.big.bytes, "203.0.113.7")!;
  for (const path of ["/predict", "/predict/number", "/predict?model=cnn"]) {
    const response = await handler(upload(path, 150_000), info("203.0.113.7"));
    equal(response.status, 503, path);
    equal(response.headers.get("retry-after"), "1");
    equal(response.headers.get("content-type"), "application/json");
    deepStrictEqual((await response.json()).error, "overloaded");
  }
  equal(reachedApp(), 0);
  deepStrictEqual(shed, ["/predict", "/predict/number", "/predict"], "counted in the metrics");
  release();
  equal((await handler(upload("/predict", 150_000), info("203.0.113.7"))).status, 200);
});

Deno.test("shedBigUploads: drawings, other routes, other methods and other clients reach the app", async () => {
  const lanes = new DecodeLanes({ bytes: 192 * 2 ** 20 });
  const { handler, reachedApp } = shedWith(lanes);
  // The client holds half the lane: its share, so nothing big of its own fits; others' does.
  lanes.big.reserve(lanes.big.bytes / 2, "203.0.113.7");
  const passes: [Request, string][] = [
    [upload("/predict", 999), "203.0.113.7"],
    [upload("/feedback", 150_000), "203.0.113.7"],
    [upload("/predict/numbers", 150_000), "203.0.113.7"],
    [upload("/predict", 150_000, "PUT"), "203.0.113.7"],
    [new Request("http://digitlab.test/predict", { method: "POST" }), "203.0.113.7"],
    [upload("/predict", 150_000), "198.51.100.1"],
  ];
  for (const [request, client] of passes) {
    const response = await handler(request, info(client));
    equal(response.status, 200, `${request.method} ${request.url} from ${client}`);
  }
  equal(reachedApp(), passes.length);
  equal((await handler(upload("/predict", 150_000), info("203.0.113.7"))).status, 503);
});
