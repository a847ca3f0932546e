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

export interface RequestTimeoutOptions {
  /** Milliseconds from the request reaching the app to its answer. */
  timeoutMs: number;
}

/**
 * @example
 * ```ts
 * app.use("/predict", requestTimeout({ timeoutMs: 10_000 }));
 * ```
 */
export function requestTimeout({ timeoutMs }: RequestTimeoutOptions): MiddlewareHandler {
  if (!(timeoutMs > 0)) throw new RangeError("timeoutMs must be positive");
  return async function limitRequestTime(c, next) {
    const cutOff = new AbortController();
    let bodyReceived = c.req.raw.body === null;
    if (!bodyReceived) {
      // Route the body through a stream we can abort: aborting errors the handler's read with
      // our error (mapped to 408 should anything still see it) and cancels the upload.
      const watch = new TransformStream<Uint8Array, Uint8Array>({
        flush() {
          bodyReceived = true;
        },
      });
      c.req.raw = new Request(c.req.raw, {
        body: c.req.raw.body!.pipeThrough(watch, { signal: cutOff.signal }),
      });
    }

    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), timeoutMs);
    });
    const work = next().then(() => "done" as const);
    const outcome = await Promise.race([work, expired]);
    clearTimeout(timer);
    if (outcome === "done") return;

    const error = bodyReceived
      ? new DigitlabError("overloaded", `the request took longer than ${timeoutMs} ms`)
      : new DigitlabError(
        "request_timeout",
        `the body did not arrive within ${timeoutMs} ms`,
      );
    cutOff.abort(error);
    // The handler finishes in the background (it sees the aborted body at once); its answer
    // is dropped and any error it throws has already been turned into a response by Hono.
    work.catch(() => {});
    return errorWithHeaders(c, error, bodyReceived ? { "Retry-After": "1" } : {});
  };
}
