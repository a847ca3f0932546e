/**
 * `GET /metrics`: Prometheus text format (see metrics/service_metrics.ts for what is in it).
 *
 * @module
 */
import { Hono } from "hono";
import { PROMETHEUS_CONTENT_TYPE } from "../../metrics/prometheus.ts";
import type { ServiceMetrics } from "../../metrics/service_metrics.ts";

export function metricsRoutes(metrics: ServiceMetrics): Hono {
  const app = new Hono();
  app.get("/metrics", function prometheusMetrics(c) {
    return c.body(metrics.render(), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
  });
  return app;
}
