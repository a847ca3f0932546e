/**
 * A request body routed through a stream we control: we learn when it has fully arrived, can
 * cut it off (the reader then fails with our error and the upload is cancelled), and a body the
 * connection loses part-way fails with a client error instead of the runtime's BadResource
 * (which would surface as a 500).
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
  /** Fails the reader with `error` and cancels the upload; nothing once the body has ended. */
  cutOff(error: Error): void;
}

export function watchBody(request: Request): WatchedBody {
  const source = request.body;
  if (source === null) {
    return { request, arrived: Promise.resolve(), complete: () => true, cutOff() {} };
  }
  const reader = source.getReader();
  let state: "arriving" | "complete" | "failed" = "arriving";
  let settle!: () => void;
  const arrived = new Promise<void>((resolve) => settle = resolve);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const fail = (error: Error) => {
    if (state !== "arriving") return;
    state = "failed";
    controller.error(error);
    reader.cancel(error).catch(() => {});
    settle();
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull(c) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        return fail(new DigitlabError("bad_request", "the request body ended before it was whole"));
      }
      if (state !== "arriving") return;
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
    cutOff: fail,
  };
}
