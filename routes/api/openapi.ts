/**
 * The OpenAPI 3.1 description of the JSON API, served at `/openapi.json` and rendered by
 * Swagger UI at `/docs`. Written by hand beside the routes: small enough to keep in step, and
 * the end-to-end tests check every route here exists and answers as described.
 *
 * @module
 */
import { ERROR_STATUS } from "../../lib/errors.ts";
import { VERSION } from "../../lib/version.ts";

const errorCodes = Object.keys(ERROR_STATUS);

const json = (schema: unknown, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const error = (description: string) => json({ $ref: "#/components/schemas/Error" }, description);

const modelParameter = {
  name: "model",
  in: "query",
  required: false,
  description: "Model name (see GET /models); the server's default when absent.",
  schema: { type: "string", examples: ["cnn-aug"] },
};

const probability = { type: "number", minimum: 0, maximum: 1 };

const v2ModelName = {
  name: "name",
  in: "path",
  required: true,
  description: "Model name (see GET /models).",
  schema: { type: "string", examples: ["cnn-aug"] },
};

/** The document; `servers` is left out so "try it out" calls the origin serving the docs. */
export const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "digitlab",
    version: VERSION,
    description: "Handwritten digit recognition. Send a picture of one digit (a canvas PNG, " +
      "a photo, a 28x28 MNIST image) and get the digit with its probabilities. Images are " +
      "prepared the way MNIST's were: ink cropped, fitted into 20x20, centred by mass in 28x28.",
  },
  paths: {
    "/predict": {
      post: {
        summary: "Predict the digit in an image",
        description: "PNG or JPEG, at most 4096x4096 and the body limit (default 2 MiB). " +
          "Send it as multipart field `img` (the tutorial's client), as the raw body with " +
          'Content-Type image/png or image/jpeg, or as JSON {"image": "<base64 or data URL>"}.',
        parameters: [modelParameter],
        requestBody: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: {
                type: "object",
                required: ["img"],
                properties: { img: { type: "string", format: "binary" } },
              },
              encoding: { img: { contentType: "image/png, image/jpeg" } },
            },
            "image/png": { schema: { type: "string", format: "binary" } },
            "image/jpeg": { schema: { type: "string", format: "binary" } },
            "application/json": {
              schema: {
                type: "object",
                required: ["image"],
                properties: {
                  image: { type: "string", description: "base64, or a data:image/png;base64 URL" },
                },
              },
            },
          },
        },
        responses: {
          "200": json({ $ref: "#/components/schemas/Prediction" }, "The prediction"),
          "400": error("Malformed multipart, missing field, bad JSON or base64"),
          "404": error("Unknown model"),
          "413": error("Body over the limit"),
          "415": error("Not a PNG or JPEG"),
          "422": error("Undecodable image, no digit found, or dimensions over 4096x4096"),
          "503": error("No model loaded"),
        },
      },
    },
    "/models": {
      get: {
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
      },
    },
    "/model_info": {
      get: {
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
                enum: ["int8", "fp32"],
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
      },
    },
    "/health": {
      get: {
        summary: "Liveness and readiness",
        responses: {
          "200": json({ $ref: "#/components/schemas/Health" }, "Models loaded and warmed up"),
          "503": json({ $ref: "#/components/schemas/Health" }, "No model loaded"),
        },
      },
    },
    "/metrics": {
      get: {
        summary: "Prometheus metrics (text format 0.0.4)",
        description: "Requests by route and status, request latency, batch inference time " +
          "and size, queue length, models loaded (name, version), process memory.",
        responses: {
          "200": {
            description: "Metrics",
            content: { "text/plain": { schema: { type: "string" } } },
          },
        },
      },
    },
    "/v2": {
      get: {
        summary: "Open Inference Protocol v2: server metadata",
        tags: ["Open Inference Protocol v2"],
        responses: {
          "200": json({
            type: "object",
            required: ["name", "version", "extensions"],
            properties: {
              name: { type: "string" },
              version: { type: "string" },
              extensions: { type: "array", items: { type: "string" } },
            },
          }, "Server metadata"),
        },
      },
    },
    "/v2/health/live": {
      get: {
        summary: "v2: liveness",
        tags: ["Open Inference Protocol v2"],
        responses: { "200": json({ type: "object" }, '{"live": true}') },
      },
    },
    "/v2/health/ready": {
      get: {
        summary: "v2: readiness (models loaded and warmed up)",
        tags: ["Open Inference Protocol v2"],
        responses: {
          "200": json({ type: "object" }, '{"ready": true}'),
          "503": json({ type: "object" }, '{"ready": false}'),
        },
      },
    },
    "/v2/models/{name}": {
      get: {
        summary: "v2: model metadata (inputs, outputs, versions)",
        tags: ["Open Inference Protocol v2"],
        parameters: [v2ModelName],
        responses: {
          "200": json({ type: "object" }, "name, versions, platform, inputs, outputs"),
          "404": error("Unknown model"),
        },
      },
    },
    "/v2/models/{name}/ready": {
      get: {
        summary: "v2: model readiness",
        tags: ["Open Inference Protocol v2"],
        parameters: [v2ModelName],
        responses: {
          "200": json({ type: "object" }, '{"name": ..., "ready": true}'),
          "404": error("Unknown model"),
        },
      },
    },
    "/v2/models/{name}/infer": {
      post: {
        summary: "v2: run the model on FP32 tensors",
        description: "One input named `input`, datatype FP32, shape [N,1,28,28] or [N,784] " +
          "(N up to 256), data flat or nested, already normalised as the model expects: " +
          "(pixel/255 - mean) / std with white ink on black (see GET /model_info). " +
          "Answers outputs `logits` and `probabilities`, each [N,10]. Also under " +
          "/v2/models/{name}/versions/{version}/... .",
        tags: ["Open Inference Protocol v2"],
        parameters: [v2ModelName],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["inputs"],
                properties: {
                  id: { type: "string" },
                  inputs: {
                    type: "array",
                    items: {
                      type: "object",
                      required: ["name", "shape", "datatype", "data"],
                      properties: {
                        name: { type: "string", const: "input" },
                        shape: { type: "array", items: { type: "integer" } },
                        datatype: { type: "string", const: "FP32" },
                        data: { type: "array" },
                      },
                    },
                  },
                  outputs: {
                    type: "array",
                    items: { type: "object", properties: { name: { type: "string" } } },
                  },
                },
              },
            },
          },
        },
        responses: {
          "200": json({ type: "object" }, "model_name, model_version, id, outputs"),
          "400": error("Not a valid infer request (shape, datatype, data)"),
          "404": error("Unknown model"),
          "413": error("Body over the limit"),
        },
      },
    },
  },
  components: {
    schemas: {
      Prediction: {
        type: "object",
        required: [
          "result",
          "probabilities",
          "model",
          "top3",
          "confident",
          "runnerUp",
          "input",
          "timings",
        ],
        properties: {
          result: { type: "integer", minimum: 0, maximum: 9 },
          probabilities: {
            type: "array",
            items: probability,
            minItems: 10,
            maxItems: 10,
            description: "Probability of each digit 0-9; they sum to 1.",
          },
          model: { type: "string" },
          top3: {
            type: "array",
            items: {
              type: "object",
              properties: { digit: { type: "integer" }, probability },
            },
          },
          confident: {
            type: "boolean",
            description: "False when the answer should not be trusted: the top probability is " +
              "low, the top two are close, or the ink cannot be a digit (a dot, a straight " +
              "line, a filled blob, a scribble); `reason` then says which.",
          },
          runnerUp: {
            type: "object",
            properties: { digit: { type: "integer" }, probability },
            description: "The second most likely digit.",
          },
          reason: {
            type: "string",
            description: "Why the answer is not confident (absent when it is), e.g. " +
              '"close call: 7 or 2" or "a scribble, not a digit".',
          },
          input: {
            type: "array",
            items: probability,
            minItems: 784,
            maxItems: 784,
            description: "The 28x28 image the model saw, row-major, 1 = ink (before mean/std).",
          },
          batchSize: {
            type: "integer",
            description: "Digits in the batch this request ran in (dynamic batching).",
          },
          timings: {
            type: "object",
            properties: Object.fromEntries(
              ["decodeMs", "preprocessMs", "queueMs", "inferenceMs", "totalMs"].map((k) => [k, {
                type: "number",
              }]),
            ),
          },
        },
      },
      ModelSummary: {
        type: "object",
        properties: {
          name: { type: "string" },
          version: { type: "string" },
          testAccuracy: probability,
          parameters: { type: "integer" },
          architecture: { type: "array", items: { type: "string" } },
        },
      },
      Health: {
        type: "object",
        required: ["status", "models"],
        properties: {
          status: { type: "string", enum: ["healthy", "unhealthy"] },
          version: { type: "string" },
          default: { type: ["string", "null"] },
          models: {
            type: "array",
            items: {
              type: "object",
              properties: { name: { type: "string" }, version: { type: "string" } },
            },
          },
        },
      },
      Error: {
        type: "object",
        required: ["error", "message"],
        properties: {
          error: { type: "string", enum: errorCodes },
          message: { type: "string" },
        },
      },
    },
  },
} as const;
