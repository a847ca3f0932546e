/**
 * A cap on work in progress: past `maxConcurrent` requests at once, the next one is answered
 * 503 with Retry-After at once instead of waiting in a queue that grows without bound (a
 * queue only turns a burst into timeouts and memory). With `perClient`, one client (see
 * client_key.ts) may hold at most that many of the slots, so one address cannot take them all.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { DigitlabError } from "../lib/errors.ts";
import { errorWithHeaders } from "./error_response.ts";

export interface ConcurrencyLimitOptions {
  /** Requests allowed in progress at once. */
  maxConcurrent: number;
  /** Seconds a refused client is told to wait (Retry-After). */
  retryAfterSeconds?: number;
  /** Slots one client may hold at once; no per-client cap when absent. */
  perClient?: number;
  /** Which client a request is from (the per-client cap counts by it). */
  keyOf?(c: Context): string;
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
  const { maxConcurrent, retryAfterSeconds = 1, perClient = Infinity, keyOf } = options;
  if (!(maxConcurrent >= 1)) throw new RangeError("maxConcurrent must be at least 1");
  if (!(perClient >= 1)) throw new RangeError("perClient must be at least 1");
  let inFlight = 0;
  const byClient = new Map<string, number>();
  const limit = async function limitConcurrency(c, next) {
    const client = perClient < Infinity && keyOf ? keyOf(c) : "";
    const mine = byClient.get(client) ?? 0;
    if (inFlight >= maxConcurrent || mine >= perClient) {
      const why = inFlight >= maxConcurrent
        ? `the server is busy (${maxConcurrent} requests in progress)`
        : `this client has ${perClient} requests in progress`;
      return errorWithHeaders(
        c,
        new DigitlabError("overloaded", `${why}; retry shortly`),
        { "Retry-After": String(retryAfterSeconds) },
      );
    }
    inFlight++;
    byClient.set(client, mine + 1);
    try {
      // The slot is held until the work ends, even if a timeout answered the client first:
      // what is bounded is the work, not the responses.
      await next();
    } finally {
      inFlight--;
      const left = byClient.get(client)! - 1;
      if (left > 0) byClient.set(client, left);
      else byClient.delete(client);
    }
  } as ConcurrencyLimit;
  limit.inFlight = () => inFlight;
  return limit;
}
