/**
 * A request body routed through a stream we control: we learn when it has fully arrived, can
 * cut it off (the reader then fails with our error and the upload is cancelled), and a body the
 * connection loses part-way fails with a client error instead of the runtime's BadResource
 * (which would surface as a 500).
 *
 * Reading is bounded in work as well as in time: each read of the runtime's body costs tens of
 * microseconds whatever it holds, and reads of data already buffered resolve without returning
 * to the event loop, so a chunked body of millions of one-byte chunks used to hold the thread
 * for minutes (no timer fired, no other socket was read). The watch yields to the event loop
 * every few reads (the deadline and other clients keep running) and refuses a body that comes
 * in far more pieces than its size explains.
 *
 * @module
 */
import { DigitlabError } from "../lib/errors.ts";

export interface WatchedBody {
  /** The same request, reading through the watch. */
  request: Request;
  /** Settles once the body has ended, failed or been cut off. */
  arrived: Promise<void>;
  /** True once the last byte has been received. */
  complete(): boolean;
  /** Bytes received so far. */
  received(): number;
  /**
   * Fails the reader with `error` and cancels the upload (or, with `cancel` false, leaves the
   * rest unread); nothing once the body has ended.
   */
  cutOff(error: Error, cancel?: boolean): void;
}

/** Reads of the body between yields to the event loop. */
const READS_PER_YIELD = 64;

/**
 * Reads a body may take: a few for free, then one per 256 bytes received and one per 10 ms it
 * has been arriving. Real clients send kilobytes per read (a TCP segment is ~1.4 KB, a chunked
 * upload's chunks are larger); a slow one waits for the network between reads (the deadline
 * deals with it); only a flood of tiny pieces already buffered outruns both.
 */
export const FREE_READS = 256;
export const BYTES_PER_READ = 256;
export const MS_PER_READ = 10;

export function watchBody(request: Request): WatchedBody {
  const source = request.body;
  if (source === null) {
    return {
      request,
      arrived: Promise.resolve(),
      complete: () => true,
      received: () => 0,
      cutOff() {},
    };
  }
  const reader = source.getReader();
  let state: "arriving" | "complete" | "failed" = "arriving";
  let settle!: () => void;
  const arrived = new Promise<void>((resolve) => settle = resolve);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let reads = 0, bytes = 0;
  const started = performance.now();
  const fail = (error: Error, cancel = true) => {
    if (state !== "arriving") return;
    state = "failed";
    controller.error(error);
    if (cancel) reader.cancel(error).catch(() => {});
    else reader.releaseLock();
    settle();
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull(c) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      if (++reads % READS_PER_YIELD === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      if (state !== "arriving") return;
      try {
        chunk = await reader.read();
      } catch {
        return fail(new DigitlabError("bad_request", "the request body ended before it was whole"));
      }
      if (state !== "arriving") return;
      if (!chunk.done) bytes += chunk.value.length;
      const allowed = FREE_READS + bytes / BYTES_PER_READ +
        (performance.now() - started) / MS_PER_READ;
      if (reads > allowed) {
        return fail(
          new DigitlabError(
            "bad_request",
            `the body came in ${reads} pieces for ${bytes} bytes: send it in larger pieces`,
          ),
          // Cancelling the runtime's body part-way makes Deno 2.9 drain the rest natively at a
          // cost quadratic in its pieces (minutes, the thread frozen): leave it unread instead.
          false,
        );
      }
      if (chunk.done) {
        state = "complete";
        c.close();
        settle();
      } else c.enqueue(chunk.value);
    },
    cancel(reason) {
      state = "failed";
      settle();
      return reader.cancel(reason);
    },
  });
  return {
    // A new request from the parts the app reads, not `new Request(request, ...)`: that would
    // follow the original's abort signal, and Deno.serve then builds an abort error for every
    // answered request (and warns about its legacy abort-on-success in the journal).
    request: new Request(request.url, { method: request.method, headers: request.headers, body }),
    arrived,
    complete: () => state === "complete",
    received: () => bytes,
    cutOff: fail,
  };
}
