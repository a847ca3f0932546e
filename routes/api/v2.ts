/**
 * Open Inference Protocol v2 (KServe / Triton's HTTP API): server and model health, model
 * metadata and `infer` on ready tensors, for clients and gateways that speak it. Errors use
 * the app's one error format, whose `error` is a string as the protocol asks.
 *
 * @module
 */
import { Hono } from "hono";
import { limitBody } from "../../middleware/body_limit.ts";
import { probe, runsModel } from "../../middleware/route_marks.ts";
import type { Context, MiddlewareHandler } from "hono";
import { jobError } from "../../inference/batch_jobs.ts";
import type { InferenceEngine } from "../../inference/engine.ts";
import type { LoadedModel, ModelRegistry } from "../../inference/model_registry.ts";
import { CLASS_COUNT, DIGIT_PIXELS } from "../../inference/onnx_runtime.ts";
import { DigitlabError } from "../../lib/errors.ts";
import { VERSION } from "../../lib/version.ts";
import type { ObservedEnv } from "../../metrics/observe.ts";
import { MAX_V2_BATCH, parseInferRequest } from "./v2_tensor.ts";
import { documented, error, json, type Operation, v2ModelName } from "./openapi.ts";
import { type JsonLimits, parseGuardedJson } from "./json_guard.ts";

export interface V2RouteOptions {
  registry: ModelRegistry;
  engine: InferenceEngine;
  maxBodyBytes: number;
  /** True once the server is shutting down: not ready for new work. */
  draining?: () => boolean;
}

const MODEL = "/v2/models/:name";

/**
 * The largest batch, nested [N][1][28][28] (each image's pixels and the arrays of its rows),
 * and the request's few other members.
 */
const INFER_JSON_LIMITS: JsonLimits = { maxValues: MAX_V2_BATCH * (DIGIT_PIXELS + 32) + 64 };
const VERSIONED = "/v2/models/:name/versions/:version";

export function v2Routes(options: V2RouteOptions): Hono<ObservedEnv> {
  const { registry, engine, maxBodyBytes, draining = () => false } = options;
  const app = new Hono<ObservedEnv>();
  // Models load and warm up before the server listens: serving means ready, until a shutdown.
  const ready = () => registry.defaultName !== null && !draining();

  app.get("/v2", documented(SERVER_METADATA_DOCS), function serverMetadata(c) {
    return c.json({ name: "digitlab", version: VERSION, extensions: [] });
  });
  app.get("/v2/health/live", documented(LIVE_DOCS), probe, (c) => c.json({ live: true }));
  app.get(
    "/v2/health/ready",
    documented(READY_DOCS),
    probe,
    (c) => c.json({ ready: ready() }, ready() ? 200 : 503),
  );

  for (const base of [MODEL, VERSIONED]) {
    // The versioned twins are documented in the unversioned routes' description.
    const docs = (operation: Operation) => base === MODEL ? documented(operation) : undocumented;
    app.get(base, docs(MODEL_METADATA_DOCS), function modelMetadata(c) {
      const { metadata } = modelFor(c, registry);
      return c.json({
        name: metadata.name,
        versions: [metadata.version],
        platform: "onnxruntime_onnx",
        inputs: [{ name: "input", datatype: "FP32", shape: [-1, 1, 28, 28] }],
        outputs: [
          { name: "logits", datatype: "FP32", shape: [-1, CLASS_COUNT] },
          { name: "probabilities", datatype: "FP32", shape: [-1, CLASS_COUNT] },
        ],
      });
    });
    app.get(`${base}/ready`, docs(MODEL_READY_DOCS), function modelReady(c) {
      const { metadata } = modelFor(c, registry);
      return c.json({ name: metadata.name, ready: true });
    });
    app.post(
      `${base}/infer`,
      docs(INFER_DOCS),
      runsModel,
      limitBody(maxBodyBytes),
      async function infer(c) {
        modelFor(c, registry); // an unknown model costs no body
        const text = await c.req.text(); // a body cut off (408, 400) fails as it is
        const body = parseGuardedJson(text, INFER_JSON_LIMITS, "the body is not valid JSON");
        const request = parseInferRequest(body);
        // No await between resolving the model and submitting: see engine.submit.
        const model = modelFor(c, registry);
        c.set("model", model.metadata.name);
        const result = await engine.submit(model, {
          kind: "tensor",
          input: request.input,
          count: request.count,
        });
        if (!result.ok) throw jobError(result);
        const { logits, probabilities, queueMs, inferenceMs, batchSize } = result.output;
        c.set("batch", { queueMs, inferenceMs, batchSize });
        // Inputs far outside the normalised range overflow the model: say so, never send null.
        if (!logits.every(Number.isFinite)) {
          throw new DigitlabError(
            "bad_request",
            "the input overflows the model (its outputs are not finite): send normalised pixels",
          );
        }
        const data = { logits, probabilities };
        return c.json({
          model_name: model.metadata.name,
          model_version: model.metadata.version,
          ...(request.id === undefined ? {} : { id: request.id }),
          outputs: request.outputs.map((name) => ({
            name,
            datatype: "FP32",
            shape: [request.count, CLASS_COUNT],
            data: Array.from(data[name]),
          })),
        });
      },
    );
  }
  return app;
}

const undocumented: MiddlewareHandler = (_c, next) => next();

/** The model a v2 path names (and its version, when the path has one), or 404. */
function modelFor(c: Context, registry: ModelRegistry): LoadedModel {
  const name = c.req.param("name") ?? "";
  const model = registry.find(name);
  if (!model) {
    throw new DigitlabError(
      "unknown_model",
      `unknown model "${name}": this server has ${
        registry.models().map((m) => m.metadata.name).join(", ")
      }`,
    );
  }
  const version = c.req.param("version");
  if (version !== undefined && version !== model.metadata.version) {
    throw new DigitlabError(
      "unknown_model",
      `model "${name}" has no version "${version}" (serving ${model.metadata.version})`,
    );
  }
  return model;
}

const SERVER_METADATA_DOCS: Operation = {
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
};

const LIVE_DOCS: Operation = {
  summary: "v2: liveness",
  tags: ["Open Inference Protocol v2"],
  responses: { "200": json({ type: "object" }, '{"live": true}') },
};

const READY_DOCS: Operation = {
  summary: "v2: readiness (models loaded and warmed up)",
  tags: ["Open Inference Protocol v2"],
  responses: {
    "200": json({ type: "object" }, '{"ready": true}'),
    "503": json({ type: "object" }, '{"ready": false}'),
  },
};

const MODEL_METADATA_DOCS: Operation = {
  summary: "v2: model metadata (inputs, outputs, versions)",
  tags: ["Open Inference Protocol v2"],
  parameters: [v2ModelName],
  responses: {
    "200": json({ type: "object" }, "name, versions, platform, inputs, outputs"),
    "404": error("Unknown model"),
  },
};

const MODEL_READY_DOCS: Operation = {
  summary: "v2: model readiness",
  tags: ["Open Inference Protocol v2"],
  parameters: [v2ModelName],
  responses: {
    "200": json({ type: "object" }, '{"name": ..., "ready": true}'),
    "404": error("Unknown model"),
  },
};

const INFER_DOCS: Operation = {
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
};
