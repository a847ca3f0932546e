/**
 * `GET /health`: healthy once at least one model is loaded and warmed up (the process only
 * starts listening after that), with the served models' versions.
 *
 * @module
 */
import { Hono } from "hono";
import type { ModelRegistry } from "../../inference/model_registry.ts";
import { listingOf } from "../../lib/model_metadata.ts";
import { VERSION } from "../../lib/version.ts";
import { probe } from "../../middleware/route_marks.ts";
import { documented, json, type Operation } from "./openapi.ts";

export function healthRoutes(registry: ModelRegistry): Hono {
  const app = new Hono();
  app.get("/health", documented(HEALTH_DOCS), probe, function health(c) {
    const models = registry.models().map(({ metadata }) => {
      const { name, version, precision } = listingOf(metadata);
      return { name, version, precision };
    });
    const healthy = registry.defaultName !== null;
    return c.json(
      {
        status: healthy ? "healthy" : "unhealthy",
        ...(healthy ? {} : { message: "no model is loaded; see the server's start-up log" }),
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
    "503": json({ $ref: "#/components/schemas/Health" }, "No model loaded"),
  },
};
