/**
 * A per-client token bucket: each client (by IP address) may send `burst` requests at once
 * and `ratePerSecond` on average; past that it gets 429 with Retry-After.
 *
 * Off unless configured. Behind a reverse proxy every request comes from the proxy's address,
 * so limit there instead (or pass `keyOf`).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { DigitlabError } from "../lib/errors.ts";
import { errorWithHeaders } from "./error_response.ts";

export interface RateLimitOptions {
  /** Tokens added per second: the sustained request rate allowed per client. */
  ratePerSecond: number;
  /** Bucket size: how many requests a client may send in one burst. */
  burst: number;
  /** Which client a request is from; the peer's IP address by default. */
  keyOf?(c: Context): string;
  /** Clients remembered at most; past it the least recently seen is forgotten. */
  maxClients?: number;
  /** The clock, in milliseconds (tests pass their own). */
  now?(): number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** The peer address Deno.serve hands Hono as `c.env`; "unknown" when served some other way. */
export function peerAddress(c: Context): string {
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return info?.remoteAddr?.hostname ?? "unknown";
}

/**
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.use(rateLimit({ ratePerSecond: 10, burst: 20 }));
 * ```
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const { ratePerSecond, burst, keyOf = peerAddress, maxClients = 10_000 } = options;
  const now = options.now ?? (() => performance.now());
  if (!(ratePerSecond > 0) || !(burst >= 1)) {
    throw new RangeError("ratePerSecond must be positive and burst at least 1");
  }
  // A Map iterates in insertion order; re-inserting on every use keeps it least-recent first.
  const buckets = new Map<string, Bucket>();

  return async function limitRate(c, next) {
    const key = keyOf(c);
    const time = now();
    const bucket = buckets.get(key) ?? { tokens: burst, updatedAt: time };
    buckets.delete(key);
    const refill = (time - bucket.updatedAt) / 1000 * ratePerSecond;
    bucket.tokens = Math.min(burst, bucket.tokens + refill);
    bucket.updatedAt = time;
    buckets.set(key, bucket);
    if (buckets.size > maxClients) buckets.delete(buckets.keys().next().value!);

    if (bucket.tokens < 1) {
      const waitSeconds = Math.ceil((1 - bucket.tokens) / ratePerSecond);
      return errorWithHeaders(
        c,
        new DigitlabError(
          "rate_limited",
          `too many requests: the limit is ${ratePerSecond} per second (bursts of ${burst})`,
        ),
        { "Retry-After": String(waitSeconds) },
      );
    }
    bucket.tokens -= 1;
    await next();
  };
}
