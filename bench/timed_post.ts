/**
 * One timed POST /predict for the hostile-traffic benchmark (bench/hostile.ts) and its
 * ordinary client's worker (bench/ordinary_client_worker.ts): the status (0 when the request
 * failed or timed out) and the milliseconds it took.
 *
 * @module
 */

/** One answer: its status (0: no answer) and how long it took. */
export interface TimedAnswer {
  status: number;
  ms: number;
}

/** POSTs `body` to `url`/predict (through `client` when given) and times the answer. */
export async function post(
  url: string,
  body: Uint8Array<ArrayBuffer>,
  headers: HeadersInit = {},
  client?: Deno.HttpClient,
): Promise<TimedAnswer> {
  const started = performance.now();
  try {
    const response = await fetch(`${url}/predict`, {
      method: "POST",
      headers: { "Content-Type": contentType(body), ...headers },
      body,
      client,
      signal: AbortSignal.timeout(30_000),
    });
    await response.body?.cancel();
    return { status: response.status, ms: performance.now() - started };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

/** image/jpeg for bytes that start as a JPEG does, else image/png. */
function contentType(body: Uint8Array): string {
  return body[0] === 0xff && body[1] === 0xd8 ? "image/jpeg" : "image/png";
}
