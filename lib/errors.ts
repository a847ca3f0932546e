/**
 * Errors a client can cause, as values with a stable code and a human message. The HTTP
 * status of every code lives in one table here, so routes only throw and the app's error
 * handler answers `{"error": code, "message": text}`.
 *
 * No Deno APIs: the browser shares this module with the preprocessing.
 *
 * @module
 */

/** Every code a client may see, with the HTTP status it maps to. */
export const ERROR_STATUS = {
  /** The multipart body could not be parsed. */
  malformed_multipart: 400,
  /** A required field (`img`, or `image` in JSON) is absent or of the wrong kind. */
  missing_field: 400,
  /** The JSON body does not parse. */
  bad_json: 400,
  /** The `image` string is neither base64 nor a base64 data URL. */
  bad_base64: 400,
  /** A query parameter or flag value is not acceptable. */
  bad_request: 400,
  /** No such route. */
  not_found: 404,
  /** `?model=` names a model this server does not serve. */
  unknown_model: 404,
  /** The route exists but not for this method. */
  method_not_allowed: 405,
  /** The body did not arrive within the request timeout (a client too slow, or stalled). */
  request_timeout: 408,
  /** The body is larger than the configured limit. */
  payload_too_large: 413,
  /** Neither a PNG nor a JPEG (by content type and by the file's first bytes). */
  unsupported_media_type: 415,
  /** A PNG or JPEG that does not decode (truncated, corrupt). */
  undecodable_image: 422,
  /** Declared dimensions over the limit: refused before decoding (no decompression bombs). */
  image_too_large: 422,
  /** The image decodes but holds no ink. */
  no_digit_found: 422,
  /** More separate pieces of ink than a written number has (`POST /predict/number`). */
  too_many_digits: 422,
  /** This client sent more requests than its rate limit allows; see Retry-After. */
  rate_limited: 429,
  /** The server has no model loaded yet. */
  no_models: 503,
  /** Too much work in progress, or the work took too long: try again (see Retry-After). */
  overloaded: 503,
  /** A fault of ours, never of the request; the message hides the details. */
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The JSON body of every error response. */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
}

/**
 * An error a client caused (or, for `internal_error` and `no_models`, one we must report).
 *
 * @example
 * ```ts
 * throw new DigitlabError("no_digit_found", "no digit found: the image is blank");
 * ```
 */
export class DigitlabError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "DigitlabError";
    this.code = code;
  }

  /** The HTTP status this error maps to. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toJSON(): ErrorBody {
    return { error: this.code, message: this.message };
  }
}
