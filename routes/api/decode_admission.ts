/**
 * Admission for the routes that decode an uploaded image (`/predict`, `/predict/number`): the
 * pixels an image decodes to are reserved in the server's decode budget before it is decoded
 * (a small file can be huge inside), and past the budget the answer is 503 + Retry-After. One
 * path for both routes, so a bomb gets the same answer from each.
 *
 * An upload can be refused from its head, before the rest of its body is read: when its
 * image's lane would refuse it now, reading 100+ KB of a bomb only to refuse it is work the
 * HTTP thread takes from every other request (a burst of 128 bombs is ~100 ms of it).
 *
 * @module
 */
import type { Context } from "hono";
import { DigitlabError } from "../../lib/errors.ts";
import { decodeCost, type DecodeLanes } from "../../inference/decode_budget.ts";
import { readImageHeader } from "../../inference/image_header.ts";
import { clientOf } from "../../middleware/client_key.ts";
import { errorWithHeaders } from "../../middleware/error_response.ts";
import type { Upload } from "./request_image.ts";

/** The routes that come in through admitUpload (server/big_upload_shed.ts sheds for them). */
export const IMAGE_UPLOAD_PATHS = ["/predict", "/predict/number"] as const;

/**
 * One error for every refusal: a burst of them builds no error (and stack trace) each.
 * server/big_upload_shed.ts answers the same one before the app.
 */
export const BUDGET_FULL = new DigitlabError(
  "overloaded",
  "too many large images are being decoded; retry shortly",
);

function refused(c: Context): Response {
  return errorWithHeaders(c, BUDGET_FULL, { "Retry-After": "1" });
}

/**
 * Runs `answer` (which decodes `bytes`) holding its share of its lane of `budget` (unbounded
 * when absent), released when it settles. Throws the header's 415/422 for what is not a PNG or JPEG in limits.
 */
async function admitDecode(
  c: Context,
  budget: DecodeLanes | undefined,
  bytes: Uint8Array,
  answer: () => Promise<Response>,
): Promise<Response> {
  const header = readImageHeader(bytes);
  const release = budget?.laneFor(header).reserve(decodeCost(header, bytes), clientOf(c));
  if (release === null) return refused(c);
  try {
    return await answer();
  } finally {
    release?.();
  }
}

/** Thrown by the head check to stop reading a body (always this one object). */
const REFUSED_AT_HEAD = new Error("refused at the image's head");

/**
 * Reads an upload with `read`, whose `atImageHead` sees the first bytes of the image (its
 * header) before the rest of the body is read: when its lane of `budget` would refuse it now,
 * the answer is 503 + Retry-After at once and the rest is left unread (the runtime discards
 * it, as after any early answer). Otherwise `answer` decodes the upload holding its share of
 * its lane (admitDecode). Both /predict and /predict/number come in this way.
 *
 * @example
 * ```ts
 * import type { Context } from "hono";
 * import { readUpload } from "./request_image.ts";
 * declare const c: Context;
 *
 * const response = await admitUpload(
 *   c,
 *   undefined,
 *   (atImageHead) => readUpload(c.req.raw, null, undefined, atImageHead),
 *   ({ bytes }) => Promise.resolve(c.json({ bytes: bytes.length })),
 * );
 * ```
 */
export async function admitUpload(
  c: Context,
  budget: DecodeLanes | undefined,
  read: (atImageHead?: (head: Uint8Array) => void) => Promise<Upload>,
  answer: (upload: Upload) => Promise<Response>,
): Promise<Response> {
  let upload: Upload;
  try {
    upload = await read(
      budget && ((head) => {
        if (refusesNow(c, budget, head)) throw REFUSED_AT_HEAD;
      }),
    );
  } catch (error) {
    if (error === REFUSED_AT_HEAD) return refused(c);
    throw error;
  }
  return await admitDecode(c, budget, upload.bytes, () => answer(upload));
}

/** Whether the image whose first bytes are `head` would be refused now (false: can't tell). */
function refusesNow(c: Context, budget: DecodeLanes, head: Uint8Array): boolean {
  let header;
  try {
    header = readImageHeader(head);
  } catch {
    return false; // a header past the first piece, or a bad one: the whole body decides
  }
  return !budget.laneFor(header).admits(decodeCost(header, head), clientOf(c));
}
