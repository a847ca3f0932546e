/**
 * What the HTTP API tests share: two untrained test models (and an empty models folder), a
 * server with a small body limit, a 7 as the web UI sends it, and the shape every /predict
 * answer must have.
 *
 * @module
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { DIGIT_STROKES, drawStrokes, toRgba } from "./canvas.ts";
import { encodePng } from "./png_encode.ts";
import type { Prediction } from "../../lib/prediction.ts";
import { writeTestModels } from "./test_models.ts";
import { startTestServer, type TestServer } from "./test_server.ts";

export const modelsDir = await writeTestModels(
  ["mlp", "cnn"],
  (name) => name === "cnn" ? 0.6 : 0.5,
);
export const emptyDir = await Deno.makeTempDir({ prefix: "digitlab-empty-" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(modelsDir, { recursive: true });
  Deno.removeSync(emptyDir, { recursive: true });
});

export const BODY_LIMIT = 256 * 1024;

export async function withServer(
  fn: (server: TestServer) => Promise<void>,
  dir = modelsDir,
): Promise<void> {
  const server = await startTestServer({ modelsDir: dir, maxBodyBytes: BODY_LIMIT });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** A 7 drawn on a 280x280 transparent canvas, as the web UI sends it. */
export const canvasPng = await (async () => {
  const { data } = toRgba(
    drawStrokes(DIGIT_STROKES["7"], { size: 280, penWidth: 20, box: [50, 40, 180] }),
    "transparent",
  );
  return await encodePng(data as Uint8Array, 280, 280, "rgba");
})();
export const jpeg = await Deno.readFile(new URL("../fixtures/seven-colour.jpg", import.meta.url));

export function multipart(bytes: Uint8Array, field = "img", type = "image/png"): FormData {
  const form = new FormData();
  form.append(field, new Blob([bytes as BlobPart], { type }), "image.png");
  return form;
}

export async function post(
  server: TestServer,
  body: BodyInit,
  headers: HeadersInit = {},
  query = "",
) {
  const response = await fetch(`${server.url}/predict${query}`, {
    method: "POST",
    body,
    headers,
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

export function base64(bytes: Uint8Array): string {
  return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
}

export function assertPrediction(body: Record<string, unknown>, model: string): void {
  // Read as the documented type; timings indexed by name to check every key is a number.
  const p = body as unknown as Omit<Prediction, "timings"> & { timings: Record<string, number> };
  assert(Number.isInteger(p.result) && p.result >= 0 && p.result <= 9, `result ${p.result}`);
  deepStrictEqual(p.probabilities.length, 10);
  const sum = p.probabilities.reduce((a, b) => a + b, 0);
  assert(Math.abs(sum - 1) < 1e-4, `probabilities sum to ${sum}`);
  deepStrictEqual(p.model, model);
  deepStrictEqual(p.top3.length, 3);
  deepStrictEqual(p.top3[0].digit, p.result);
  deepStrictEqual(p.top3[0].probability, Math.max(...p.probabilities));
  assert(p.top3[0].probability >= p.top3[1].probability, "top3 not sorted");
  deepStrictEqual(p.top3[1].probability, p.probabilities[p.top3[1].digit]);
  deepStrictEqual(p.runnerUp, p.top3[1]);
  deepStrictEqual(typeof p.confident, "boolean");
  // A reason exactly when the answer is not confident.
  deepStrictEqual(typeof p.reason === "string" && p.reason.length > 0, !p.confident);
  deepStrictEqual(p.input.length, 784);
  assert(p.input.every((v) => v >= 0 && v <= 1), "input outside 0..1");
  assert(Math.max(...p.input) === 1, "the input's strongest ink should be 1");
  for (const key of ["decodeMs", "preprocessMs", "queueMs", "inferenceMs", "totalMs"]) {
    assert(typeof p.timings[key] === "number" && p.timings[key] >= 0, `timings.${key}`);
  }
  assert(p.timings.totalMs >= p.timings.queueMs + p.timings.inferenceMs, "total too short");
}
