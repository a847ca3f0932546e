/**
 * The browser's side of `POST /feedback`: sends the drawing (the PNG /predict saw, its strokes,
 * the model's answer and the right label) and keeps a count of this browser's contributions.
 *
 * @module
 */
import type { Stroke } from "../../lib/strokes.ts";

export interface Correction {
  image: Blob;
  label: number;
  predicted: number | null;
  model: string | null;
  strokes: Stroke[];
}

/** Where this browser's contribution count is kept. */
export const COUNT_KEY = "digitlab.feedback.count";

/** Sends one correction; resolves once the server has stored it, rejects with its message. */
export async function sendCorrection(
  correction: Correction,
  fetchImpl: typeof fetch = fetch,
): Promise<{ id: string }> {
  const form = new FormData();
  form.set("img", correction.image, "drawing.png");
  form.set("label", String(correction.label));
  if (correction.predicted !== null) form.set("predicted", String(correction.predicted));
  if (correction.model) form.set("model", correction.model);
  if (correction.strokes.length > 0) {
    form.set("strokes", JSON.stringify(correction.strokes.map(pointPairs)));
  }
  let response: Response;
  try {
    response = await fetchImpl("/feedback", { method: "POST", body: form });
  } catch {
    throw new Error("The server could not be reached; nothing was saved.");
  }
  const body = await response.json().catch(() => null);
  if (response.status !== 201 || typeof body?.id !== "string") {
    throw new Error(
      typeof body?.message === "string" ? body.message : `The server answered ${response.status}.`,
    );
  }
  return body;
}

/** Unit coordinates rounded to 4 decimals (a 280 px pad needs 3): smaller bodies, same strokes. */
function pointPairs(stroke: Stroke): [number, number][] {
  const round = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 1e4) / 1e4;
  return stroke.map(({ x, y }) => [round(x), round(y)]);
}

/** How many corrections this browser has sent (0 where storage is blocked). */
export function contributedCount(
  storage: Pick<Storage, "getItem"> | null = safeLocalStorage(),
): number {
  const n = Number(storage?.getItem(COUNT_KEY) ?? 0);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** Counts one more correction; returns the new count. */
export function countContribution(
  storage: Pick<Storage, "getItem" | "setItem"> | null = safeLocalStorage(),
): number {
  const next = contributedCount(storage) + 1;
  try {
    storage?.setItem(COUNT_KEY, String(next));
  } catch {
    // Storage full or blocked: the count is a courtesy, the correction is saved anyway.
  }
  return next;
}

function safeLocalStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
