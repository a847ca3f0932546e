/**
 * Which client a request is from, for the per-client limits (rate, concurrency, decode
 * memory): the peer's address, or, only when the operator says a proxy is in front
 * (`--trust-proxy`), the address that proxy appended to `X-Forwarded-For` (the last entry:
 * earlier ones are whatever the client claimed). Trusting the header without a proxy would let
 * every request name its own client and escape the limits.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { peerAddress } from "./rate_limit.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Set by identifyClients: the key per-client limits count under. */
    client: string;
  }
}

/** The client key of a request, as identifyClients set it (the peer address otherwise). */
export function clientOf(c: Context): string {
  return c.get("client") ?? peerAddress(c);
}

/**
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.use(identifyClients({ trustProxy: false }));
 * ```
 */
export function identifyClients({ trustProxy }: { trustProxy: boolean }): MiddlewareHandler {
  return async function identifyClient(c, next) {
    c.set("client", clientKey(c.req.header("x-forwarded-for"), peerAddress(c), trustProxy));
    await next();
  };
}

/** The key per-client limits count a request from `peer` with this X-Forwarded-For under. */
export function clientKey(
  forwardedFor: string | null | undefined,
  peer: string,
  trustProxy: boolean,
): string {
  const last = trustProxy ? forwardedFor?.split(",").at(-1)?.trim() : undefined;
  return last ? last.slice(0, 64) : peer;
}
