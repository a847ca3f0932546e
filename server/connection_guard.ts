/**
 * Timeouts and a cap for the connections `Deno.serve` cannot bound itself (Deno 2.9.6 has no
 * idle or header-read timeout: a connection that never sends a byte stays open for ever, see
 * denoland/deno#34172). The public port is a plain `Deno.listen` accept loop; each accepted
 * connection is relayed byte for byte to `Deno.serve` on a loopback port of its own, and the
 * relay closes it when it waits too long for a request:
 *
 * - idle: nothing received since it opened or since its last answer, for `idleMs`;
 * - header read: a request started arriving but never reached the app, for `headerMs`;
 * - closing: after an answer that closes the connection (Connection: close while draining,
 *   or a 413 whose body is discarded), the client gets `closingMs` to finish and go.
 *
 * While a request is in progress no timer runs: the request's own deadline bounds it. Answers
 * that keep the connection say so (`Keep-Alive: timeout=N`), so clients that read it (undici,
 * curl) stop reusing a connection before the server closes it.
 *
 * With `answerAtHead`, the relay reads a connection's first piece before it connects to the
 * backend, and may answer that first request itself (a burst's excess: big_upload_shed.ts).
 *
 * Past `maxConnections` open ones, new connections are closed at once. Each relayed
 * connection holds three descriptors (the client's, and both ends of the loopback one; with
 * answerAtHead, only the client's until its first bytes arrive); when
 * accept() or connect() runs out of them (EMFILE: the open-files limit is lower than the cap
 * needs) the loop backs off, keeps serving the connections it has, and lowers the cap to 90%
 * of what was open, so later floods are shed before the limit.
 *
 * The app sees the real client address: the handler is given the accepted connection's
 * `remoteAddr`, looked up by the relay's loopback port. A connection to the loopback port
 * that did not come through the relay is refused (403).
 *
 * @module
 */
import { bulkBuffer, copy, giveBack, READ_BYTES, writeAll } from "./relay_io.ts";
import { isOutOfDescriptors, serveResiliently } from "./resilient_serve.ts";
import { ServerFacade, type ServerParts } from "./server_facade.ts";

/** The timeouts and the cap (flags --idle-timeout, --header-timeout, --max-connections). */
export interface ConnectionLimits {
  /** Close a connection with no request for this long (since opened or last answered). */
  idleMs: number;
  /** Close a connection whose next request has not fully arrived this long after it began. */
  headerMs: number;
  /** Open connections at most; more are closed as soon as they are accepted. */
  maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  // Node's keepAliveTimeout; browsers reopen a closed idle connection without a user noticing.
  idleMs: 5_000,
  // The request deadline's default: a request's head gets as long as its whole upload.
  headerMs: 10_000,
  // 3,000 descriptors: the unit's LimitNOFILE=65536 has room; a lower limit lowers it at EMFILE.
  maxConnections: 1_000,
};

export interface ConnectionGuardOptions extends ConnectionLimits {
  hostname: string;
  port: number;
  /** SO_REUSEPORT on the public port (several processes on one port). */
  reusePort?: boolean;
  /** After an answer that ends the connection, how long the client gets to close it. */
  closingMs: number;
  /** Called with the public address each time the server starts listening. */
  onListen?(addr: Deno.NetAddr): void;
  log?(message: string): void;
  /**
   * An answer for a new connection from its first piece alone (it must hold the whole request
   * head), sent by the relay without the request reaching the handler; null relays it.
   */
  answerAtHead?(head: Uint8Array, peer: Deno.NetAddr): HeadAnswer | null;
}

/** The relay's own answer to a connection's first request (answerAtHead). */
export interface HeadAnswer {
  /** The whole HTTP response; it must close the connection. */
  response: Uint8Array;
  /** Bytes of the request's body still to come after the first piece (read and dropped). */
  bodyLeft: number;
}

/** Most of a refused body the relay reads and drops before it closes the connection. */
const MAX_DISCARD_BYTES = 4 * 1024 * 1024;

/** At shutdown, how long the last answers get to reach their clients. */
const FLUSH_MS = 1_000;

/** What is relayed for one accepted connection. */
class Relayed {
  inFlight = 0;
  /** The last answer ends the connection: the closing timer, not the idle one, applies. */
  closing = false;
  /** Bytes arrived since the connection last became idle: the header timer runs. */
  arriving = false;
  /** The loopback connection to the backend, once opened. */
  backend: Deno.TcpConn | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(
    readonly client: Deno.TcpConn,
    readonly timeouts: Pick<ConnectionGuardOptions, "idleMs" | "headerMs" | "closingMs">,
    readonly onClose: () => void,
  ) {
    this.#wait(timeouts.idleMs);
  }

  /** A byte arrived from the client. */
  received() {
    if (this.inFlight > 0 || this.arriving || this.closing) return;
    this.arriving = true;
    this.#wait(this.timeouts.headerMs);
  }

  requestStarted() {
    this.inFlight++;
    this.arriving = false;
    clearTimeout(this.#timer);
  }

  requestEnded(closes: boolean) {
    this.inFlight--;
    if (closes) this.closing = true;
    if (this.inFlight > 0) return;
    this.arriving = false;
    this.#wait(this.closing ? this.timeouts.closingMs : this.timeouts.idleMs);
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const conn of [this.client, this.backend]) {
      try {
        conn?.close();
      } catch { /* already closed */ }
    }
    this.onClose();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #wait(ms: number) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.close(), ms);
  }
}

/**
 * Serves `handler` on `options.hostname:port` with idle, header-read and closing timeouts and
 * a connection cap; the result behaves as a `Deno.HttpServer`.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONNECTION_LIMITS, serveGuarded } from "./connection_guard.ts";
 *
 * const server = serveGuarded({
 *   ...DEFAULT_CONNECTION_LIMITS,
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   closingMs: 30_000,
 * }, () => new Response("hello"));
 * await server.shutdown();
 * ```
 */
export function serveGuarded(
  options: ConnectionGuardOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Deno.HttpServer<Deno.NetAddr> & { readonly connections: number } {
  const { log = console.warn } = options;
  const keepAlive = `timeout=${Math.max(1, Math.floor(options.idleMs / 1000))}`;
  let cap = options.maxConnections;
  /** Every connection open now, and by the loopback port it reaches the backend from. */
  const relayed = new Set<Relayed>();
  const byPort = new Map<number, Relayed>();
  // reusePort is typed only with --unstable-net (which the server runs with).
  const listen = { hostname: options.hostname, port: options.port, reusePort: options.reusePort };
  const listener = Deno.listen(listen);
  let stopping = false;
  const backend = serveResiliently({
    hostname: "127.0.0.1",
    port: 0,
    log,
  }, async function guardedHandler(request, info) {
    const relay = byPort.get(info.remoteAddr.port);
    if (!relay) {
      const error = { code: "forbidden", message: "Connect to the server's public port." };
      return Response.json({ error }, { status: 403 });
    }
    relay.requestStarted();
    let closes = false;
    try {
      const response = await handler(request, {
        remoteAddr: relay.client.remoteAddr as Deno.NetAddr,
        completed: info.completed,
      });
      // After a 413 the runtime discards the body, then closes (lingering_close.ts).
      closes = response.status === 413 ||
        response.headers.get("connection")?.toLowerCase() === "close";
      return closes ? response : withKeepAlive(response, keepAlive);
    } finally {
      info.completed.catch(() => {}).finally(() => relay.requestEnded(closes));
    }
  });
  const backendPort = backend.addr.port;
  options.onListen?.(listener.addr as Deno.NetAddr);

  let shedding = false;
  const outOfDescriptors = () => {
    const lowered = Math.max(1, Math.floor(relayed.size * 0.9));
    if (lowered < cap) {
      cap = lowered;
      log(
        `digitlab: out of file descriptors with ${relayed.size} connections open; at most ` +
          `${cap} from now on (raise LimitNOFILE, or lower --max-connections)`,
      );
    }
  };
  const accepting = (async () => {
    let backoff = 50;
    while (!stopping) {
      let client: Deno.TcpConn;
      try {
        client = await listener.accept() as Deno.TcpConn;
      } catch (error) {
        if (stopping || error instanceof Deno.errors.BadResource) return;
        if (!isOutOfDescriptors(error)) throw error;
        outOfDescriptors();
        log(`digitlab: out of file descriptors on accept; accepting again in ${backoff} ms`);
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(1000, backoff * 2);
        continue;
      }
      backoff = 50;
      if (relayed.size >= cap) {
        if (!shedding) log(`digitlab: ${relayed.size} connections open: closing new ones`);
        shedding = true;
        client.close();
        continue;
      }
      shedding = false;
      relay(client).catch(() => {});
    }
  })();

  async function relay(client: Deno.TcpConn) {
    client.setNoDelay(true);
    let port: number | undefined;
    const connection = new Relayed(client, options, () => {
      relayed.delete(connection);
      if (port !== undefined) byPort.delete(port);
    });
    relayed.add(connection);
    const relaying = (async () => {
      // With answerAtHead, the first piece is read before the backend is connected to: a
      // request answered from it never costs a loopback connection.
      let first: Uint8Array | undefined;
      if (options.answerAtHead) {
        const buffer = new Uint8Array(READ_BYTES);
        const n = await client.read(buffer).catch(() => null);
        if (n === null) return;
        connection.received();
        first = buffer.subarray(0, n);
        const answer = options.answerAtHead(first, client.remoteAddr as Deno.NetAddr);
        if (answer) return await answerFromRelay(client, connection, answer);
      }
      let toBackend: Deno.TcpConn;
      try {
        toBackend = await Deno.connect({ hostname: "127.0.0.1", port: backendPort });
      } catch (error) {
        if (isOutOfDescriptors(error)) outOfDescriptors();
        return;
      }
      connection.backend = toBackend;
      if (connection.closed) return toBackend.close();
      toBackend.setNoDelay(true);
      port = (toBackend.localAddr as Deno.NetAddr).port;
      byPort.set(port, connection);
      await Promise.allSettled([
        (async () => {
          if (first && !await writeAll(toBackend, first)) return;
          await copy(client, toBackend, () => connection.received());
        })(),
        copy(toBackend, client),
      ]);
    })().finally(() => connection.close());
    relaying.finally(() => relays.delete(relaying));
    relays.add(relaying);
    await relaying;
  }
  const relays = new Set<Promise<void>>();

  const finished = (async () => {
    await accepting;
    await backend.finished;
    // The backend has answered and closed its side of every connection; the relays end once
    // the last answers have reached their clients (bounded, for a client that never reads).
    const flushed = Promise.allSettled([...relays]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([flushed, new Promise((resolve) => timer = setTimeout(resolve, FLUSH_MS))]);
    clearTimeout(timer);
    for (const connection of relayed) connection.close();
  })();

  return new GuardedServer(() => relayed.size, {
    addr: () => listener.addr as Deno.NetAddr,
    finished,
    stop() {
      stopping = true;
      try {
        listener.close();
      } catch { /* already closed */ }
      return backend.shutdown();
    },
    inner: () => backend,
  });
}

/** The guarded server, which also tells how many connections it relays. */
class GuardedServer extends ServerFacade {
  readonly #connections: () => number;

  constructor(connections: () => number, parts: ServerParts) {
    super(parts);
    this.#connections = connections;
  }

  get connections(): number {
    return this.#connections();
  }
}

/** `response` with `Keep-Alive: timeout=N`; copied when its headers are immutable. */
function withKeepAlive(response: Response, value: string): Response {
  try {
    response.headers.set("Keep-Alive", value);
    return response;
  } catch {
    const copied = new Response(response.body, response);
    copied.headers.set("Keep-Alive", value);
    return copied;
  }
}

/**
 * Sends the relay's own answer, then reads and drops what is left of the body (bounded; the
 * closing timer bounds the wait), as lingering_close.ts does: a client that sends its whole
 * body before reading would otherwise be reset and lose the answer.
 */
async function answerFromRelay(client: Deno.TcpConn, connection: Relayed, answer: HeadAnswer) {
  connection.requestStarted();
  const sent = await writeAll(client, answer.response);
  connection.requestEnded(true);
  if (!sent) return connection.close();
  let left = Math.min(answer.bodyLeft, MAX_DISCARD_BYTES);
  const buffer = bulkBuffer();
  while (left > 0) {
    const n = await client.read(buffer).catch(() => null);
    if (n === null) break;
    left -= n;
  }
  giveBack(buffer);
  connection.close();
}
