import { equal } from "node:assert/strict";
import { Hono } from "hono";
import { DecodeLanes } from "../../inference/decode_budget.ts";
import { InferenceEngine } from "../../inference/engine.ts";
import { initImageDecoders } from "../../inference/image_decode.ts";
import { loadModels, type ModelRegistry } from "../../inference/model_registry.ts";
import { DIGIT_STROKES, drawStrokes, toRgba } from "../../tests/helpers/canvas.ts";
import { encodePng } from "../../tests/helpers/png_encode.ts";
import { bigDigitPng } from "../../tests/helpers/hostile_clients.ts";
import { writeTestModels } from "../../tests/helpers/test_models.ts";
import { predictRoutes } from "./predict.ts";
import { predictNumberRoutes } from "./predict_number.ts";

/** Runs `test` with the mlp test model loaded, removed afterwards. */
async function withMlp(test: (registry: ModelRegistry) => Promise<void>) {
  await initImageDecoders();
  const dir = await writeTestModels(["mlp"]);
  const { registry } = await loadModels(new URL(`file://${dir}/`), {
    preferred: "mlp",
    required: true,
  });
  try {
    await test(registry);
  } finally {
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("/predict and /predict/number are admitted by one decode budget: 503 while it is full", async () => {
  await withMlp(async (registry) => {
    const engine = InferenceEngine.inProcess();
    // A 280x280 RGBA PNG reserves ~0.6 MiB; another client holds all but 0.5 MiB of
    // the small images' lane (1 MiB of 3).
    const decodeBudget = new DecodeLanes({ bytes: 3 * 1024 * 1024, perClientShare: 1 });
    const options = { registry, engine, maxBodyBytes: 1024 * 1024, decodeBudget };
    const app = new Hono().route("/", predictRoutes(options)).route(
      "/",
      predictNumberRoutes(options),
    );
    const seven = toRgba(
      drawStrokes(DIGIT_STROKES["7"], { size: 280, penWidth: 20, box: [50, 40, 180] }),
      "transparent",
    );
    const png = await encodePng(seven.data as Uint8Array, 280, 280);
    const post = (path: string) =>
      app.request(path, { method: "POST", body: png, headers: { "content-type": "image/png" } });
    const held = decodeBudget.small.reserve(512 * 1024, "someone else")!;
    for (const path of ["/predict", "/predict/number"]) {
      const refused = await post(path);
      equal(refused.status, 503, path);
      equal((await refused.json()).error, "overloaded", path);
      equal(refused.headers.get("retry-after"), "1", path);
    }
    held();
    for (const path of ["/predict", "/predict/number"]) {
      const answered = await post(path);
      equal(answered.status, 200, path);
      await answered.body?.cancel();
      equal(decodeBudget.small.held, 0, `${path} released its reservation`);
    }
  });
});

Deno.test("an upload whose lane is full is refused from its image's head, the rest unread", async () => {
  await withMlp(async (registry) => {
    const engine = InferenceEngine.inProcess();
    const decodeBudget = new DecodeLanes({ bytes: 192 * 1024 * 1024 });
    const options = { registry, engine, maxBodyBytes: 4 * 1024 * 1024, decodeBudget };
    const app = new Hono().route("/", predictRoutes(options)).route(
      "/",
      predictNumberRoutes(options),
    );
    const bomb = bigDigitPng(4096, 16);
    const boundary = "b0undary";
    const partHead = new TextEncoder().encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="img"; filename="x.png"\r\n` +
        `Content-Type: image/png\r\n\r\n`,
    );
    const bodies = {
      "image/png": [bomb.subarray(0, 4096), bomb.subarray(4096)],
      [`multipart/form-data; boundary=${boundary}`]: [
        new Uint8Array([...partHead, ...bomb.subarray(0, 4096)]),
        new Uint8Array([
          ...bomb.subarray(4096),
          ...new TextEncoder().encode(`\r\n--${boundary}--`),
        ]),
      ],
    };
    const held = decodeBudget.big.reserve(1, "someone else")!;
    // Sized (the body limit checks the Content-Length) and chunked (it counts the pieces as
    // they are read): both are refused from the head.
    const cases = ["/predict", "/predict/number"].flatMap((path) =>
      Object.entries(bodies).flatMap(([type, parts]) =>
        [true, false].map((sized) => ({ path, type, parts, sized }))
      )
    );
    for (const { path, type, parts: [head, rest], sized } of cases) {
      const what = `${path} ${type} ${sized ? "sized" : "chunked"}`;
      let restRead = false;
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ === 0) return controller.enqueue(head);
          restRead = true;
          controller.enqueue(rest);
          controller.close();
        },
      }, { highWaterMark: 0 });
      const refused = await app.request(path, {
        method: "POST",
        body,
        headers: {
          "content-type": type,
          ...(sized ? { "content-length": String(head.length + rest.length) } : {}),
        },
      });
      equal(refused.status, 503, what);
      equal((await refused.json()).error, "overloaded", what);
      equal(refused.headers.get("retry-after"), "1", what);
      equal(restRead, false, `${what}: the rest of the body was not read`);
    }
    held();
    equal(decodeBudget.big.held, 0);
  });
});
