/**
 * The optional `strokes` field of `POST /predict/number`: the page's pen strokes, a JSON
 * array of strokes, each an array of `[x, y]` points in the page's unit coordinates (pixels
 * divided by the image's height). Sent as a multipart field (JSON text) or a member of the
 * JSON body (the array, or the same JSON text).
 *
 * @module
 */
import { DigitlabError } from "../../lib/errors.ts";
import type { UnitStroke } from "../../lib/number_segmentation.ts";
import { type JsonLimits, parseJsonField } from "./json_guard.ts";

/** The field's name, in multipart bodies and JSON bodies alike. */
export const STROKES_FIELD = "strokes";

/** More strokes or points than this is not a drawing: refused before any work. */
export const MAX_STROKES = 500;
export const MAX_STROKE_POINTS = 20_000;

/** The most a JSON body with strokes holds: two numbers a point, the strokes, a few fields. */
export const STROKES_JSON_LIMITS: JsonLimits = {
  maxValues: 2 * MAX_STROKE_POINTS + MAX_STROKES + 64,
};

/** The strokes a request sent (null when it sent none); throws `bad_request` when malformed. */
export function parseStrokes(value: unknown): UnitStroke[] | null {
  if (value === undefined || value === null || value === "") return null;
  let strokes: unknown = value;
  if (typeof value === "string") {
    // Sent as text (a multipart field): refused unparsed when it holds more than strokes can.
    strokes = parseJsonField(value, STROKES_JSON_LIMITS, bad);
  }
  if (!Array.isArray(strokes)) throw bad("must be an array of strokes");
  if (strokes.length > MAX_STROKES) throw bad(`has over ${MAX_STROKES} strokes`);
  let points = 0;
  for (const stroke of strokes) {
    if (!Array.isArray(stroke)) throw bad("must hold arrays of [x, y] points");
    points += stroke.length;
    if (points > MAX_STROKE_POINTS) throw bad(`has over ${MAX_STROKE_POINTS} points`);
    for (const point of stroke) {
      if (
        !Array.isArray(point) || point.length !== 2 || !Number.isFinite(point[0]) ||
        !Number.isFinite(point[1])
      ) {
        throw bad("must hold points as [x, y] pairs of finite numbers");
      }
    }
  }
  return strokes as UnitStroke[];
}

function bad(why: string): DigitlabError {
  return new DigitlabError("bad_request", `the "${STROKES_FIELD}" field ${why}`);
}
