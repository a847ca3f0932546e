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

export interface PredictRouteOptions {
  registry: ModelRegistry;
  engine: InferenceEngine;
  /** Bodies over this many bytes get 413 before they are read further. */
  maxBodyBytes: number;
}

export function predictRoutes({ registry, engine, maxBodyBytes }: PredictRouteOptions): Hono {
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
      const prediction = await predictDigit(engine, registry, bytes, { model, startedAt });
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
