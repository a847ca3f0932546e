/**
 * Admission for the routes that decode an uploaded image (`/predict`, `/predict/number`): the
 * pixels an image decodes to are reserved in the server's decode budget before it is decoded
 * (a small file can be huge inside), and past the budget the answer is 503 + Retry-After. One
 * path for both routes, so a bomb gets the same answer from each.
 *
 * @module
 */
import type { Context } from "hono";
import { DigitlabError } from "../../lib/errors.ts";
import { decodeCost, type DecodeLanes } from "../../inference/decode_budget.ts";
import { readImageHeader } from "../../inference/image_header.ts";
import { clientOf } from "../../middleware/client_key.ts";
import { errorWithHeaders } from "../../middleware/error_response.ts";

/**
 * Runs `answer` (which decodes `bytes`) holding its share of its lane of `budget` (unbounded
 * when absent),
 * released when it settles. Throws the header's 415/422 for what is not a PNG or JPEG in limits.
 */
export async function admitDecode(
  c: Context,
  budget: DecodeLanes | undefined,
  bytes: Uint8Array,
  answer: () => Promise<Response>,
): Promise<Response> {
  const header = readImageHeader(bytes);
  const release = budget?.laneFor(header).reserve(decodeCost(header, bytes), clientOf(c));
  if (release === null) {
    return errorWithHeaders(
      c,
      new DigitlabError("overloaded", "too many large images are being decoded; retry shortly"),
      { "Retry-After": "1" },
    );
  }
  try {
    return await answer();
  } finally {
    release?.();
  }
}
