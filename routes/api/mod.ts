/**
 * The JSON API: `/predict`, `/predict/number`, `/models`, `/model_info`, `/health`, `/metrics`, the Open Inference
 * Protocol v2 routes under `/v2`, `/openapi.json` and `/docs`.
 *
 * @module
 */
import { Hono } from "hono";
import type { BigDecodePool } from "../../inference/big_decode.ts";
import type { DecodeLanes } from "../../inference/decode_budget.ts";
import type { InferenceEngine } from "../../inference/engine.ts";
import type { ModelRegistry } from "../../inference/model_registry.ts";
import type { ServiceMetrics } from "../../metrics/service_metrics.ts";
import { docsRoutes } from "./docs.ts";
import type { FeedbackStore } from "../../feedback/store.ts";
import { feedbackRoutes } from "./feedback.ts";
import { healthRoutes } from "./health.ts";
import { metricsRoutes } from "./metrics.ts";
import { modelRoutes } from "./models.ts";
import { predictRoutes } from "./predict.ts";
import { predictNumberRoutes } from "./predict_number.ts";
import { v2Routes } from "./v2.ts";

export interface ApiOptions {
  registry: ModelRegistry;
  engine: InferenceEngine;
  metrics: ServiceMetrics;
  maxBodyBytes: number;
  decodeBudget?: DecodeLanes;
  bigDecodes?: BigDecodePool;
  /** True once the server is shutting down (health probes answer 503). */
  draining?: () => boolean;
  /** The feedback store and admin token; no /feedback routes when absent (`--feedback off`). */
  feedback?: FeedbackOptions;
}

export interface FeedbackOptions {
  store: FeedbackStore;
  adminToken: string | null;
}

/** The API's routes; `/openapi.json` documents the ones that declare `documented(...)`. */
export function apiRoutes(options: ApiOptions): Hono {
  const { registry, engine, metrics, maxBodyBytes, draining = () => false, feedback } = options;
  const { decodeBudget, bigDecodes } = options;
  const api = new Hono()
    .route("/", predictRoutes({ registry, engine, maxBodyBytes, decodeBudget, bigDecodes }))
    .route("/", predictNumberRoutes({ registry, engine, maxBodyBytes, decodeBudget }))
    .route("/", modelRoutes(registry))
    .route("/", healthRoutes(registry, draining))
    .route("/", metricsRoutes(metrics))
    .route("/", v2Routes({ registry, engine, maxBodyBytes, draining }));
  if (feedback) {
    const isServedModel = (name: string) => registry.find(name) !== undefined;
    api.route("/", feedbackRoutes({ ...feedback, isServedModel, maxBodyBytes }));
  }
  return api.route("/", docsRoutes(() => api.routes));
}
