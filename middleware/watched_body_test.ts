import assert, { deepStrictEqual } from "node:assert/strict";
import { DigitlabError } from "../lib/errors.ts";
import { watchBody } from "./watched_body.ts";

const post = (body: BodyInit) => new Request("http://x/", { method: "POST", body });

Deno.test("watchBody: the body passes through intact and is reported complete", async () => {
  const watched = watchBody(post("hello"));
  assert(!watched.complete());
  deepStrictEqual(await watched.request.text(), "hello");
  await watched.arrived;
  assert(watched.complete());
});

Deno.test("watchBody: a body lost part-way fails the reader with a client error", async () => {
  const broken = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(new Error("BadResource: connection gone"));
    },
  });
  const watched = watchBody(post(broken));
  const error = await watched.request.arrayBuffer().then(() => null, (e) => e);
  assert(error instanceof DigitlabError, `got ${error}`);
  deepStrictEqual(error.status, 400);
  await watched.arrived;
  assert(!watched.complete());
});

Deno.test("watchBody: cutOff fails the reader with the given error and cancels the upload", async () => {
  let cancelled = false;
  const stalled = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array([1, 2, 3]));
    },
    cancel() {
      cancelled = true;
    },
  });
  const watched = watchBody(post(stalled));
  const reading = watched.request.arrayBuffer().then(() => null, (e) => e);
  await new Promise((resolve) => setTimeout(resolve, 10));
  watched.cutOff(new DigitlabError("request_timeout", "too slow"));
  const error = await reading;
  assert(error instanceof DigitlabError && error.code === "request_timeout", `got ${error}`);
  await watched.arrived;
  assert(cancelled, "the upload was not cancelled");
});

Deno.test("watchBody: a request without a body is complete at once", async () => {
  const watched = watchBody(new Request("http://x/"));
  assert(watched.complete());
  await watched.arrived;
});
