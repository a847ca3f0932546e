/**
 * Lingering close, as nginx does it: after refusing an upload with 413, keep reading and
 * discarding the rest of its body for a bounded time and size, then close the connection.
 * Many clients (Python `requests`, most scripts) send the whole body before they read a byte
 * of the answer; a server that stops reading leaves them blocked in a full socket buffer, and
 * one that closes with unread data makes the kernel reset the connection, destroying the
 * answer. Measured without it (Deno 2.9.6, a 20 MB body, 2 MiB limit): the client hung until
 * its own timeout or got "connection reset by peer"; with it, the 413 JSON.
 *
 * The app reads the body through a stand-in stream, so it can give up on the body (cancel its
 * reader) without the real one being dropped. Measured: the stand-in is what fixed the hang
 * (before, the request-deadline middleware held a reader on the body it never read or
 * released); with `--linger-time 0` the 413 arrived too, on loopback, even when the client
 * paced its 20 MB over a second, as the runtime discards a cancelled body itself. The bounded
 * read here does not depend on that.
 *
 * @module
 */

export interface LingerOptions {
  /** Longest time spent discarding after the answer, in all. */
  totalMs: number;
  /** Longest wait for the next piece of the body. */
  idleMs: number;
  /** Most bytes discarded; past this the connection is closed. */
  maxBytes: number;
}

/** The answers after which the rest of an unread body is discarded before closing. */
const LINGER_AFTER = new Set([413]);

/**
 * Wraps a `Deno.serve` handler. Answers without a body to finish are passed through as they
 * are; after a 413 the rest of the body is discarded in the background within `options`, and
 * the connection closes.
 *
 * @example
 * ```ts
 * const app = { fetch: () => new Response("too big", { status: 413 }) };
 * const options = { totalMs: 30_000, idleMs: 5_000, maxBytes: 64 * 1024 * 1024 };
 * Deno.serve({ port: 0 }, lingerAfterRefusal(app.fetch, options)).shutdown();
 * ```
 */
export function lingerAfterRefusal<A extends Deno.Addr>(
  fetch: Deno.ServeHandler<A>,
  options: LingerOptions,
): Deno.ServeHandler<A> {
  return async function lingerAfterRefusalHandler(request, info) {
    if (request.body === null) return await fetch(request, info);
    const source = request.body.getReader();
    let ended = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const chunk = await source.read();
        if (chunk.done) {
          ended = true;
          controller.close();
        } else controller.enqueue(chunk.value);
      },
      // The app is done with the body; whether the connection reads on is decided below.
      cancel() {},
    }, { highWaterMark: 0 });
    // A new request from the parts the app reads (see watched_body.ts for why not a copy).
    const standIn = new Request(request.url, {
      method: request.method,
      headers: request.headers,
      body,
    });
    const response = await fetch(standIn, info);
    if (ended || !LINGER_AFTER.has(response.status)) return response;
    discard(source, options);
    // No Connection header of ours: the runtime adds `connection: close` itself to an answer
    // sent while the body is unread (a second one would be a duplicate).
    return response;
  };
}

/** Reads `source` to its end or a limit, throwing the bytes away, then cancels it. */
async function discard(
  source: ReadableStreamDefaultReader<Uint8Array>,
  { totalMs, idleMs, maxBytes }: LingerOptions,
): Promise<void> {
  const deadline = performance.now() + totalMs;
  let bytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    while (bytes <= maxBytes) {
      const wait = Math.min(idleMs, deadline - performance.now());
      if (wait <= 0) break;
      const quiet = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), wait));
      const chunk = await Promise.race([source.read(), quiet]);
      clearTimeout(timer);
      if (chunk === null || chunk.done) break;
      bytes += chunk.value.length;
    }
  } catch {
    // The client went away: nothing left to discard.
  } finally {
    clearTimeout(timer);
    source.cancel().catch(() => {});
  }
}
