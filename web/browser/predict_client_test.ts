import assert, { deepStrictEqual } from "node:assert/strict";
import {
  isAbort,
  parseRetryAfter,
  PredictError,
  requestPrediction,
  UNREACHABLE_MESSAGE,
} from "./predict_client.ts";

const png = new Blob([new Uint8Array([137, 80, 78, 71])], { type: "image/png" });

function prediction(model: string) {
  const probabilities = Array.from({ length: 10 }, (_, i) => (i === 7 ? 0.91 : 0.01));
  return {
    result: 7,
    probabilities,
    model,
    top3: [{ digit: 7, probability: 0.91 }],
    input: new Array(784).fill(0),
    timings: { decodeMs: 1, preprocessMs: 1, queueMs: 0, inferenceMs: 1, totalMs: 3 },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

Deno.test("requestPrediction posts the PNG to /predict with the model in the query", async () => {
  let seen: Request | undefined;
  const fakeFetch: typeof fetch = (input, init) => {
    seen = new Request(new URL(String(input), "http://digitlab.test"), init);
    return Promise.resolve(Response.json(prediction("cnn-aug")));
  };
  const result = await requestPrediction(png, "cnn-aug", undefined, fakeFetch);
  deepStrictEqual(result.model, "cnn-aug");
  deepStrictEqual(new URL(seen!.url).search, "?model=cnn-aug");
  deepStrictEqual(seen!.method, "POST");
  deepStrictEqual(seen!.headers.get("content-type"), "image/png");
  deepStrictEqual((await seen!.arrayBuffer()).byteLength, 4);
});

Deno.test("requestPrediction passes the server's error code and message through", async () => {
  const fakeFetch: typeof fetch = () =>
    Promise.resolve(
      Response.json({ error: "unknown_model", message: "No model named x." }, { status: 404 }),
    );
  const error = await rejection(requestPrediction(png, "x", undefined, fakeFetch));
  assert(error instanceof PredictError);
  deepStrictEqual([error.code, error.message], ["unknown_model", "No model named x."]);
});

Deno.test("requestPrediction explains a non-JSON error by its status", async () => {
  const fakeFetch: typeof fetch = () =>
    Promise.resolve(new Response("<html>bad gateway</html>", { status: 502 }));
  const error = await rejection(requestPrediction(png, "cnn", undefined, fakeFetch));
  assert(error instanceof PredictError);
  deepStrictEqual(error.code, "http_502");
});

Deno.test("requestPrediction reports a network failure as unreachable", async () => {
  const fakeFetch: typeof fetch = () => Promise.reject(new TypeError("Failed to fetch"));
  const error = await rejection(requestPrediction(png, "cnn", undefined, fakeFetch));
  assert(error instanceof PredictError);
  deepStrictEqual([error.code, error.message], ["unreachable", UNREACHABLE_MESSAGE]);
});

Deno.test("requestPrediction rethrows aborts so stale requests end silently", async () => {
  const controller = new AbortController();
  const fakeFetch: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
    });
  const pending = requestPrediction(png, "cnn", controller.signal, fakeFetch);
  controller.abort();
  assert(isAbort(await rejection(pending)));
});

Deno.test("requestPrediction rejects a 200 answer that is not a prediction", async () => {
  const fakeFetch: typeof fetch = () => Promise.resolve(Response.json({ hello: "world" }));
  const error = await rejection(requestPrediction(png, "cnn", undefined, fakeFetch));
  assert(error instanceof PredictError);
  deepStrictEqual(error.code, "bad_response");
});

Deno.test("a 503 carries its Retry-After and says it is worth retrying; a 422 does not", async () => {
  const busy: typeof fetch = () =>
    Promise.resolve(
      Response.json({ error: "overloaded", message: "too busy" }, {
        status: 503,
        headers: { "Retry-After": "2" },
      }),
    );
  const error = await rejection(requestPrediction(png, "cnn", undefined, busy)) as PredictError;
  deepStrictEqual([error.code, error.retryAfterMs, error.retryable], ["overloaded", 2000, true]);

  const blank: typeof fetch = () =>
    Promise.resolve(Response.json({ error: "no_digit_found", message: "blank" }, { status: 422 }));
  const refused = await rejection(requestPrediction(png, "cnn", undefined, blank)) as PredictError;
  deepStrictEqual([refused.retryAfterMs, refused.retryable], [null, false]);
});

Deno.test("parseRetryAfter reads seconds and HTTP dates, and nothing else", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  deepStrictEqual(parseRetryAfter("3", now), 3000);
  deepStrictEqual(parseRetryAfter("Tue, 01 Dec 2026 12:00:05 GMT", now), 5000);
  deepStrictEqual(parseRetryAfter("Tue, 01 Dec 2026 11:00:00 GMT", now), 0);
  deepStrictEqual(parseRetryAfter("soon", now), null);
  deepStrictEqual(parseRetryAfter(null, now), null);
});
