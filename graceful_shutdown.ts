/**
 * Stopping a server without losing a request: on SIGTERM or SIGINT, wait for uploads still
 * arriving (the runtime's shutdown would cut them off), then stop accepting connections and
 * let every request in progress finish, all within a grace period that fits systemd's 10 s
 * stop timeout. A second signal stops waiting.
 *
 * @module
 */

export interface ShutdownOptions {
  /** Bodies still arriving; resolves true once none is, false if `timeoutMs` passes first. */
  allUploadsArrived(timeoutMs: number): Promise<boolean>;
  /** How long to wait for stragglers in all, in milliseconds. */
  graceMs: number;
  signals?: Deno.Signal[];
  log?(message: string): void;
}

/** Grace period: under systemd's TimeoutStopSec=10s, with room to exit. */
export const SHUTDOWN_GRACE_MS = 8_000;

/**
 * Resolves once the server has stopped: after a signal and a graceful drain, or on its own.
 * `drained` is false when the grace period ran out (or a second signal came) with requests
 * still in progress; the caller exits anyway.
 */
export async function serveUntilSignalled(
  server: Deno.HttpServer,
  options: ShutdownOptions,
): Promise<{ signal: Deno.Signal | null; drained: boolean }> {
  const { graceMs, signals = ["SIGINT", "SIGTERM"], log = console.log } = options;
  let received: Deno.Signal | null = null;
  let giveUp!: () => void;
  const gaveUp = new Promise<"gave up">((resolve) => giveUp = () => resolve("gave up"));
  const handlers = signals.map((signal) => {
    const handler = () => {
      if (received !== null) {
        log(`digitlab: ${signal} again: stopping now`);
        giveUp();
        return;
      }
      received = signal;
      log(`digitlab: ${signal}: finishing requests in progress, then exiting`);
      drain();
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });

  const drain = () => {
    const timer = setTimeout(giveUp, graceMs);
    options.allUploadsArrived(graceMs)
      .then(() => server.shutdown())
      .finally(() => clearTimeout(timer));
  };

  try {
    const outcome = await Promise.race([server.finished.then(() => "finished" as const), gaveUp]);
    if (outcome === "gave up") {
      log(`digitlab: requests still in progress after ${graceMs} ms; exiting without them`);
      return { signal: received, drained: false };
    }
    return { signal: received, drained: true };
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  }
}
