/**
 * `POST /predict`: an image in, the digit and its probabilities out.
 *
 * @module
 */
import { Hono } from "hono";
import { limitBody } from "../../middleware/body_limit.ts";
import { DigitlabError } from "../../lib/errors.ts";
import type { InferenceEngine } from "../../inference/engine.ts";
import type { ModelRegistry } from "../../inference/model_registry.ts";
import { predictDigit } from "../../inference/predict.ts";
import { noteBatch, noteModel } from "../../metrics/observe.ts";
import { readImageUpload } from "./request_image.ts";
import type { BigDecodePool } from "../../inference/big_decode.ts";
import { type DecodeBudget, decodeCost } from "../../inference/decode_budget.ts";
import { readImageHeader } from "../../lib/image_header.ts";
import { clientOf } from "../../middleware/client_key.ts";
import { errorWithHeaders } from "../../middleware/error_response.ts";

export interface PredictRouteOptions {
  registry: ModelRegistry;
  engine: InferenceEngine;
  /** Bodies over this many bytes get 413 before they are read further. */
  maxBodyBytes: number;
  /** Decoded pixels in flight; past it 503 + Retry-After. Unbounded when absent. */
  decodeBudget?: DecodeBudget;
  /** Where big images are decoded (off the HTTP thread). */
  bigDecodes?: BigDecodePool;
}

export function predictRoutes(
  { registry, engine, maxBodyBytes, decodeBudget, bigDecodes }: PredictRouteOptions,
): Hono {
  const app = new Hono();
  app.post(
    "/predict",
    limitBody(maxBodyBytes),
    async function predict(c) {
      const startedAt = performance.now();
      const model = c.req.query("model") || null;
      // Check the model before reading the body: an unknown name costs nothing.
      noteModel(c.req.raw, registry.get(model).metadata.name);
      const bytes = await readImageUpload(c.req.raw);
      // Reserve what the image decodes to before decoding it: a small file can be huge inside.
      const release = decodeBudget?.reserve(decodeCost(readImageHeader(bytes), bytes), clientOf(c));
      if (release === null) {
        return errorWithHeaders(
          c,
          new DigitlabError("overloaded", "too many large images are being decoded; retry shortly"),
          { "Retry-After": "1" },
        );
      }
      let prediction;
      try {
        prediction = await predictDigit(engine, registry, bytes, { model, startedAt, bigDecodes });
      } finally {
        release?.();
      }
      const { queueMs, inferenceMs } = prediction.timings;
      noteBatch(c.req.raw, { queueMs, inferenceMs, batchSize: prediction.batchSize });
      return c.json(prediction);
    },
  );
  app.all("/predict", function predictMethodNotAllowed() {
    throw new DigitlabError("method_not_allowed", "use POST /predict with an image");
  });
  return app;
}
