/**
 * Draining a server's keep-alive connections without a lost request. `Deno.serve`'s
 * `shutdown()` closes every connection that has no request in progress at once, including
 * kept-alive ones on which the client has just sent its next request (it then sees "remote end
 * closed connection without response"). So before shutting down, a draining server answers
 * every request with `Connection: close`: each client learns from its own last answer not to
 * reuse the connection, and closes it. Connections are told apart by their peer address; once
 * every one that was recently active has had its last answer (or a drain window has passed)
 * the caller shuts the server down, which then closes only connections no client is using.
 *
 * One more race: `shutdown()` also closes connections that are open but have sent nothing
 * yet, such as the new connection of a client that was just told to close its old one (and,
 * with SO_REUSEPORT, the kernel keeps handing this process new connections until its
 * listener closes). So the last step is `quiesce()`: answers are held back until no answer
 * has gone out for a moment and no body is still arriving; by then every client that was
 * answered has sent its next request (in progress: safe, since shutdown() waits for those)
 * or gone, so nobody is connecting. Then the caller shuts down and `release()`s the answers.
 * Requests are held after the app has handled them, not before: once `shutdown()` has begun
 * a request's body can no longer be read (BadResource, even for 1 KB).
 *
 * Measured limit (Deno 2.9.6): after an answer with `Connection: close` the server does not
 * close its side; it stops reading and waits for the client to close (every HTTP client does).
 *
 * @module
 */

export interface ConnectionDrainOptions {
  /** A connection idle this long counts as gone: its client is not in the middle of using it. */
  idleMs: number;
}

interface Peer {
  inFlight: number;
  lastActive: number;
}

export class ConnectionDrain {
  #draining = false;
  #idleMs: number;
  /** Connections by peer address, least recently active first. */
  #peers = new Map<string, Peer>();
  #changed: (() => void) | null = null;
  #lastAnswerAt = -Infinity;
  #held: Promise<void> | null = null;
  #release = () => {};

  constructor({ idleMs }: ConnectionDrainOptions) {
    this.#idleMs = idleMs;
  }

  /** True from `start()` on: health probes answer 503, every answer closes its connection. */
  get draining(): boolean {
    return this.#draining;
  }

  start(): void {
    this.#draining = true;
  }

  /** Connections that may still carry a request (in flight, or recently kept alive). */
  get open(): number {
    this.#forgetIdle();
    return this.#peers.size;
  }

  /**
   * Wraps a `Deno.serve` handler: notes each request's connection and, while draining, adds
   * `Connection: close` to every answer.
   */
  handler(fetch: Deno.ServeHandler<Deno.NetAddr>): Deno.ServeHandler<Deno.NetAddr> {
    return async (request, info) => {
      this.#forgetIdle();
      const key = `${info.remoteAddr.hostname}:${info.remoteAddr.port}`;
      const peer = this.#peers.get(key) ?? { inFlight: 0, lastActive: 0 };
      this.#peers.delete(key); // re-inserted last: the map stays in order of activity
      peer.inFlight++;
      peer.lastActive = now();
      this.#peers.set(key, peer);
      let closes = false;
      try {
        let response = await fetch(request, info);
        if (this.#held) await this.#held;
        if (this.#draining) response = withConnectionClose(response);
        closes = response.headers.get("connection")?.toLowerCase() === "close";
        return response;
      } finally {
        info.completed.finally(() => this.#answered(key, peer, closes)).catch(() => {});
      }
    };
  }

  /** Resolves true once no connection may still carry a request, or false after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.open > 0) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      // Woken by an answer, or when the next kept-alive connection turns idle.
      let untilIdle = left;
      for (const peer of this.#peers.values()) {
        if (peer.inFlight === 0) {
          untilIdle = Math.min(untilIdle, peer.lastActive + this.#idleMs - now());
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(left, untilIdle)));
        this.#changed = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#changed = null;
    }
    return true;
  }

  /**
   * Holds every answer from now until `release()`, and resolves once no answer has gone out
   * for `quietMs` while `busy()` (bodies still arriving) was false, or after `timeoutMs`.
   */
  async quiesce(quietMs: number, timeoutMs: number, busy = () => false): Promise<void> {
    this.#held ??= new Promise<void>((resolve) => this.#release = resolve);
    const deadline = now() + timeoutMs;
    let quietSince = this.#lastAnswerAt;
    for (;;) {
      if (busy()) quietSince = now();
      quietSince = Math.max(quietSince, this.#lastAnswerAt);
      const wait = Math.min(quietSince + quietMs, deadline) - now();
      if (wait <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 25)));
    }
  }

  /** Lets the requests held by `quiesce()` go on. */
  release(): void {
    this.#release();
    this.#held = null;
  }

  #answered(key: string, peer: Peer, closes: boolean) {
    peer.inFlight--;
    peer.lastActive = this.#lastAnswerAt = now();
    if (closes && peer.inFlight === 0 && this.#peers.get(key) === peer) this.#peers.delete(key);
    this.#changed?.();
  }

  /** Drops connections idle past `idleMs` (also what keeps the map bounded). */
  #forgetIdle() {
    const cutoff = now() - this.#idleMs;
    for (const [key, peer] of this.#peers) {
      if (peer.lastActive >= cutoff) break;
      if (peer.inFlight === 0) this.#peers.delete(key);
    }
  }
}

const now = () => performance.now();

/** `response` with `Connection: close`; copied when its headers are immutable. */
export function withConnectionClose(response: Response): Response {
  try {
    response.headers.set("Connection", "close");
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set("Connection", "close");
    return copy;
  }
}
