/**
 * `GET /models` (what this server serves) and `GET /model_info` (the tutorial's model
 * description, plus the full training metadata).
 *
 * @module
 */
import { Hono } from "hono";
import type { ModelRegistry } from "../../inference/model_registry.ts";
import { listingOf, PRECISIONS } from "../../lib/model_metadata.ts";
import { documented, error, json, modelParameter, type Operation, probability } from "./openapi.ts";

/** Human names for the shipped architectures; other names are shown as they are. */
const MODEL_TYPES: Record<string, string> = {
  "mlp": "MLP (fully connected)",
  "cnn": "CNN",
  "cnn-aug": "CNN (trained with augmentation)",
  "draw": "CNN (trained on pen strokes and pen-rendered MNIST)",
};

export function modelRoutes(registry: ModelRegistry): Hono {
  const app = new Hono();
  app.get("/models", documented(MODELS_DOCS), function listModels(c) {
    const models = registry.models().map((model) => listingOf(model.metadata));
    return c.json({ default: registry.defaultName, models });
  });
  app.get("/model_info", documented(MODEL_INFO_DOCS), function modelInfo(c) {
    const { metadata } = registry.get(c.req.query("model") || null);
    const served = listingOf(metadata);
    return c.json({
      // The tutorial's keys first, so its client keeps working.
      model_type: MODEL_TYPES[metadata.name] ?? metadata.name,
      input_shape: [1, 28, 28],
      output_classes: 10,
      framework: "onnxruntime-web (WebAssembly)",
      parameters: metadata.parameters,
      test_accuracy: served.testAccuracy,
      precision: served.precision,
      normalisation: metadata.input.normalisation,
      architecture: metadata.architecture,
      name: metadata.name,
      version: metadata.version,
      metadata,
    });
  });
  return app;
}

const MODELS_DOCS: Operation = {
  summary: "The models this server serves",
  responses: {
    "200": json({
      type: "object",
      required: ["default", "models"],
      properties: {
        default: { type: ["string", "null"] },
        models: { type: "array", items: { $ref: "#/components/schemas/ModelSummary" } },
      },
    }, "Served models, the default first"),
  },
};

const MODEL_INFO_DOCS: Operation = {
  summary: "Describe a model (the tutorial's keys plus the training metadata)",
  parameters: [modelParameter],
  responses: {
    "200": json({
      type: "object",
      required: ["model_type", "input_shape", "output_classes", "metadata"],
      properties: {
        model_type: { type: "string" },
        input_shape: { type: "array", items: { type: "integer" }, examples: [[1, 28, 28]] },
        output_classes: { type: "integer", examples: [10] },
        framework: { type: "string" },
        parameters: { type: "integer" },
        test_accuracy: probability,
        precision: {
          type: "string",
          enum: PRECISIONS,
          description: "The file served: the model's int8 twin (default) or the float one.",
        },
        normalisation: {
          type: "object",
          properties: { mean: { type: "number" }, std: { type: "number" } },
        },
        architecture: { type: "array", items: { type: "string" } },
        name: { type: "string" },
        version: { type: "string" },
        metadata: {
          type: "object",
          description: "Everything training recorded: per-class accuracy, confusion " +
            "matrix, history, hyper-parameters, data checksums.",
        },
      },
    }, "The model's description"),
    "404": error("Unknown model"),
    "503": error("No model loaded"),
  },
};
