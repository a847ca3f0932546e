/**
 * A burst's excess refused before the app sees it. While a client's big-image lane is full
 * (it holds its share, or the lane is held and nothing big could be admitted), every further
 * big upload of its would be refused from its image's head anyway (decode_admission.ts); each
 * such refusal still cost the HTTP thread the whole app (routing, middleware, the body
 * watch, logging, metrics: ~1 ms), so a burst of 128 held every other client's request
 * behind ~100 ms of them. Here an upload to an image route from such a client is refused from
 * its headers alone when it declares a body no drawing needs (`minBytes`): 503 + Retry-After,
 * the same answer the head check gives, built from a few constants; no access log line (a
 * burst would write 128), only `onShed` (the request metrics). A smaller upload (every canvas)
 * goes on to the app, and so does anything from another client.
 *
 * @module
 */
import type { DecodeBudget } from "../inference/decode_budget.ts";
import { DECODE_IN_WORKER_MAX_PIXELS } from "../inference/predict.ts";

export interface BigUploadShedOptions {
  /** The big-image lane (DecodeLanes.big). */
  bigLane: DecodeBudget;
  /** The client key of a request, as the per-client limits count it. */
  clientOf(request: Request, info: Deno.ServeHandlerInfo<Deno.Addr>): string;
  /** Paths whose uploads are images. */
  paths: readonly string[];
  /** Declared bodies at least this long are taken for big images. */
  minBytes: number;
  /** Called for each upload refused here (the app's metrics never see it). */
  onShed?(path: string, ms: number): void;
}

/** The canvas page's drawings are 5-30 KB; a 4096x4096 blank 16-bit PNG is 143 KB. */
export const SHED_MIN_BYTES = 64 * 1024;

/** What the smallest image of the big lane reserves (just over 1 MP, 1 byte a pixel). */
const SMALLEST_BIG_COST = (DECODE_IN_WORKER_MAX_PIXELS + 1) * 4;

const BODY = JSON.stringify({
  error: "overloaded",
  message: "too many large images are being decoded; retry shortly",
});
const HEADERS: [string, string][] = [
  ["content-type", "application/json"],
  ["retry-after", "1"],
  ["x-content-type-options", "nosniff"],
  ["cache-control", "no-store"],
];

/**
 * Wraps a `Deno.serve` handler with the shed.
 *
 * @example
 * ```ts
 * import { DecodeLanes } from "../inference/decode_budget.ts";
 *
 * const lanes = new DecodeLanes({ bytes: 192 * 2 ** 20 });
 * const handler = shedBigUploads(() => new Response("app"), {
 *   bigLane: lanes.big,
 *   clientOf: (_request, info) => (info.remoteAddr as Deno.NetAddr).hostname,
 *   paths: ["/predict"],
 *   minBytes: SHED_MIN_BYTES,
 * });
 * ```
 */
export function shedBigUploads<A extends Deno.Addr>(
  fetch: Deno.ServeHandler<A>,
  { bigLane, clientOf, paths, minBytes, onShed }: BigUploadShedOptions,
): Deno.ServeHandler<A> {
  const imagePaths = new Set(paths);
  return function shedBigUpload(request, info) {
    if (request.method !== "POST" || bigLane.held === 0) return fetch(request, info);
    const started = performance.now();
    if (!(Number(request.headers.get("content-length")) >= minBytes)) return fetch(request, info);
    // The path without building a URL: the request line's target, after the authority.
    const url = request.url;
    const start = url.indexOf("/", url.indexOf("//") + 2);
    const end = url.indexOf("?", start);
    const path = end < 0 ? url.slice(start) : url.slice(start, end);
    if (!imagePaths.has(path)) return fetch(request, info);
    if (bigLane.admits(SMALLEST_BIG_COST, clientOf(request, info))) return fetch(request, info);
    onShed?.(path, performance.now() - started);
    return new Response(BODY, { status: 503, headers: HEADERS });
  };
}
