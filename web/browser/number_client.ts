/**
 * The browser's side of `POST /predict/number`: sends the drawing as a PNG with its strokes,
 * returns the parsed answer, and turns every way it can fail into the page's PredictError.
 *
 * @module
 */
import type { NumberPrediction } from "../../lib/prediction.ts";
import { isAbort, PredictError, UNREACHABLE_MESSAGE } from "./predict_client.ts";
import type { Stroke } from "../../lib/strokes.ts";

export type { NumberPrediction };

/** Posts `image` and `strokes` (unit coordinates of the pad's height) to be read with `model`. */
export async function requestNumber(
  image: Blob,
  strokes: Stroke[],
  model: string,
  signal?: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<NumberPrediction> {
  const body = new FormData();
  body.append("img", image, "number.png");
  body.append("strokes", JSON.stringify(strokes.map((s) => s.map(({ x, y }) => [x, y]))));
  let response: Response;
  try {
    response = await fetchImpl(`/predict/number?model=${encodeURIComponent(model)}`, {
      method: "POST",
      headers: { "Accept": "application/json" },
      body,
      signal,
    });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new PredictError("unreachable", UNREACHABLE_MESSAGE);
  }
  let answer: unknown;
  try {
    answer = await response.json();
  } catch (error) {
    if (isAbort(error)) throw error;
  }
  if (!response.ok) {
    const problem = answer as { error?: unknown; message?: unknown } | undefined;
    throw new PredictError(
      typeof problem?.error === "string" ? problem.error : `http_${response.status}`,
      typeof problem?.message === "string"
        ? problem.message
        : `The server answered ${response.status}.`,
    );
  }
  const number = answer as NumberPrediction | undefined;
  if (typeof number?.number !== "string" || !Array.isArray(number.digits)) {
    throw new PredictError("bad_response", "The server's answer was not a number.");
  }
  return number;
}
