/**
 * Reads and checks a `POST /feedback` body (multipart fields `img`, `label`, `predicted`,
 * `model`, `strokes`, or the same as JSON with `image` in base64) into a NewFeedback. Every
 * problem is a DigitlabError (4xx) thrown before anything is stored: the image must decode and
 * hold ink, the labels must be digits, the strokes point pairs within the caps, the model one
 * this server serves.
 *
 * @module
 */
import { DigitlabError } from "../../lib/errors.ts";
import { sniffImageFormat } from "../../inference/image_header.ts";
import { mnistField } from "../../lib/preprocess.ts";
import { decodeImage } from "../../inference/image_decode.ts";
import type { NewFeedback, Stroke } from "../../feedback/store.ts";
import { type FormPart, formParts, multipartBoundary } from "./multipart_fields.ts";
import { decodeBase64Image, IMAGE_FIELD } from "./request_image.ts";
import { type JsonLimits, parseGuardedJson, parseJsonField } from "./json_guard.ts";

/**
 * The page sends 280x280 drawings; feedback images are decoded on the HTTP thread (to refuse
 * blank ones before storing), so larger ones are refused from their header (422).
 */
export const MAX_FEEDBACK_SIDE = 1024;

/** A drawing has a few strokes of a few hundred points; more is not a drawing. */
export const MAX_STROKES = 64;
export const MAX_STROKE_POINTS = 4096;

/** The fields besides the image, as text (multipart) or JSON values. */
const FIELDS = ["label", "predicted", "model", "strokes"] as const;
const FIELDS_AND_IMAGE = FIELDS.length + 1;

/** The most a JSON body can hold: the fields, the strokes, two numbers per point. */
const STROKES_JSON_LIMITS: JsonLimits = { maxValues: MAX_STROKES + 2 * MAX_STROKE_POINTS };
const FEEDBACK_JSON_LIMITS: JsonLimits = {
  maxValues: FIELDS_AND_IMAGE + STROKES_JSON_LIMITS.maxValues,
};

/** What the request says, before the checks. */
interface RawFeedback {
  image: Uint8Array;
  label: unknown;
  predicted: unknown;
  model: unknown;
  strokes: unknown;
}

/**
 * The validated example. `isServedModel` says whether a `model` name is one this server serves.
 */
export async function readFeedbackUpload(
  request: Request,
  isServedModel: (name: string) => boolean,
): Promise<NewFeedback> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  let raw: RawFeedback;
  if (type === "multipart/form-data") raw = await fromMultipart(request);
  else if (type === "application/json") raw = await fromJson(request);
  else {
    throw new DigitlabError(
      "unsupported_media_type",
      `cannot read a ${type || "typeless"} body: send multipart/form-data (fields "img", ` +
        `"label") or application/json {"image": "<base64>", "label": 7}`,
    );
  }
  const label = digit(raw.label, "label");
  if (label === null) throw new DigitlabError("missing_field", 'the field "label" is missing');
  const predicted = digit(raw.predicted, "predicted");
  const model = modelName(raw.model, isServedModel);
  const strokes = strokeList(raw.strokes);
  if (raw.image.length === 0) throw new DigitlabError("missing_field", "the image is empty");
  const format = sniffImageFormat(raw.image);
  if (format === null) {
    throw new DigitlabError("unsupported_media_type", "the image is neither a PNG nor a JPEG");
  }
  // Decoding proves it is a whole image; the MNIST field proves it holds a drawing.
  mnistField((await decodeImage(raw.image, MAX_FEEDBACK_SIDE)).image);
  return {
    label,
    predicted,
    model,
    strokes,
    image: raw.image.slice(),
    imageType: format === "png" ? "image/png" : "image/jpeg",
  };
}

async function fromMultipart(request: Request): Promise<RawFeedback> {
  const body = new Uint8Array(await request.arrayBuffer());
  let boundary: string;
  try {
    boundary = multipartBoundary(request.headers.get("content-type") ?? "");
  } catch (error) {
    if (error instanceof DigitlabError) throw error;
    throw new DigitlabError("malformed_multipart", "the multipart/form-data body does not parse");
  }
  const one = (field: string): FormPart | undefined => {
    const parts = formParts(body, boundary, field);
    if (parts.length > 1) {
      throw new DigitlabError("bad_request", `send one "${field}" field, not ${parts.length}`);
    }
    return parts[0];
  };
  const image = one(IMAGE_FIELD);
  if (!image) {
    throw new DigitlabError("missing_field", `multipart field "${IMAGE_FIELD}" is missing`);
  }
  if (!image.isFile) {
    throw new DigitlabError("missing_field", `field "${IMAGE_FIELD}" must be a file upload`);
  }
  const text = (part: FormPart | undefined) => part && DECODER.decode(part.bytes);
  const fields = Object.fromEntries(FIELDS.map((name) => [name, text(one(name))]));
  let strokes: unknown = fields.strokes;
  if (typeof strokes === "string") {
    // Refused unparsed when it holds more than strokes can, as a JSON body is.
    strokes = parseJsonField(
      strokes,
      STROKES_JSON_LIMITS,
      (why) => new DigitlabError("bad_request", `the "strokes" field ${why}`),
    );
  }
  return { image: image.bytes, ...fields, strokes } as RawFeedback;
}

async function fromJson(request: Request): Promise<RawFeedback> {
  let text = "";
  try {
    text = await request.text();
  } catch {
    // as before: a body that does not arrive whole does not parse either
  }
  const body = parseGuardedJson(text, FEEDBACK_JSON_LIMITS, "the JSON body does not parse");
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new DigitlabError(
      "bad_json",
      'the JSON body must be an object {"image": ..., "label": ...}',
    );
  }
  const fields = body as Record<string, unknown>;
  if (typeof fields.image !== "string") {
    throw new DigitlabError("missing_field", 'JSON needs "image": "<base64 or data URL>"');
  }
  return {
    image: decodeBase64Image(fields.image),
    label: fields.label,
    predicted: fields.predicted,
    model: fields.model,
    strokes: fields.strokes,
  };
}

const DECODER = new TextDecoder("utf-8", { fatal: false });

/** A digit 0-9 given as a JSON integer or as text; null when absent. */
function digit(value: unknown, field: string): number | null {
  if (value === undefined || value === null || value === "") return null;
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !/^\s*[0-9]\s*$/.test(text)) {
    throw new DigitlabError("bad_request", `"${field}" must be a digit from 0 to 9`);
  }
  return Number(text);
}

function modelName(value: unknown, isServedModel: (name: string) => boolean): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string" || !isServedModel(value)) {
    throw new DigitlabError(
      "unknown_model",
      `"model" must name a model this server serves (see GET /models)`,
    );
  }
  return value;
}

/** An array of strokes, each a non-empty array of [x, y] in the unit square, within the caps. */
function strokeList(value: unknown): Stroke[] | null {
  if (value === undefined || value === null) return null;
  const bad = (why: string) =>
    new DigitlabError(
      "bad_request",
      `"strokes" must be an array of strokes of [x, y] points: ${why}`,
    );
  if (!Array.isArray(value)) throw bad("not an array");
  if (value.length > MAX_STROKES) throw bad(`more than ${MAX_STROKES} strokes`);
  let points = 0;
  for (const stroke of value) {
    if (!Array.isArray(stroke) || stroke.length === 0) {
      throw bad("a stroke is not a list of points");
    }
    points += stroke.length;
    if (points > MAX_STROKE_POINTS) throw bad(`more than ${MAX_STROKE_POINTS} points`);
    for (const point of stroke) {
      if (
        !Array.isArray(point) || point.length !== 2 ||
        !point.every((v) => typeof v === "number" && v >= 0 && v <= 1)
      ) {
        throw bad("a point is not [x, y] with both from 0 to 1");
      }
    }
  }
  return value as Stroke[];
}
