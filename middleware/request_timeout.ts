/**
 * A deadline for each request. A client that has not finished sending its body by then gets
 * 408 and its upload is cut off (a slow-loris sender cannot hold the server); a request whose
 * work runs past it gets 503 with Retry-After.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { DigitlabError } from "../lib/errors.ts";
import { errorWithHeaders } from "./error_response.ts";
import type { UploadsInProgress } from "./uploads.ts";
import { watchBody } from "./watched_body.ts";
import { idleCollector } from "./idle_collect.ts";

export interface RequestTimeoutOptions {
  /** Milliseconds from the request reaching the app to its answer. */
  timeoutMs: number;
  /** Where bodies still arriving are counted, for a graceful shutdown to wait on. */
  uploads?: UploadsInProgress;
}

/**
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.use("/predict", requestTimeout({ timeoutMs: 10_000 }));
 * ```
 */
export function requestTimeout({ timeoutMs, uploads }: RequestTimeoutOptions): MiddlewareHandler {
  if (!(timeoutMs > 0)) throw new RangeError("timeoutMs must be positive");
  return async function limitRequestTime(c, next) {
    const body = watchBody(c.req.raw);
    c.req.raw = body.request;
    uploads?.track(body.arrived);

    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), timeoutMs);
    });
    const work = next().then(() => "done" as const);
    const outcome = await Promise.race([work, expired]).finally(() => {
      clearTimeout(timer);
      idleCollector.noteBody(body.received());
    });
    if (outcome === "done") return;

    const error = body.complete()
      ? new DigitlabError("overloaded", `the request took longer than ${timeoutMs} ms`)
      : new DigitlabError("request_timeout", `the body did not arrive within ${timeoutMs} ms`);
    body.cutOff(error);
    // The handler finishes in the background (it sees the cut-off body at once); its answer
    // is dropped and any error it throws has already been turned into a response by Hono.
    work.catch(() => {});
    return errorWithHeaders(c, error, body.complete() ? { "Retry-After": "1" } : {});
  };
}
