/**
 * Cross-origin access for an explicit allow-list of origins. Without a list there is no CORS
 * middleware at all: browsers then keep other sites' pages from reading our answers.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/**
 * Allows `origins` (exact `scheme://host[:port]` strings, or `*` for any) to call the API from
 * a browser; other origins get no CORS headers.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.use(corsAllowList(["https://digits.example.org"]));
 * ```
 */
export function corsAllowList(origins: string[]): MiddlewareHandler {
  if (origins.length === 0) throw new RangeError("an empty allow-list: leave CORS off instead");
  const allowed = new Set(origins);
  return cors({
    origin: allowed.has("*") ? "*" : (origin) => allowed.has(origin) ? origin : null,
    allowMethods: ["GET", "POST", "OPTIONS"],
    allowHeaders: ["Content-Type"],
    maxAge: 600,
  });
}
