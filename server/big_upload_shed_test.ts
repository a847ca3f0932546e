import { deepStrictEqual, equal } from "node:assert/strict";
import { DecodeLanes } from "../inference/decode_budget.ts";
import { BigUploadShed } from "./big_upload_shed.ts";

const info = (hostname: string) =>
  ({ remoteAddr: { transport: "tcp", hostname, port: 1 } }) as Deno.ServeHandlerInfo<Deno.Addr>;

function shedWith(lanes: DecodeLanes) {
  let reachedApp = 0;
  const shed: string[] = [];
  const bigUploadShed = new BigUploadShed({
    bigLane: lanes.big,
    paths: ["/predict", "/predict/number"],
    minBytes: 1000,
    trustProxy: false,
    onShed: (path) => shed.push(path),
  });
  const handler = bigUploadShed.handler(() => {
    reachedApp++;
    return new Response("app");
  });
  return {
    handler,
    atHead: bigUploadShed.atHead.bind(bigUploadShed),
    reachedApp: () => reachedApp,
    shed,
  };
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

const peer = (hostname: string): Deno.NetAddr => ({ transport: "tcp", hostname, port: 1 });
const head = (text: string) => new TextEncoder().encode(text);

Deno.test("BigUploadShed.atHead: the relay answers a big upload's first piece itself when the lane is full", () => {
  const lanes = new DecodeLanes({ bytes: 192 * 2 ** 20 });
  const { atHead, shed } = shedWith(lanes);
  const request = "POST /predict?model=cnn HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n" +
    "Content-Length: 150000\r\n\r\n";
  const first = head(request + "x".repeat(100));
  equal(atHead(first, peer("203.0.113.7")), null, "nothing held: relayed");
  lanes.big.reserve(lanes.big.bytes, "203.0.113.7");
  const answer = atHead(first, peer("203.0.113.7"))!;
  equal(answer.bodyLeft, 150_000 - 100);
  const text = new TextDecoder().decode(answer.response);
  equal(text.split("\r\n")[0], "HTTP/1.1 503 Service Unavailable");
  const [fields, body] = text.split("\r\n\r\n");
  equal(/\r\nconnection: close\r\n/.test(fields + "\r\n"), true);
  equal(/\r\nretry-after: 1\r\n/.test(fields + "\r\n"), true);
  equal(Number(/content-length: (\d+)/.exec(fields)![1]), body.length);
  equal(JSON.parse(body).error, "overloaded");
  deepStrictEqual(shed, ["/predict"]);
});

Deno.test("BigUploadShed.atHead: anything unusual or small is relayed to the runtime", () => {
  const lanes = new DecodeLanes({ bytes: 192 * 2 ** 20 });
  const { atHead } = shedWith(lanes);
  // The client holds its share: nothing big of its own fits; another client's does.
  lanes.big.reserve(lanes.big.bytes / 2, "203.0.113.7");
  const relayed = [
    "POST /predict HTTP/1.1\r\nContent-Length: 150000\r\n", // head not whole yet
    "POST /predict HTTP/1.1\r\nContent-Length: 999\r\n\r\n", // a drawing
    "POST /feedback HTTP/1.1\r\nContent-Length: 150000\r\n\r\n",
    "PUT /predict HTTP/1.1\r\nContent-Length: 150000\r\n\r\n",
    "POST /predict HTTP/1.0\r\nContent-Length: 150000\r\n\r\n",
    "POST /predict HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 150000\r\n\r\n",
    "POST /predict HTTP/1.1\r\nContent-Length: 150000\r\nContent-Length: 150000\r\n\r\n",
    "POST /predict HTTP/1.1\r\nContent-Length: 15e4\r\n\r\n",
    "POST /predict HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 150000\r\n\r\n",
    "POST /predict HTTP/1.1\r\n folded\r\nContent-Length: 150000\r\n\r\n",
  ];
  for (const text of relayed) equal(atHead(head(text), peer("203.0.113.7")), null, text);
  const big = "POST /predict HTTP/1.1\r\nContent-Length: 150000\r\n\r\n";
  equal(atHead(head(big), peer("198.51.100.1")), null, "another client");
  equal(atHead(head(big), peer("203.0.113.7"))?.bodyLeft, 150_000);
});
