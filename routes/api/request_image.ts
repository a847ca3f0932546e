/**
 * Gets the image bytes out of a `/predict` request, in any of the three ways clients send it:
 * multipart field `img` (the tutorial's client), a raw PNG/JPEG body, or JSON
 * `{"image": "<base64 or data URL>"}`. Whether the bytes are really an image is decided later,
 * by their first bytes, not by what the client declared.
 *
 * @module
 */
import { DigitlabError } from "../../lib/errors.ts";
import { type FormPart, formParts, multipartBoundary } from "./multipart_fields.ts";
import { type JsonLimits, parseGuardedJson } from "./json_guard.ts";

/** Content types whose body is the image itself (clients often say octet-stream or nothing). */
const RAW_TYPES = new Set(["image/png", "image/jpeg", "image/jpg", "application/octet-stream", ""]);

/** The multipart field the tutorial's client sends. */
export const IMAGE_FIELD = "img";

/** A JSON upload is the image and a few fields besides; far more is refused unparsed. */
export const UPLOAD_JSON_LIMITS: JsonLimits = { maxValues: 1024 };

/** The image bytes of a request; throws DigitlabError (400/415) when there are none. */
export async function readImageUpload(request: Request): Promise<Uint8Array> {
  return (await readUpload(request, null)).bytes;
}

/** An upload's image and the text of one extra field (multipart part or JSON member). */
export interface Upload {
  bytes: Uint8Array;
  /** The extra field: a multipart part's text, a JSON member as parsed; undefined if absent. */
  extra: unknown;
}

/**
 * The image and the field `extra` (multipart part, JSON member; raw bodies have none) of a
 * request; throws DigitlabError (400/415) when there is no image. A JSON body past
 * `jsonLimits` (the route's, when `extra` can be large) is refused before it is parsed.
 */
export async function readUpload(
  request: Request,
  extra: string | null,
  jsonLimits = UPLOAD_JSON_LIMITS,
): Promise<Upload> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  let upload: Upload;
  if (type === "multipart/form-data") upload = await fromMultipart(request, extra);
  else if (type === "application/json") upload = await fromJson(request, extra, jsonLimits);
  else if (RAW_TYPES.has(type)) {
    upload = { bytes: new Uint8Array(await request.arrayBuffer()), extra: undefined };
  } else {
    throw new DigitlabError(
      "unsupported_media_type",
      `cannot read a ${type} body: send multipart/form-data (field "img"), image/png, ` +
        `image/jpeg or application/json {"image": "<base64>"}`,
    );
  }
  if (upload.bytes.length === 0) throw new DigitlabError("missing_field", "the image is empty");
  return upload;
}

async function fromMultipart(request: Request, extra: string | null): Promise<Upload> {
  let parts: FormPart[];
  let extraParts: FormPart[] = [];
  try {
    const boundary = multipartBoundary(request.headers.get("content-type") ?? "");
    const body = new Uint8Array(await request.arrayBuffer());
    parts = formParts(body, boundary, IMAGE_FIELD);
    if (extra !== null) extraParts = formParts(body, boundary, extra);
  } catch (error) {
    if (error instanceof DigitlabError) throw error;
    throw new DigitlabError("malformed_multipart", "the multipart/form-data body does not parse");
  }
  if (parts.length === 0) {
    throw new DigitlabError("missing_field", `multipart field "${IMAGE_FIELD}" is missing`);
  }
  if (parts.length > 1) {
    throw new DigitlabError(
      "missing_field",
      `send one "${IMAGE_FIELD}" field, not ${parts.length}`,
    );
  }
  if (!parts[0].isFile) {
    throw new DigitlabError("missing_field", `field "${IMAGE_FIELD}" must be a file upload`);
  }
  if (extraParts.length > 1) {
    throw new DigitlabError("bad_request", `send one "${extra}" field, not ${extraParts.length}`);
  }
  const text = extraParts[0] && new TextDecoder().decode(extraParts[0].bytes);
  return { bytes: parts[0].bytes, extra: text };
}

async function fromJson(
  request: Request,
  extra: string | null,
  limits: JsonLimits,
): Promise<Upload> {
  const text = await request.text(); // a body cut off (408, 400) fails as it is
  const body = parseGuardedJson(text, limits, "the JSON body does not parse");
  const fields = body as Record<string, unknown> | null;
  const image = fields?.image;
  if (typeof image !== "string") {
    throw new DigitlabError("missing_field", 'JSON must be {"image": "<base64 or data URL>"}');
  }
  return {
    bytes: decodeBase64Image(image),
    extra: extra !== null && typeof fields === "object" ? fields?.[extra] : undefined,
  };
}

/** Decodes base64 (standard or URL-safe, padding optional) or a `data:...;base64,` URL. */
export function decodeBase64Image(text: string): Uint8Array {
  let payload = text;
  if (text.startsWith("data:")) {
    const comma = text.indexOf(",");
    if (comma < 0 || !text.slice(0, comma).endsWith(";base64")) {
      throw new DigitlabError("bad_base64", "the data URL must be base64 encoded (;base64,)");
    }
    payload = text.slice(comma + 1);
  }
  const compact = payload.replace(/\s+/g, "").replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    throw new DigitlabError("bad_base64", "the image is not valid base64");
  }
  const binary = atob(compact);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
