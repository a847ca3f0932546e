/**
 * A body limit answering with our `payload_too_large` error (413 JSON), so every route that
 * reads a body rejects oversized ones the same way. A declared Content-Length is checked
 * before anything is read, as Hono's `bodyLimit` does; a body without one (chunked) is counted
 * as the handler reads it, piece by piece, where Hono's reads it whole first: a handler that
 * looks at the first piece (an image's head, to refuse a bomb early) sees it before the rest
 * is read, whatever the framing.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { DigitlabError } from "../lib/errors.ts";

/**
 * Rejects bodies over `maxBytes`: before the handler runs when their Content-Length says so,
 * else once the handler has read past it (its read fails with the 413 and the rest is left
 * unread).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.post("/upload", limitBody(1024), async (c) => c.text(await c.req.text()));
 * ```
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = () =>
    new DigitlabError("payload_too_large", `the body is over the ${maxBytes} byte limit`);
  return async function limitBodySize(c, next) {
    const request = c.req.raw;
    if (request.body === null) return await next();
    const length = request.headers.get("content-length");
    // The runtime ends a body at its Content-Length, so a declared one can be trusted.
    if (length !== null && !request.headers.has("transfer-encoding")) {
      if (parseInt(length, 10) > maxBytes) throw tooLarge();
      return await next();
    }
    c.req.raw = countedRequest(request, maxBytes, tooLarge);
    await next();
  };
}

/** `request` with a body that fails with `tooLarge()` once more than `maxBytes` arrive. */
function countedRequest(request: Request, maxBytes: number, tooLarge: () => Error): Request {
  const reader = request.body!.getReader();
  let bytes = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await reader.read();
      if (chunk.done) return controller.close();
      bytes += chunk.value.length;
      if (bytes <= maxBytes) return controller.enqueue(chunk.value);
      controller.error(tooLarge());
      // Left unread, not cancelled: cancelling Deno 2.9's body part-way can make the runtime
      // drain the rest at a cost quadratic in its pieces (see watched_body.ts).
      reader.releaseLock();
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  // A new request from the parts the app reads, as watched_body.ts makes (not following the
  // original's abort signal).
  return new Request(request.url, { method: request.method, headers: request.headers, body });
}
