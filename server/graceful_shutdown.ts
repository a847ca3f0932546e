/**
 * Stopping a server without losing a request: on SIGTERM or SIGINT, start draining (health
 * probes answer 503, every answer carries `Connection: close`, see connection_drain.ts) until
 * each kept-alive connection has had its last answer or the drain window has passed, and wait
 * for uploads still arriving (the runtime's shutdown would cut them off); then stop accepting
 * connections and let every request in progress finish, all within a grace period that fits
 * systemd's 10 s stop timeout. A second signal stops waiting.
 *
 * @module
 */
import type { ConnectionDrain } from "./connection_drain.ts";

export interface ShutdownOptions {
  /** Bodies still arriving; resolves true once none is, false if `timeoutMs` passes first. */
  allUploadsArrived(timeoutMs: number): Promise<boolean>;
  /** True while a request body is still arriving. */
  uploadsArriving?(): boolean;
  /** How long to wait for stragglers in all, in milliseconds. */
  graceMs: number;
  /** Started at the signal; the server shuts down once it settles or `drainWindowMs` passes. */
  drain?: ConnectionDrain;
  drainWindowMs?: number;
  signals?: Deno.Signal[];
  log?(message: string): void;
}

/** Grace period: under systemd's TimeoutStopSec=10s, with room to exit. */
export const SHUTDOWN_GRACE_MS = 8_000;

/**
 * A client told to close its connection opens the next one and sends its request within
 * this long (loopback: well under 10 ms; a far client: about two round trips).
 */
const QUIET_MS = 1_000;

/** `shutdown()` closes the listener in an asynchronous operation; this is ample for it. */
const LISTENER_CLOSE_MS = 50;

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
      stopGracefully().catch((error) => log(`digitlab: shutting down failed: ${error}`));
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });

  const stopGracefully = async () => {
    const timer = setTimeout(giveUp, graceMs);
    const deadline = performance.now() + graceMs;
    const left = () => Math.max(0, deadline - performance.now());
    const { drain } = options;
    try {
      drain?.start();
      await Promise.all([
        drain?.settled(Math.min(options.drainWindowMs ?? 0, graceMs)),
        options.allUploadsArrived(graceMs),
      ]);
      await drain?.quiesce(QUIET_MS, left(), () => options.uploadsArriving?.() ?? false);
      const stopped = server.shutdown();
      // The held answers go out once the listener is surely closed: clients that reconnect
      // are then refused here (or, with SO_REUSEPORT, reach the other instance).
      if (drain) setTimeout(() => drain.release(), LISTENER_CLOSE_MS);
      await stopped;
    } finally {
      clearTimeout(timer);
    }
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
