/**
 * `GET /metrics`: Prometheus text format (see metrics/service_metrics.ts for what is in it).
 *
 * @module
 */
import { Hono } from "hono";
import { PROMETHEUS_CONTENT_TYPE } from "../../metrics/prometheus.ts";
import type { ServiceMetrics } from "../../metrics/service_metrics.ts";
import { probe } from "../../middleware/route_marks.ts";
import { documented, type Operation } from "./openapi.ts";

export function metricsRoutes(metrics: ServiceMetrics): Hono {
  const app = new Hono();
  app.get("/metrics", documented(METRICS_DOCS), probe, function prometheusMetrics(c) {
    return c.body(metrics.render(), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
  });
  return app;
}

const METRICS_DOCS: Operation = {
  summary: "Prometheus metrics (text format 0.0.4)",
  description: "Requests by route and status, request latency, batch inference time " +
    "and size, queue length, models loaded (name, version), process memory.",
  responses: {
    "200": {
      description: "Metrics",
      content: { "text/plain": { schema: { type: "string" } } },
    },
  },
};
