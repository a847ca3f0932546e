/**
 * One middleware for what every request leaves behind: a request id (the client's
 * `X-Request-Id` when it is sane, else a new one, echoed in the response), a Prometheus
 * observation and one log line (`--log-format json|text|none`).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { threeDecimals } from "../lib/three_decimals.ts";
import type { ServiceMetrics } from "./service_metrics.ts";

export type LogFormat = "json" | "text" | "none";

export const LOG_FORMATS: readonly LogFormat[] = ["json", "text", "none"];

/** Where an inference request's time went: the batcher's queue, and its batch's model run. */
export interface BatchNote {
  queueMs: number;
  inferenceMs: number;
  batchSize: number;
}

/**
 * What routes note about a request for its log line, in Hono's typed context: a route sets
 * `c.set("model", name)` once it knows which model answers, `c.set("batch", ...)` once the
 * batch has run. Apps and route modules that note declare `new Hono<ObservedEnv>()`.
 */
export type ObservedEnv = { Variables: { model?: string; batch?: BatchNote } };

/** A line of the request log. */
export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  model: string | null;
  /** Inference requests: ms waiting for a free worker, ms of its batch's run, digits in it. */
  queueMs: number | null;
  inferenceMs: number | null;
  batch: number | null;
  requestId: string;
}

export function formatLogLine(entry: RequestLogEntry, format: "json" | "text"): string {
  if (format === "json") return JSON.stringify(entry);
  const model = entry.model ? ` model=${entry.model}` : "";
  const batch = entry.batch === null
    ? ""
    : ` queue=${entry.queueMs}ms inference=${entry.inferenceMs}ms batch=${entry.batch}`;
  return `${entry.time} ${entry.method} ${entry.path} ${entry.status} ${entry.ms}ms${model}` +
    `${batch} id=${entry.requestId}`;
}

/**
 * The metric label of the route that answered `c`'s request: its declared path with the
 * parameters named (`/models/{name}`), so a client cannot create a series per URL it invents;
 * "other" when no route matched. A model's version is not a route of its own: the versioned
 * v2 paths share their unversioned twin's series.
 */
export function routeLabel(c: Context): string {
  // The last match is the route itself; what comes before it is app-wide middleware.
  const path = matchedRoutes(c).at(-1)?.path ?? "";
  if (!path.startsWith("/") || path === "/*") return "other";
  return path.replace(/\/\*$/, "/{file}")
    .replace(/:(\w+)(?:\{[^}]*\})?/g, "{$1}")
    .replace("/versions/{version}", "");
}

/** Methods counted by name; any other (clients may invent them) is counted as "other". */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]);

/** A request method as a metric label: one series per standard method, "other" for the rest. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : "other";
}

/** Ids we pass on as they came: short, printable, no spaces or quotes. */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface ObserveOptions {
  metrics: ServiceMetrics;
  logFormat: LogFormat;
  /** Where log lines go; stdout (the journal) by default. */
  write?(line: string): void;
}

/**
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { ServiceMetrics } from "./service_metrics.ts";
 *
 * const metrics = new ServiceMetrics({ models: () => [], queued: () => 0 });
 * const app = new Hono<ObservedEnv>();
 * app.use(observeRequests({ metrics, logFormat: "json" }));
 * ```
 */
export function observeRequests(options: ObserveOptions): MiddlewareHandler<ObservedEnv> {
  const { metrics, logFormat, write = console.log } = options;
  return async function observeRequest(c, next) {
    const started = performance.now();
    const given = c.req.header("x-request-id");
    const requestId = given && SANE_ID.test(given) ? given : crypto.randomUUID();
    try {
      await next();
    } finally {
      // On an exception Hono's error handler has not set c.res yet: count it as the 500 it is.
      const status = c.res?.status ?? 500;
      c.res?.headers.set("X-Request-Id", requestId);
      const ms = threeDecimals(performance.now() - started);
      const path = c.req.path;
      metrics.observeRequest(routeLabel(c), methodLabel(c.req.method), status, ms);
      if (logFormat !== "none") {
        const model = c.get("model"), batch = c.get("batch");
        const entry: RequestLogEntry = {
          time: new Date().toISOString(),
          method: c.req.method,
          path,
          status,
          ms,
          model: model ?? null,
          queueMs: batch ? threeDecimals(batch.queueMs) : null,
          inferenceMs: batch ? threeDecimals(batch.inferenceMs) : null,
          batch: batch?.batchSize ?? null,
          requestId,
        };
        write(formatLogLine(entry, logFormat));
      }
    }
  };
}
