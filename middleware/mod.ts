/**
 * Limits that keep the service answering under floods, slow clients and bad neighbours:
 * CORS (off unless an allow-list is set), a per-client rate limit (off unless set), a request
 * deadline and a cap on concurrent work. app.ts mounts them all with one `app.use`; which
 * routes get the deadline and the cap, and which skip the rate limit, each route declares
 * with a mark (`runsModel`, `probe`: route_marks.ts).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { concurrencyLimit } from "./concurrency_limit.ts";
import { corsAllowList } from "./cors.ts";
import { rateLimit } from "./rate_limit.ts";
import { requestTimeout } from "./request_timeout.ts";
import { probe, routeHas, runsModel } from "./route_marks.ts";
import type { UploadsInProgress } from "./uploads.ts";

export { concurrencyLimit } from "./concurrency_limit.ts";
export { corsAllowList } from "./cors.ts";
export { peerAddress, rateLimit } from "./rate_limit.ts";
export { requestTimeout } from "./request_timeout.ts";
export { probe, runsModel } from "./route_marks.ts";
export { UploadsInProgress } from "./uploads.ts";

export interface RequestLimits {
  /** Inference requests in progress at once; more get 503 + Retry-After. */
  maxConcurrent: number;
  /** Deadline for an inference request, body upload included (408 / 503 past it). */
  requestTimeoutMs: number;
  /** Per-client token bucket; null turns it off. */
  rateLimit: { ratePerSecond: number; burst: number } | null;
  /** Origins allowed to call the API from browsers; empty turns CORS off. */
  corsOrigins: string[];
}

export const DEFAULT_LIMITS: RequestLimits = {
  maxConcurrent: 128,
  requestTimeoutMs: 10_000,
  rateLimit: null,
  corsOrigins: [],
};

/** Requests to a route that runs a model: the ones that cost CPU and memory. */
function isWorkRequest(c: Context): boolean {
  return routeHas(c, runsModel);
}

function isProbe(c: Context): boolean {
  return routeHas(c, probe);
}

/**
 * The middleware for `limits`, in the order they must run: CORS first (preflights need no
 * quota), then the rate limit, the deadline (outside the cap, so a timed-out request keeps
 * its slot until its work really ends) and the cap. Bodies still arriving are counted in
 * `uploads`, for a graceful shutdown to wait on.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.use(...requestLimits(DEFAULT_LIMITS));
 * ```
 */
export function requestLimits(
  limits: RequestLimits,
  uploads?: UploadsInProgress,
): MiddlewareHandler[] {
  const chain: MiddlewareHandler[] = [];
  if (limits.corsOrigins.length > 0) chain.push(corsAllowList(limits.corsOrigins));
  if (limits.rateLimit) {
    chain.push(when((c) => !isProbe(c), rateLimit(limits.rateLimit)));
  }
  chain.push(when(isWorkRequest, requestTimeout({ timeoutMs: limits.requestTimeoutMs, uploads })));
  chain.push(when(isWorkRequest, concurrencyLimit({ maxConcurrent: limits.maxConcurrent })));
  return chain;
}

function when(applies: (c: Context) => boolean, middleware: MiddlewareHandler): MiddlewareHandler {
  return function onlyWhenApplicable(c, next) {
    return applies(c) ? middleware(c, next) : next();
  };
}
