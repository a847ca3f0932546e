/**
 * The browser's side of `POST /predict`: sends the drawing as a PNG, returns the parsed
 * prediction, and turns every way it can fail into one error value the page can show.
 *
 * @module
 */

import type { Prediction } from "../../lib/prediction.ts";

export type { Prediction };

/** Why a prediction failed: the server's code and message, and whether trying later helps. */
export class PredictError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The server asked to wait this long before retrying (its Retry-After), if it said. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "PredictError";
  }

  /** Busy, rate limited or out of reach: the same drawing may well work a bit later. */
  get retryable(): boolean {
    return RETRYABLE_CODES.has(this.code) || /^http_(429|502|503|504)$/.test(this.code);
  }
}

const RETRYABLE_CODES = new Set(["unreachable", "overloaded", "no_models", "rate_limited"]);

/** Retry-After as milliseconds: delay-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export const UNREACHABLE_MESSAGE =
  "The server could not be reached. Check that digitlab is running, then draw again.";

/**
 * Posts `image` (a PNG) for prediction with `model`. Rejects with the AbortError when
 * `signal` aborts, and with a PredictError for everything else.
 */
export async function requestPrediction(
  image: Blob,
  model: string,
  signal?: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<Prediction> {
  let response: Response;
  try {
    response = await fetchImpl(`/predict?model=${encodeURIComponent(model)}`, {
      method: "POST",
      headers: { "Content-Type": "image/png", "Accept": "application/json" },
      body: image,
      signal,
    });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new PredictError("unreachable", UNREACHABLE_MESSAGE);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    if (isAbort(error)) throw error;
    body = undefined;
  }
  if (!response.ok) {
    const problem = body as { error?: unknown; message?: unknown } | undefined;
    throw new PredictError(
      typeof problem?.error === "string" ? problem.error : `http_${response.status}`,
      typeof problem?.message === "string"
        ? problem.message
        : `The server answered ${response.status} ${response.statusText}.`.replace(" .", "."),
      parseRetryAfter(response.headers.get("Retry-After")),
    );
  }
  if (!isPrediction(body)) {
    throw new PredictError("bad_response", "The server's answer was not a prediction.");
  }
  return body;
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

function isPrediction(value: unknown): value is Prediction {
  const p = value as Prediction | undefined;
  return typeof p?.result === "number" && Array.isArray(p.probabilities) &&
    p.probabilities.length === 10 && typeof p.model === "string" && Array.isArray(p.input);
}
