/**
 * A `Deno.HttpServer` made of parts: for servers that are more than one `Deno.serve` (one
 * restarted after EMFILE, one behind a relay), so each says only what differs (where it
 * listens, what stopping means, which server holds the event loop) and the interface is
 * built in one place.
 *
 * @module
 */

export interface ServerParts {
  /** Where clients connect now (a restarted server may have a new listener). */
  addr(): Deno.NetAddr;
  /** Settles once the whole server has stopped. */
  finished: Promise<void>;
  /** Stops accepting and lets requests in progress finish. */
  stop(): Promise<void>;
  /** The server whose ref()/unref() decides whether it holds the event loop open. */
  inner(): Pick<Deno.HttpServer, "ref" | "unref">;
}

/**
 * The parts as a `Deno.HttpServer`; `shutdown()` stops and then waits for `finished`, whose
 * failure the caller of `shutdown` has no use for (it is there to see on `finished`).
 *
 * @example
 * ```ts
 * import { ServerFacade } from "./server_facade.ts";
 *
 * const inner = Deno.serve({ hostname: "127.0.0.1", port: 0 }, () => new Response("hi"));
 * const server = new ServerFacade({
 *   addr: () => inner.addr,
 *   finished: inner.finished,
 *   stop: () => inner.shutdown(),
 *   inner: () => inner,
 * });
 * await server.shutdown();
 * ```
 */
export class ServerFacade implements Deno.HttpServer<Deno.NetAddr> {
  readonly #parts: ServerParts;
  readonly finished: Promise<void>;

  constructor(parts: ServerParts) {
    this.#parts = parts;
    this.finished = parts.finished;
  }

  get addr(): Deno.NetAddr {
    return this.#parts.addr();
  }

  async shutdown(): Promise<void> {
    await this.#parts.stop();
    await this.finished.catch(() => {});
  }

  ref(): void {
    this.#parts.inner().ref();
  }

  unref(): void {
    this.#parts.inner().unref();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
