/**
 * The browser's side of `POST /predict`: sends the drawing as a PNG, returns the parsed
 * prediction, and turns every way it can fail into one error value the page can show.
 *
 * @module
 */

import type { Prediction } from "../../lib/prediction.ts";

export type { Prediction };

/** Why a prediction failed, as the page shows it. */
export class PredictError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "PredictError";
  }
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
