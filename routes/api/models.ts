/**
 * `GET /models` (what this server serves) and `GET /model_info` (the tutorial's model
 * description, plus the full training metadata).
 *
 * @module
 */
import { Hono } from "hono";
import type { ModelRegistry } from "../../inference/model_registry.ts";
import { listingOf } from "../../lib/model_metadata.ts";

/** Human names for the shipped architectures; other names are shown as they are. */
const MODEL_TYPES: Record<string, string> = {
  "mlp": "MLP (fully connected)",
  "cnn": "CNN",
  "cnn-aug": "CNN (trained with augmentation)",
  "draw": "CNN (trained on pen strokes and pen-rendered MNIST)",
};

export function modelRoutes(registry: ModelRegistry): Hono {
  const app = new Hono();
  app.get("/models", function listModels(c) {
    return c.json({ default: registry.defaultName, models: registry.listings() });
  });
  app.get("/model_info", function modelInfo(c) {
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
