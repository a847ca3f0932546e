/**
 * Hono's body limit, answering with our `payload_too_large` error (413 JSON) so every route
 * that reads a body rejects oversized ones the same way.
 *
 * @module
 */
import { bodyLimit } from "hono/body-limit";
import type { MiddlewareHandler } from "hono";
import { DigitlabError } from "../lib/errors.ts";

/** Rejects bodies over `maxBytes` before a handler reads them. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError() {
      throw new DigitlabError("payload_too_large", `the body is over the ${maxBytes} byte limit`);
    },
  });
}
