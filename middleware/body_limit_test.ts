import { deepStrictEqual, equal } from "node:assert/strict";
import { Hono } from "hono";
import { DigitlabError } from "../lib/errors.ts";
import { limitBody } from "./body_limit.ts";

/** An app whose handler reads the body as `read` does; errors become `{status, error}`. */
function appReading(read: (request: Request) => Promise<string>, maxBytes = 10) {
  const app = new Hono();
  app.post("/", limitBody(maxBytes), async (c) => c.text(await read(c.req.raw)));
  app.onError((error, c) =>
    error instanceof DigitlabError
      ? c.json({ error: error.code }, error.status as 413)
      : c.json({ error: String(error) }, 500)
  );
  return app;
}

/** A body without a length (sent chunked), in `pieces`; counts the pieces pulled from it. */
function piecewise(pieces: string[]) {
  const state = { pulled: 0 };
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled === pieces.length) return controller.close();
      controller.enqueue(encoder.encode(pieces[state.pulled++]));
    },
  }, { highWaterMark: 0 });
  return { body, state };
}

const readText = (request: Request) => request.text();

Deno.test("limitBody: a declared length over the limit is refused before the body is read", async () => {
  const { body, state } = piecewise(["0123456789ab"]);
  const response = await appReading(readText).request("/", {
    method: "POST",
    body,
    headers: { "content-length": "12" },
  });
  equal(response.status, 413);
  deepStrictEqual(await response.json(), { error: "payload_too_large" });
  equal(state.pulled, 0);
});

Deno.test("limitBody: bodies without a length within the limit arrive whole", async () => {
  for (const pieces of [["0123456789"], ["01", "2345", "6789"], []]) {
    const { body } = piecewise(pieces);
    const response = await appReading(readText).request("/", { method: "POST", body });
    equal(response.status, 200, pieces.join("|"));
    equal(await response.text(), pieces.join(""));
  }
});

Deno.test("limitBody: a body without a length is refused once past the limit, the rest unread", async () => {
  const { body, state } = piecewise(["0123", "4567", "89ab", "cdef", "ghij"]);
  const response = await appReading(readText).request("/", { method: "POST", body });
  equal(response.status, 413);
  deepStrictEqual(await response.json(), { error: "payload_too_large" });
  equal(state.pulled, 3, "stopped at the piece that went past the limit");
});

Deno.test("limitBody: a handler reading piece by piece sees the first before the rest arrives", async () => {
  const { body, state } = piecewise(["head", "rest", "more"]);
  let pulledAtFirst = -1;
  const app = appReading(async (request) => {
    const reader = request.body!.getReader();
    await reader.read();
    pulledAtFirst = state.pulled;
    await reader.cancel();
    return "seen the head";
  });
  const response = await app.request("/", { method: "POST", body });
  equal(await response.text(), "seen the head");
  equal(pulledAtFirst, 1);
});
