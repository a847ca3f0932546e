/**
 * `GET /health`: healthy once at least one model is loaded and warmed up (the process only
 * starts listening after that), with the served models' versions; 503 "draining" from the
 * moment a shutdown starts, so load balancers stop sending before the server stops.
 *
 * @module
 */
import { Hono } from "hono";
import type { ModelRegistry } from "../../inference/model_registry.ts";
import { listingOf } from "../../lib/model_metadata.ts";
import { VERSION } from "../../lib/version.ts";
import { probe } from "../../middleware/route_marks.ts";
import { documented, json, type Operation } from "./openapi.ts";

export function healthRoutes(registry: ModelRegistry, draining = () => false): Hono {
  const app = new Hono();
  app.get("/health", documented(HEALTH_DOCS), probe, function health(c) {
    const models = registry.models().map(({ metadata }) => {
      const { name, version, precision } = listingOf(metadata);
      return { name, version, precision };
    });
    const loaded = registry.defaultName !== null;
    const healthy = loaded && !draining();
    return c.json(
      {
        status: healthy ? "healthy" : loaded ? "draining" : "unhealthy",
        ...(healthy ? {} : {
          message: loaded
            ? "shutting down: finishing requests in progress"
            : "no model is loaded; see the server's start-up log",
        }),
        version: VERSION,
        default: registry.defaultName,
        models,
      },
      healthy ? 200 : 503,
    );
  });
  return app;
}

const HEALTH_DOCS: Operation = {
  summary: "Liveness and readiness",
  responses: {
    "200": json({ $ref: "#/components/schemas/Health" }, "Models loaded and warmed up"),
    "503": json({ $ref: "#/components/schemas/Health" }, "No model loaded, or shutting down"),
  },
};
