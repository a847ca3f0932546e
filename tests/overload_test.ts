/**
 * Overload, over HTTP on the real app: past the concurrency cap new work gets 503 with
 * Retry-After at once (no queue), health checks still answer, a stalled upload is cut off at
 * the deadline and frees its slot, the optional per-IP rate limit answers 429, and CORS stays
 * off unless an allow-list is configured.
 */
import { createApp } from "../app.ts";
import { initImageDecoders } from "../inference/image_decode.ts";
import { loadModels, type ModelRegistry } from "../inference/model_registry.ts";
import assert, { deepStrictEqual } from "node:assert/strict";
import { DEFAULT_LIMITS, type RequestLimits } from "../middleware/mod.ts";
import { DIGIT_STROKES, drawStrokes, toRgba } from "./helpers/canvas.ts";
import { encodePng } from "./helpers/png_encode.ts";
import { writeTestModels } from "./helpers/test_models.ts";

const modelsDir = await writeTestModels(["cnn-aug"]);
globalThis.addEventListener("unload", () => Deno.removeSync(modelsDir, { recursive: true }));
await initImageDecoders();

const canvasPng = await (async () => {
  const { data } = toRgba(
    drawStrokes(DIGIT_STROKES["7"], { size: 280, penWidth: 20, box: [50, 40, 180] }),
    "transparent",
  );
  return await encodePng(data as Uint8Array, 280, 280, "rgba");
})();

async function withServer(
  limits: Partial<RequestLimits>,
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const { registry } = await loadModels(new URL(`file://${modelsDir}/`), {
    preferred: "cnn-aug",
    required: true,
  }) as { registry: ModelRegistry };
  const app = createApp({
    registry,
    maxBodyBytes: 2 * 1024 * 1024,
    limits: { ...DEFAULT_LIMITS, ...limits },
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
    await registry.close();
  }
}

const post = (url: string, body: BodyInit = canvasPng, headers: HeadersInit = {}) =>
  fetch(`${url}/predict`, {
    method: "POST",
    headers: { "Content-Type": "image/png", ...headers },
    body,
  });

/** An upload that sends part of the PNG, then waits for `release()` to send the rest. */
function heldUpload(url: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(canvasPng.slice(0, 100));
        return;
      }
      await released;
      controller.enqueue(canvasPng.slice(100));
      controller.close();
    },
  });
  return { response: post(url, body), release };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await fn();
  return [value, performance.now() - started];
}

Deno.test("past the concurrency cap: 503 + Retry-After at once; health still answers", async () => {
  await withServer({ maxConcurrent: 2 }, async (url) => {
    const holders = [heldUpload(url), heldUpload(url)];
    await new Promise((resolve) => setTimeout(resolve, 200)); // both are in, holding slots

    const [refused, ms] = await timed(() => post(url));
    deepStrictEqual(refused.status, 503);
    deepStrictEqual(refused.headers.get("retry-after"), "1");
    deepStrictEqual((await refused.json()).error, "overloaded");
    assert(ms < 200, `refusal took ${ms} ms: it queued`);

    const health = await fetch(`${url}/health`);
    deepStrictEqual(health.status, 200);
    await health.body?.cancel();

    for (const holder of holders) holder.release();
    for (const holder of holders) {
      const response = await holder.response;
      deepStrictEqual(response.status, 200, "a request inside the cap failed");
      await response.body?.cancel();
    }
    const after = await post(url);
    deepStrictEqual(after.status, 200, "the slots were not given back");
    await after.body?.cancel();
  });
});

Deno.test("a burst of 64 against a cap of 4: every answer is 200 or 503, none waits long", async () => {
  await withServer({ maxConcurrent: 4 }, async (url) => {
    const answers = await Promise.all(
      Array.from({ length: 64 }, () =>
        timed(async () => {
          const response = await post(url);
          await response.body?.cancel();
          return { status: response.status, retryAfter: response.headers.get("retry-after") };
        })),
    );
    for (const [answer] of answers) {
      assert(answer.status === 200 || answer.status === 503, `status ${answer.status}`);
      if (answer.status === 503) deepStrictEqual(answer.retryAfter, "1");
    }
    assert(answers.some(([a]) => a.status === 200), "nothing got through");
    const slowest = Math.max(...answers.map(([, ms]) => ms));
    assert(slowest < 5000, `the slowest answer took ${slowest} ms`);
  });
});

Deno.test("a stalled upload gets 408 at the deadline and gives its slot back", async () => {
  await withServer({ maxConcurrent: 1, requestTimeoutMs: 300 }, async (url) => {
    const stalled = heldUpload(url);
    const [response, ms] = await timed(() => stalled.response);
    deepStrictEqual(response.status, 408);
    deepStrictEqual((await response.json()).error, "request_timeout");
    assert(ms >= 290 && ms < 1000, `answered after ${ms} ms`);
    stalled.release();
    const next = await post(url);
    deepStrictEqual(next.status, 200, "the stalled upload kept its slot");
    await next.body?.cancel();
  });
});

Deno.test("per-IP rate limit: off by default; when set, 429 + Retry-After past the burst", async () => {
  await withServer({}, async (url) => {
    for (let i = 0; i < 20; i++) {
      const response = await post(url);
      deepStrictEqual(response.status, 200);
      await response.body?.cancel();
    }
  });
  await withServer({ rateLimit: { ratePerSecond: 1, burst: 3 } }, async (url) => {
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const response = await post(url);
      statuses.push(response.status);
      if (response.status === 429) {
        deepStrictEqual(response.headers.get("retry-after"), "1");
        deepStrictEqual((await response.json()).error, "rate_limited");
      } else await response.body?.cancel();
    }
    deepStrictEqual(statuses, [200, 200, 200, 429]);
    // Health checks come from one prober and are never limited.
    for (let i = 0; i < 5; i++) {
      const health = await fetch(`${url}/health`);
      deepStrictEqual(health.status, 200);
      await health.body?.cancel();
    }
  });
});

Deno.test("CORS: no headers for other origins by default; an allow-list opens it", async () => {
  const origin = "https://elsewhere.example";
  await withServer({}, async (url) => {
    const response = await post(url, canvasPng, { Origin: origin });
    deepStrictEqual(response.headers.get("access-control-allow-origin"), null);
    await response.body?.cancel();
    const preflight = await fetch(`${url}/predict`, {
      method: "OPTIONS",
      headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
    });
    deepStrictEqual(preflight.headers.get("access-control-allow-origin"), null);
    await preflight.body?.cancel();
  });
  await withServer({ corsOrigins: [origin] }, async (url) => {
    const response = await post(url, canvasPng, { Origin: origin });
    deepStrictEqual(response.status, 200);
    deepStrictEqual(response.headers.get("access-control-allow-origin"), origin);
    await response.body?.cancel();
    const other = await post(url, canvasPng, { Origin: "https://evil.example" });
    deepStrictEqual(other.headers.get("access-control-allow-origin"), null);
    await other.body?.cancel();
  });
});

Deno.test("a stalled body on /v2 infer gets 408 too, not bad_json", async () => {
  await withServer({ requestTimeoutMs: 300 }, async (url) => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent) {
          await released;
          return controller.close();
        }
        sent = true;
        controller.enqueue(new TextEncoder().encode('{"inputs": ['));
      },
    });
    const response = await fetch(`${url}/v2/models/cnn-aug/infer`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    deepStrictEqual(response.status, 408);
    deepStrictEqual((await response.json()).error, "request_timeout");
    release();
  });
});
