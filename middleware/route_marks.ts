/**
 * Marks a route declares about itself, read by the app-wide middleware: a route that runs a
 * model gets the deadline and the concurrency cap, a probe skips the rate limit. The mark sits
 * in the route's own declaration, so a new route cannot be left out of a list kept elsewhere.
 *
 * A mark is a middleware that does nothing but pass on; the app-wide middleware runs before
 * it and finds it among the routes Hono matched for the request (routing happens first).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";

/**
 * Declares that a route runs a model: it gets the request deadline and a slot under the
 * concurrency cap (middleware/mod.ts).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * const app = new Hono();
 * app.post("/predict", runsModel, (c) => c.json({ result: 7 }));
 * ```
 */
export const runsModel: MiddlewareHandler = function runsModel(_c, next) {
  return next();
};

/**
 * Declares that a route is polled by orchestrators and Prometheus from one address: it is
 * never rate limited.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * const app = new Hono();
 * app.get("/health", probe, (c) => c.json({ status: "healthy" }));
 * ```
 */
export const probe: MiddlewareHandler = function probe(_c, next) {
  return next();
};

/** Whether a route matched for `c`'s request carries `mark`. */
export function routeHas(c: Context, mark: MiddlewareHandler): boolean {
  return matchedRoutes(c).some(({ handler }) => handler === mark);
}
