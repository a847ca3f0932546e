/**
 * `Deno.serve` that survives running out of file descriptors. When accept() fails with EMFILE
 * (a flood of connections reached the open-files limit), Deno's server stops and rejects
 * `finished`; left alone that rejection ends the process. Here the server is started again on
 * the same address after a short back-off (doubling up to a second while descriptors are still
 * short), so connections already open keep being served and new ones are taken again as soon
 * as descriptors free up. Any other failure is passed on.
 *
 * @module
 */
import { ServerFacade } from "./server_facade.ts";

export interface ResilientServeOptions {
  hostname: string;
  port: number;
  /** Passed to Deno.serve (several processes on one port; needs --unstable-net). */
  reusePort?: boolean;
  /** Called with the bound address each time the server (re)starts listening. */
  onListen?(addr: Deno.NetAddr, restarts: number): void;
  /** Told about each restart; console.warn by default. */
  log?(message: string): void;
  /** First back-off in milliseconds (doubles up to `maxBackoffMs`). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** True for the errors that mean "no descriptor left" (EMFILE, ENFILE). */
export function isOutOfDescriptors(error: unknown): boolean {
  const message = String((error as Error)?.message ?? error);
  return /Too many open files|os error 2[34]\b/.test(message);
}

/**
 * Starts serving `handler`; the result behaves as a `Deno.HttpServer` whose `finished` settles
 * only on shutdown (or on an error other than running out of descriptors).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * const server = serveResiliently({ hostname: "127.0.0.1", port: 8000 }, app.fetch);
 * await server.finished;
 * ```
 */
export function serveResiliently(
  options: ResilientServeOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Deno.HttpServer<Deno.NetAddr> {
  const { log = console.warn, backoffMs = 50, maxBackoffMs = 1000 } = options;
  let restarts = 0;
  let stopping = false;
  let port = options.port;
  const start = () =>
    Deno.serve({
      hostname: options.hostname,
      port,
      reusePort: options.reusePort,
      onListen(addr) {
        port = addr.port; // a restart after --port 0 keeps the port clients know
        options.onListen?.(addr, restarts);
      },
    }, handler);
  // The first start's errors (port in use) go to the caller as they are.
  let current = start();

  const finished = (async () => {
    let wait = backoffMs;
    for (;;) {
      try {
        await current.finished;
        return;
      } catch (error) {
        if (stopping || !isOutOfDescriptors(error)) throw error;
      }
      restarts++;
      log(`digitlab: out of file descriptors on accept; listening again in ${wait} ms`);
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(maxBackoffMs, wait * 2);
        if (stopping) return;
        try {
          current = start();
          break;
        } catch (error) {
          if (!isOutOfDescriptors(error)) throw error;
        }
      }
      wait = backoffMs;
    }
  })();

  return new ServerFacade({
    addr: () => current.addr,
    finished,
    stop() {
      stopping = true;
      return current.shutdown();
    },
    inner: () => current,
  });
}
