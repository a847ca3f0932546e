/**
 * The JSON API: `/predict`, `/models`, `/model_info`, `/health`, `/openapi.json` and `/docs`.
 *
 * @module
 */
import { Hono } from "hono";
import type { ModelRegistry } from "../../inference/model_registry.ts";
import { docsRoutes } from "./docs.ts";
import { healthRoutes } from "./health.ts";
import { modelRoutes } from "./models.ts";
import { predictRoutes } from "./predict.ts";

export interface ApiOptions {
  registry: ModelRegistry;
  maxBodyBytes: number;
}

export function apiRoutes({ registry, maxBodyBytes }: ApiOptions): Hono {
  return new Hono()
    .route("/", predictRoutes({ registry, maxBodyBytes }))
    .route("/", modelRoutes(registry))
    .route("/", healthRoutes(registry))
    .route("/", docsRoutes());
}
