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

/** A body of `count` chunks of `size` bytes each. */
function chunkedBody(count: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ === count) controller.close();
      else controller.enqueue(new Uint8Array(size).fill(65));
    },
  });
}

Deno.test("watchBody: a body of many tiny pieces is refused; the same bytes in larger ones pass", async () => {
  const fragmented = watchBody(post(chunkedBody(100_000, 1)));
  const error = await fragmented.request.arrayBuffer().then(() => null, (e) => e);
  assert(error instanceof DigitlabError && error.status === 400, `got ${error}`);
  assert(/pieces/.test(error.message), error.message);
  await fragmented.arrived;

  const ordinary = watchBody(post(chunkedBody(1_000, 1_400)));
  deepStrictEqual((await ordinary.request.arrayBuffer()).byteLength, 1_400_000);
  assert(ordinary.complete());
});

Deno.test("watchBody: timers run while a body that is already buffered is read", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    // Every read resolves at once: without yields this is one long chain of microtasks.
    const watched = watchBody(post(chunkedBody(20_000, 512)));
    await watched.request.arrayBuffer();
    assert(ticks > 10, `only ${ticks} timer ticks while 20,000 chunks were read`);
  } finally {
    clearInterval(timer);
  }
});
