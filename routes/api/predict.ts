/**
 * `POST /predict`: an image in, the digit and its probabilities out.
 *
 * @module
 */
import { Hono } from "hono";
import { limitBody } from "../../middleware/body_limit.ts";
import { runsModel } from "../../middleware/route_marks.ts";
import { DigitlabError } from "../../lib/errors.ts";
import type { InferenceEngine } from "../../inference/engine.ts";
import type { ModelRegistry } from "../../inference/model_registry.ts";
import { predictDigit } from "../../inference/predict.ts";
import type { ObservedEnv } from "../../metrics/observe.ts";
import { readUpload, UPLOAD_JSON_LIMITS } from "./request_image.ts";
import { imageRequestBody } from "./image_upload_docs.ts";
import { noteBatch, requestedModel } from "./prediction_notes.ts";
import type { BigDecodePool } from "../../inference/big_decode.ts";
import type { DecodeLanes } from "../../inference/decode_budget.ts";
import { admitUpload } from "./decode_admission.ts";
import { documented, error, json, modelParameter, type Operation } from "./openapi.ts";

export interface PredictRouteOptions {
  registry: ModelRegistry;
  engine: InferenceEngine;
  /** Bodies over this many bytes get 413 before they are read further. */
  maxBodyBytes: number;
  /** Decoded pixels in flight, per lane; past it 503 + Retry-After. Unbounded when absent. */
  decodeBudget?: DecodeLanes;
  /** Where big images are decoded (off the HTTP thread). */
  bigDecodes?: BigDecodePool;
}

export function predictRoutes(
  { registry, engine, maxBodyBytes, decodeBudget, bigDecodes }: PredictRouteOptions,
): Hono<ObservedEnv> {
  const app = new Hono<ObservedEnv>();
  app.post(
    "/predict",
    documented(PREDICT_DOCS),
    runsModel,
    limitBody(maxBodyBytes),
    async function predict(c) {
      const startedAt = performance.now();
      const model = requestedModel(c, registry);
      const read = (atImageHead?: (head: Uint8Array) => void) =>
        readUpload(c.req.raw, null, UPLOAD_JSON_LIMITS, atImageHead);
      return await admitUpload(c, decodeBudget, read, async ({ bytes }) => {
        const prediction = await predictDigit(engine, registry, bytes, {
          model,
          startedAt,
          bigDecodes,
        });
        noteBatch(c, prediction);
        return c.json(prediction);
      });
    },
  );
  app.all("/predict", function predictMethodNotAllowed() {
    throw new DigitlabError("method_not_allowed", "use POST /predict with an image");
  });
  return app;
}

const PREDICT_DOCS: Operation = {
  summary: "Predict the digit in an image",
  description: "PNG or JPEG, at most 4096x4096 and the body limit (default 2 MiB). " +
    "Send it as multipart field `img` (the tutorial's client), as the raw body with " +
    'Content-Type image/png or image/jpeg, or as JSON {"image": "<base64 or data URL>"}.',
  parameters: [modelParameter],
  requestBody: imageRequestBody(),
  responses: {
    "200": json({ $ref: "#/components/schemas/Prediction" }, "The prediction"),
    "400": error("Malformed multipart, missing field, bad JSON or base64"),
    "404": error("Unknown model"),
    "413": error("Body over the limit"),
    "415": error("Not a PNG or JPEG"),
    "422": error("Undecodable image, no digit found, or dimensions over 4096x4096"),
    "503": error("No model loaded"),
  },
};
