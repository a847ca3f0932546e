/**
 * Gets the image bytes out of a `/predict` request, in any of the three ways clients send it:
 * multipart field `img` (the tutorial's client), a raw PNG/JPEG body, or JSON
 * `{"image": "<base64 or data URL>"}`. Whether the bytes are really an image is decided later,
 * by their first bytes, not by what the client declared.
 *
 * @module
 */
import { DigitlabError } from "../../lib/errors.ts";
import { concatBytes } from "../../inference/bytes.ts";
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
 * `atImageHead` is called with the image's first bytes when the body's first piece holds
 * them (raw bodies; multipart ones whose image part begins there) before the rest is read;
 * what it throws stops the read (the rest is left unread) and is thrown from here.
 */
export async function readUpload(
  request: Request,
  extra: string | null,
  jsonLimits = UPLOAD_JSON_LIMITS,
  atImageHead?: (head: Uint8Array) => void,
): Promise<Upload> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  let upload: Upload;
  if (type === "multipart/form-data") upload = await fromMultipart(request, extra, atImageHead);
  else if (type === "application/json") upload = await fromJson(request, extra, jsonLimits);
  else if (RAW_TYPES.has(type)) {
    upload = { bytes: await bodyBytes(request, atImageHead), extra: undefined };
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

/**
 * The body's bytes. With `atFirst`, read piece by piece: it sees the first piece before the
 * rest is read, and what it throws cancels the read. A body of one piece is not copied.
 */
async function bodyBytes(
  request: Request,
  atFirst?: (first: Uint8Array) => void,
): Promise<Uint8Array> {
  if (!atFirst || request.body === null) return new Uint8Array(await request.arrayBuffer());
  const reader = request.body.getReader();
  const pieces: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (pieces.length === 0) atFirst(value);
      pieces.push(value);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    throw error;
  }
  return pieces.length === 1 ? pieces[0] : concatBytes(pieces);
}

/** The `img` part's headers, up to the blank line its bytes follow (RFC 7578). */
const IMAGE_PART_HEAD = new RegExp(
  `content-disposition:[^\\r\\n]*;\\s*name="?${IMAGE_FIELD}"?(?:[;\\s][^\\r\\n]*)?\\r\\n` +
    `(?:[^\\r\\n]+\\r\\n)*\\r\\n`,
  "i",
);

/** Where the `img` part's bytes begin in a body's first piece; -1 when not in it. */
function multipartImageStart(first: Uint8Array): number {
  // Latin-1 keeps one character per byte, so the match's end is the byte offset.
  const text = new TextDecoder("latin1").decode(first.subarray(0, 8192));
  const match = IMAGE_PART_HEAD.exec(text);
  return match ? match.index + match[0].length : -1;
}

async function fromMultipart(
  request: Request,
  extra: string | null,
  atImageHead?: (first: Uint8Array) => void,
): Promise<Upload> {
  let parts: FormPart[];
  let extraParts: FormPart[] = [];
  // What atImageHead throws stops the read and goes to the caller as it is.
  let refusedAtHead = false;
  const atHead = atImageHead && ((first: Uint8Array) => {
    const start = multipartImageStart(first);
    if (start < 0) return;
    try {
      atImageHead(first.subarray(start));
    } catch (refusal) {
      refusedAtHead = true;
      throw refusal;
    }
  });
  try {
    const boundary = multipartBoundary(request.headers.get("content-type") ?? "");
    const body = await bodyBytes(request, atHead);
    parts = formParts(body, boundary, IMAGE_FIELD);
    if (extra !== null) extraParts = formParts(body, boundary, extra);
  } catch (error) {
    if (error instanceof DigitlabError || refusedAtHead) throw error;
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
