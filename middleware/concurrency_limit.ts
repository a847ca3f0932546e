/**
 * A cap on work in progress: past `maxConcurrent` requests at once, the next one is answered
 * 503 with Retry-After at once instead of waiting in a queue that grows without bound (a
 * queue only turns a burst into timeouts and memory).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { DigitlabError } from "../lib/errors.ts";
import { errorWithHeaders } from "./error_response.ts";

export interface ConcurrencyLimitOptions {
  /** Requests allowed in progress at once. */
  maxConcurrent: number;
  /** Seconds a refused client is told to wait (Retry-After). */
  retryAfterSeconds?: number;
}

/** The middleware, and how many requests it is holding now (for tests and metrics). */
export interface ConcurrencyLimit extends MiddlewareHandler {
  inFlight(): number;
}

/**
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.use("/predict", concurrencyLimit({ maxConcurrent: 64 }));
 * ```
 */
export function concurrencyLimit(options: ConcurrencyLimitOptions): ConcurrencyLimit {
  const { maxConcurrent, retryAfterSeconds = 1 } = options;
  if (!(maxConcurrent >= 1)) throw new RangeError("maxConcurrent must be at least 1");
  let inFlight = 0;
  const limit = async function limitConcurrency(c, next) {
    if (inFlight >= maxConcurrent) {
      return errorWithHeaders(
        c,
        new DigitlabError(
          "overloaded",
          `the server is busy (${maxConcurrent} requests in progress); retry shortly`,
        ),
        { "Retry-After": String(retryAfterSeconds) },
      );
    }
    inFlight++;
    try {
      // The slot is held until the work ends, even if a timeout answered the client first:
      // what is bounded is the work, not the responses.
      await next();
    } finally {
      inFlight--;
    }
  } as ConcurrencyLimit;
  limit.inFlight = () => inFlight;
  return limit;
}
