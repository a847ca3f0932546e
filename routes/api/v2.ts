/**
 * Open Inference Protocol v2 (KServe / Triton's HTTP API): server and model health, model
 * metadata and `infer` on ready tensors, for clients and gateways that speak it. Errors use
 * the app's one error format, whose `error` is a string as the protocol asks.
 *
 * @module
 */
import { Hono } from "hono";
import { limitBody } from "../../middleware/body_limit.ts";
import type { Context } from "hono";
import { jobError } from "../../inference/batch_jobs.ts";
import type { InferenceEngine } from "../../inference/engine.ts";
import type { LoadedModel, ModelRegistry } from "../../inference/model_registry.ts";
import { CLASS_COUNT } from "../../inference/onnx_runtime.ts";
import { DigitlabError } from "../../lib/errors.ts";
import { VERSION } from "../../lib/version.ts";
import { noteBatch, noteModel } from "../../metrics/observe.ts";
import { parseInferRequest } from "./v2_tensor.ts";

export interface V2RouteOptions {
  registry: ModelRegistry;
  engine: InferenceEngine;
  maxBodyBytes: number;
  /** True once the server is shutting down: not ready for new work. */
  draining?: () => boolean;
}

const MODEL = "/v2/models/:name";
const VERSIONED = "/v2/models/:name/versions/:version";

export function v2Routes(options: V2RouteOptions): Hono {
  const { registry, engine, maxBodyBytes, draining = () => false } = options;
  const app = new Hono();
  // Models load and warm up before the server listens: serving means ready, until a shutdown.
  const ready = () => registry.defaultName !== null && !draining();

  app.get("/v2", function serverMetadata(c) {
    return c.json({ name: "digitlab", version: VERSION, extensions: [] });
  });
  app.get("/v2/health/live", (c) => c.json({ live: true }));
  app.get("/v2/health/ready", (c) => c.json({ ready: ready() }, ready() ? 200 : 503));

  for (const base of [MODEL, VERSIONED]) {
    app.get(base, function modelMetadata(c) {
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
    app.get(`${base}/ready`, function modelReady(c) {
      const { metadata } = modelFor(c, registry);
      return c.json({ name: metadata.name, ready: true });
    });
    app.post(
      `${base}/infer`,
      limitBody(maxBodyBytes),
      async function infer(c) {
        modelFor(c, registry); // an unknown model costs no body
        let body: unknown;
        try {
          body = JSON.parse(await c.req.text());
        } catch {
          throw new DigitlabError("bad_json", "the body is not valid JSON");
        }
        const request = parseInferRequest(body);
        // No await between resolving the model and submitting: see engine.submit.
        const model = modelFor(c, registry);
        noteModel(c.req.raw, model.metadata.name);
        const result = await engine.submit(model, {
          kind: "tensor",
          input: request.input,
          count: request.count,
        });
        if (!result.ok) throw jobError(result);
        const { logits, probabilities, queueMs, inferenceMs, batchSize } = result.output;
        noteBatch(c.req.raw, { queueMs, inferenceMs, batchSize });
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

/** The model a v2 path names (and its version, when the path has one), or 404. */
function modelFor(c: Context, registry: ModelRegistry): LoadedModel {
  const name = c.req.param("name") ?? "";
  const model = registry.find(name);
  if (!model) {
    throw new DigitlabError(
      "unknown_model",
      `unknown model "${name}": this server has ${registry.list().map((m) => m.name).join(", ")}`,
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
