/**
 * Middleware answer clients before any route runs, so they build the error response
 * themselves: the same `{"error", "message"}` body as app.ts's handler, plus the headers
 * (Retry-After) a thrown error could not carry.
 *
 * @module
 */
import type { Context } from "hono";
import type { DigitlabError } from "../lib/errors.ts";

export function errorWithHeaders(
  c: Context,
  error: DigitlabError,
  headers: Record<string, string>,
): Response {
  return c.json(error.toJSON(), error.status as 400, headers);
}
