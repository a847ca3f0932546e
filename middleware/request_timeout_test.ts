import { Hono } from "hono";
import assert, { deepStrictEqual } from "node:assert/strict";
import { requestTimeout } from "./request_timeout.ts";

function appWith(timeoutMs: number, handlerDelayMs = 0) {
  const app = new Hono();
  const seen: { bodyError?: unknown; bodyText?: string } = {};
  app.use(requestTimeout({ timeoutMs }));
  app.post("/", async (c) => {
    try {
      seen.bodyText = await c.req.raw.text();
    } catch (error) {
      seen.bodyError = error;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, handlerDelayMs));
    return c.text(`got ${seen.bodyText}`);
  });
  // As app.ts's handler does: the abandoned handler's error becomes a response nobody reads.
  app.onError((_error, c) => c.text("failed", 500));
  return { app, seen };
}

/** A body that sends one chunk and then stalls until cancelled; records the cancellation. */
function stallingBody() {
  const state = { cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("partial"));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { body, state };
}

Deno.test("requestTimeout: a request inside the deadline passes with its body intact", async () => {
  const { app } = appWith(1000);
  const response = await app.request("/", { method: "POST", body: "hello" });
  deepStrictEqual(response.status, 200);
  deepStrictEqual(await response.text(), "got hello");
});

Deno.test("requestTimeout: a stalled upload gets 408 at the deadline and is cut off", async () => {
  const { app, seen } = appWith(100);
  const { body, state } = stallingBody();
  const started = performance.now();
  const response = await app.request("/", { method: "POST", body });
  const elapsed = performance.now() - started;
  deepStrictEqual(response.status, 408);
  deepStrictEqual((await response.json()).error, "request_timeout");
  assert(elapsed >= 95 && elapsed < 600, `answered after ${elapsed} ms`);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert(state.cancelled, "the upload was not cancelled");
  assert(seen.bodyError !== undefined, "the handler's read did not fail");
});

Deno.test("requestTimeout: work past the deadline gets 503 with Retry-After", async () => {
  const { app } = appWith(50, 300);
  const started = performance.now();
  const response = await app.request("/", { method: "POST", body: "x" });
  const elapsed = performance.now() - started;
  deepStrictEqual(response.status, 503);
  deepStrictEqual(response.headers.get("retry-after"), "1");
  deepStrictEqual((await response.json()).error, "overloaded");
  assert(elapsed < 250, `answered after ${elapsed} ms, not at the deadline`);
  // Let the abandoned handler finish so the test leaks no timer.
  await new Promise((resolve) => setTimeout(resolve, 300));
});
