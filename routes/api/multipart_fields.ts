/**
 * A small multipart/form-data reader for the one thing `/predict` needs: the parts named
 * `img`. `Request.formData()` builds every part as a File or string and costs tens of
 * microseconds per request; this finds the parts by scanning the bytes once and returns views
 * into the body, no copies. Anything that is not well-formed multipart is `malformed_multipart`.
 *
 * @module
 */
import { DigitlabError } from "../../lib/errors.ts";

/** One part with the wanted name: its bytes, and whether it was a file upload. */
export interface FormPart {
  isFile: boolean;
  bytes: Uint8Array;
}

const CR = 13, LF = 10, DASH = 45;

const malformed = (why: string) =>
  new DigitlabError("malformed_multipart", `the multipart/form-data body does not parse: ${why}`);

/** The boundary parameter of a multipart content type (quoted or not). */
export function multipartBoundary(contentType: string): string {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw malformed("no boundary in the content type");
  return boundary;
}

/**
 * Every part named `field`, in order. Throws `malformed_multipart` when the body is not
 * delimited as `boundary` says or a part's headers are broken.
 *
 * @example
 * ```ts
 * declare const request: Request; // a multipart/form-data upload
 * const body = new Uint8Array(await request.arrayBuffer());
 * const parts = formParts(body, multipartBoundary(request.headers.get("content-type")!), "img");
 * ```
 */
export function formParts(body: Uint8Array, boundary: string, field: string): FormPart[] {
  const delimiter = ENCODER.encode(`--${boundary}`);
  const delimiterLine = crlf(delimiter);
  // The first delimiter opens the body (RFC 2046 allows a preamble before it, after a CRLF).
  let at = startsWithAt(body, delimiter, 0) ? 0 : find(body, delimiterLine, 0);
  if (at < 0) throw malformed("no opening boundary");
  if (at > 0) at += 2;
  const parts: FormPart[] = [];
  for (;;) {
    at += delimiter.length;
    if (body[at] === DASH && body[at + 1] === DASH) return parts; // the closing delimiter
    at = skipLinearWhitespace(body, at);
    if (body[at] !== CR || body[at + 1] !== LF) throw malformed("a boundary line has junk");
    at += 2;
    const headersEnd = find(body, HEADERS_END, at);
    if (headersEnd < 0) throw malformed("a part's headers never end");
    const headers = latin1(body.subarray(at, headersEnd));
    const contentStart = headersEnd + 4;
    const next = find(body, delimiterLine, contentStart - 2);
    if (next < 0) throw malformed("the closing boundary is missing");
    const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(headers)?.[1];
    if (disposition === undefined) throw malformed("a part has no form-data disposition");
    if (parameter(disposition, "name") === field) {
      parts.push({
        isFile: parameter(disposition, "filename") !== undefined,
        bytes: body.subarray(contentStart, Math.max(contentStart, next)),
      });
    }
    at = next + 2;
  }
}

const HEADERS_END = new Uint8Array([CR, LF, CR, LF]);

const ENCODER = new TextEncoder();

function crlf(delimiter: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(delimiter.length + 2);
  bytes.set([CR, LF]);
  bytes.set(delimiter, 2);
  return bytes;
}

/** The two parameters we read, each matched as `name="value"` (quoted or not). */
const PARAMETERS = {
  name: parameterPattern("name"),
  filename: parameterPattern("filename"),
};

function parameterPattern(name: string): RegExp {
  return new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, "i");
}

/** A parameter of a Content-Disposition header, unquoted. */
function parameter(disposition: string, name: keyof typeof PARAMETERS): string | undefined {
  const match = PARAMETERS[name].exec(disposition);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
}

function skipLinearWhitespace(bytes: Uint8Array, at: number): number {
  while (bytes[at] === 32 || bytes[at] === 9) at++;
  return at;
}

function startsWithAt(bytes: Uint8Array, pattern: Uint8Array, at: number): boolean {
  if (at + pattern.length > bytes.length) return false;
  for (let i = 0; i < pattern.length; i++) if (bytes[at + i] !== pattern[i]) return false;
  return true;
}

/** Index of `pattern` in `bytes` from `from`, or -1. */
function find(bytes: Uint8Array, pattern: Uint8Array, from: number): number {
  const first = pattern[0];
  for (
    let at = bytes.indexOf(first, Math.max(0, from));
    at >= 0;
    at = bytes.indexOf(first, at + 1)
  ) {
    if (startsWithAt(bytes, pattern, at)) return at;
  }
  return -1;
}

/** Bytes as Latin-1 text, in slices (fromCharCode takes each byte as an argument). */
function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let at = 0; at < bytes.length; at += 4096) {
    text += String.fromCharCode(...bytes.subarray(at, at + 4096));
  }
  return text;
}
