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
import { clientOf, identifyClients } from "./client_key.ts";
import { concurrencyLimit } from "./concurrency_limit.ts";
import { corsAllowList } from "./cors.ts";
import { rateLimit } from "./rate_limit.ts";
import { requestTimeout } from "./request_timeout.ts";
import { probe, routeHas, runsModel } from "./route_marks.ts";
import type { UploadsInProgress } from "./uploads.ts";

export { clientKey, clientOf, identifyClients } from "./client_key.ts";
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
  // Hostile clients (#17): per-client fairness and the decoded-pixel budget.
  /** Inference requests one client may have in progress at once. */
  perClientConcurrent: number;
  /** Bytes of decoded images in flight at once (inference/decode_budget.ts). */
  decodeMemoryBytes: number;
  /** Take the client's address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean;
}

export const DEFAULT_LIMITS: RequestLimits = {
  maxConcurrent: 128,
  requestTimeoutMs: 10_000,
  rateLimit: null,
  corsOrigins: [],
  perClientConcurrent: 64,
  // Sized for a 1 GB VM: ~175 MB baseline + this + headroom stays under the unit's MemoryHigh.
  decodeMemoryBytes: 192 * 1024 * 1024,
  trustProxy: false,
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
  const chain: MiddlewareHandler[] = [identifyClients({ trustProxy: limits.trustProxy })];
  if (limits.corsOrigins.length > 0) chain.push(corsAllowList(limits.corsOrigins));
  if (limits.rateLimit) {
    const limit = rateLimit({ ...limits.rateLimit, keyOf: clientOf });
    chain.push(when((c) => !isProbe(c), limit));
  }
  chain.push(when(isWorkRequest, requestTimeout({ timeoutMs: limits.requestTimeoutMs, uploads })));
  chain.push(when(
    isWorkRequest,
    concurrencyLimit({
      maxConcurrent: limits.maxConcurrent,
      perClient: limits.perClientConcurrent,
      keyOf: clientOf,
    }),
  ));
  return chain;
}

function when(applies: (c: Context) => boolean, middleware: MiddlewareHandler): MiddlewareHandler {
  return function onlyWhenApplicable(c, next) {
    return applies(c) ? middleware(c, next) : next();
  };
}
