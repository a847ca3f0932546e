/**
 * `POST /predict/number`: an image of a written number in, its digits out, each with its box
 * and probabilities. Takes every input `/predict` takes, plus the page's strokes.
 *
 * @module
 */
import { Hono } from "hono";
import { limitBody } from "../../middleware/body_limit.ts";
import { runsModel } from "../../middleware/route_marks.ts";
import { DigitlabError } from "../../lib/errors.ts";
import type { InferenceEngine } from "../../inference/engine.ts";
import type { ModelRegistry } from "../../inference/model_registry.ts";
import { predictNumber } from "../../inference/predict_number.ts";
import type { ObservedEnv } from "../../metrics/observe.ts";
import { readUpload } from "./request_image.ts";
import type { DecodeLanes } from "../../inference/decode_budget.ts";
import { admitUpload } from "./decode_admission.ts";
import { documented, error, json, modelParameter, type Operation, probability } from "./openapi.ts";
import { imageRequestBody } from "./image_upload_docs.ts";
import { noteBatch, requestedModel } from "./prediction_notes.ts";
import { parseStrokes, STROKES_FIELD, STROKES_JSON_LIMITS } from "./strokes_field.ts";

export interface PredictNumberRouteOptions {
  registry: ModelRegistry;
  engine: InferenceEngine;
  /** Bodies over this many bytes get 413 before they are read further. */
  maxBodyBytes: number;
  /** Decoded pixels in flight, shared with /predict; past it 503 + Retry-After. */
  decodeBudget?: DecodeLanes;
}

export function predictNumberRoutes(
  { registry, engine, maxBodyBytes, decodeBudget }: PredictNumberRouteOptions,
): Hono<ObservedEnv> {
  const app = new Hono<ObservedEnv>();
  app.post(
    "/predict/number",
    documented(PREDICT_NUMBER_DOCS),
    runsModel,
    limitBody(maxBodyBytes),
    async function predictNumberRoute(c) {
      const startedAt = performance.now();
      const model = requestedModel(c, registry);
      const read = (atImageHead?: (head: Uint8Array) => void) =>
        readUpload(c.req.raw, STROKES_FIELD, STROKES_JSON_LIMITS, atImageHead);
      return await admitUpload(c, decodeBudget, read, async ({ bytes, extra }) => {
        const strokes = parseStrokes(extra);
        const answer = await predictNumber(engine, registry, bytes, { model, startedAt, strokes });
        noteBatch(c, answer);
        return c.json(answer);
      });
    },
  );
  app.all("/predict/number", function predictNumberMethodNotAllowed() {
    throw new DigitlabError("method_not_allowed", "use POST /predict/number with an image");
  });
  return app;
}

const strokesSchema = {
  type: "array",
  maxItems: 500,
  description: "Optional: the pen strokes that drew the image, each an array of [x, y] " +
    "points in the page's unit coordinates (pixels divided by the image's height: y 0..1, " +
    "x 0..width/height). They help split digits that touch. At most 500 strokes and 20,000 " +
    "points; strokes that do not explain the ink are ignored.",
  items: {
    type: "array",
    items: { type: "array", items: { type: "number" }, minItems: 2, maxItems: 2 },
  },
};

const PREDICT_NUMBER_DOCS: Operation = {
  summary: "Read the whole number in an image",
  description: "Finds each digit (connected ink, parts of one digit merged, specks dropped, " +
    "touching digits split where the model reads the parts most confidently), prepares each " +
    "as /predict does and reads all of them in one batch. The same inputs as /predict " +
    "(multipart `img`, a raw PNG/JPEG body, JSON `image`), plus optional `strokes` (a " +
    "multipart field holding JSON, or a member of the JSON body).",
  parameters: [modelParameter],
  requestBody: imageRequestBody({
    multipart: { strokes: { type: "string", description: "JSON: " + strokesSchema.description } },
    json: { strokes: strokesSchema },
  }),
  responses: {
    "200": json({
      type: "object",
      required: ["number", "digits", "model", "timings"],
      properties: {
        number: { type: "string", examples: ["2026"], description: "The digits, left to right" },
        digits: {
          type: "array",
          items: {
            type: "object",
            required: ["result", "probabilities", "confident", "box"],
            properties: {
              result: { type: "integer", minimum: 0, maximum: 9 },
              probabilities: { type: "array", items: probability, minItems: 10, maxItems: 10 },
              confident: {
                type: "boolean",
                description: "Top probability >= 0.9 and at least 0.3 above the runner-up",
              },
              box: {
                type: "object",
                description: "The digit's ink, in the input image's pixels",
                properties: Object.fromEntries(
                  ["x", "y", "width", "height"].map((k) => [k, { type: "integer" }]),
                ),
              },
            },
          },
        },
        model: { type: "string" },
        candidates: { type: "integer", description: "Candidate digits the model read" },
        batchSize: { type: "integer" },
        timings: {
          type: "object",
          properties: Object.fromEntries(
            ["decodeMs", "preprocessMs", "queueMs", "inferenceMs", "totalMs"].map((k) => [k, {
              type: "number",
            }]),
          ),
        },
      },
    }, "The number"),
    "400": error("Malformed multipart, missing field, bad JSON, base64 or strokes"),
    "404": error("Unknown model"),
    "413": error("Body over the limit"),
    "415": error("Not a PNG or JPEG"),
    "422": error(
      "Undecodable image, no digit found (no ink), too many digits (a picture of noise), " +
        "or dimensions over 4096x4096",
    ),
    "503": error("No model loaded"),
  },
};
