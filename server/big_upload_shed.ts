/**
 * A burst's excess refused before the app sees it. While a client's big-image lane is full
 * (it holds its share, or the lane is held and nothing big could be admitted), every further
 * big upload of its would be refused from its image's head anyway (decode_admission.ts); each
 * such refusal still cost the HTTP thread the whole app (routing, middleware, the body
 * watch, logging, metrics: ~1 ms), so a burst of 128 held every other client's request
 * behind ~100 ms of them. Here an upload to an image route from such a client is refused from
 * its headers alone when it declares a body no drawing needs (`minBytes`): 503 + Retry-After,
 * the same answer the head check gives, built from a few constants; no access log line (a
 * burst would write 128), only `onShed` (the request metrics). A smaller upload (every canvas)
 * goes on to the app, and so does anything from another client.
 *
 * Two places ask: the connection relay, from a new connection's first bytes (`atHead`: then
 * the request never reaches `Deno.serve`, nor its body the loopback connection), and the
 * `Deno.serve` handler (`handler`: requests after the first on a connection, or served without
 * the relay).
 *
 * @module
 */
import type { DecodeBudget } from "../inference/decode_budget.ts";
import { DECODE_IN_WORKER_MAX_PIXELS } from "../inference/predict.ts";
import { clientKey } from "../middleware/client_key.ts";
import { BUDGET_FULL } from "../routes/api/decode_admission.ts";
import type { HeadAnswer } from "./connection_guard.ts";

export interface BigUploadShedOptions {
  /** The big-image lane (DecodeLanes.big). */
  bigLane: DecodeBudget;
  /** Paths whose uploads are images. */
  paths: readonly string[];
  /** Declared bodies at least this long are taken for big images. */
  minBytes: number;
  /** Key clients by X-Forwarded-For's last entry, as the app's limits do (--trust-proxy). */
  trustProxy: boolean;
  /** Called for each upload refused here (the app's metrics never see it). */
  onShed?(path: string, ms: number): void;
}

/** The canvas page's drawings are 5-30 KB; a 4096x4096 blank 16-bit PNG is 143 KB. */
export const SHED_MIN_BYTES = 64 * 1024;

/** What the smallest image of the big lane reserves (just over 1 MP, 1 byte a pixel). */
const SMALLEST_BIG_COST = (DECODE_IN_WORKER_MAX_PIXELS + 1) * 4;

/** The head check's refusal (decode_admission.ts), as it answers it. */
const BODY = JSON.stringify(BUDGET_FULL.toJSON());
const STATUS = BUDGET_FULL.status;
const HEADERS: [string, string][] = [
  ["content-type", "application/json"],
  ["retry-after", "1"],
  ["x-content-type-options", "nosniff"],
  ["cache-control", "no-store"],
];
/** The same answer as raw HTTP, for the relay; it closes the connection. */
const RAW_ANSWER = new TextEncoder().encode(
  `HTTP/1.1 ${STATUS} Service Unavailable\r\n` +
    HEADERS.map(([name, value]) => `${name}: ${value}\r\n`).join("") +
    `content-length: ${BODY.length}\r\nconnection: close\r\n\r\n${BODY}`,
);

/** Longest request head looked at in a connection's first piece. */
const MAX_HEAD = 8 * 1024;
const latin1 = new TextDecoder("latin1");

/**
 * @example
 * ```ts
 * import { DecodeLanes } from "../inference/decode_budget.ts";
 *
 * const lanes = new DecodeLanes({ bytes: 192 * 2 ** 20 });
 * const shed = new BigUploadShed({
 *   bigLane: lanes.big,
 *   paths: ["/predict"],
 *   minBytes: SHED_MIN_BYTES,
 *   trustProxy: false,
 * });
 * const handler = shed.handler(() => new Response("app"));
 * ```
 */
export class BigUploadShed {
  readonly #options: BigUploadShedOptions;
  readonly #paths: Set<string>;

  constructor(options: BigUploadShedOptions) {
    this.#options = options;
    this.#paths = new Set(options.paths);
  }

  /** Wraps a `Deno.serve` handler with the shed. */
  handler<A extends Deno.Addr>(fetch: Deno.ServeHandler<A>): Deno.ServeHandler<A> {
    return (request, info) => {
      if (request.method !== "POST" || this.#options.bigLane.held === 0) {
        return fetch(request, info);
      }
      const started = performance.now();
      // The path without building a URL: the request line's target, after the authority.
      const url = request.url;
      const start = url.indexOf("/", url.indexOf("//") + 2);
      const end = url.indexOf("?", start);
      const refused = this.#refuses(
        end < 0 ? url.slice(start) : url.slice(start, end),
        request.headers.get("content-length"),
        request.headers.get("x-forwarded-for"),
        (info.remoteAddr as Partial<Deno.NetAddr>).hostname ?? "unknown",
        started,
      );
      return refused
        ? new Response(BODY, { status: STATUS, headers: HEADERS })
        : fetch(request, info);
    };
  }

  /**
   * The answer for a connection whose first piece is `head`, when it holds a whole request
   * head this refuses; null to relay it (anything unusual is left to the runtime's parser).
   */
  atHead(head: Uint8Array, peer: Deno.NetAddr): HeadAnswer | null {
    if (this.#options.bigLane.held === 0 || head[0] !== 0x50 /* P */) return null;
    const started = performance.now();
    const text = latin1.decode(head.subarray(0, MAX_HEAD));
    const headEnd = text.indexOf("\r\n\r\n");
    if (headEnd < 0) return null;
    const lines = text.slice(0, headEnd).split("\r\n");
    const [method, target, version, extra] = lines[0].split(" ");
    if (method !== "POST" || version !== "HTTP/1.1" || extra !== undefined) return null;
    const fields = new Map<string, string | null>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) return null;
      const name = line.slice(0, colon).toLowerCase();
      // Repeated, or framing the relay does not follow: the runtime decides.
      if (fields.has(name) || name === "transfer-encoding" || name === "expect") return null;
      fields.set(name, line.slice(colon + 1).trim());
    }
    const length = fields.get("content-length") ?? null;
    if (length === null || !/^\d{1,9}$/.test(length)) return null;
    const query = target.indexOf("?");
    const path = query < 0 ? target : target.slice(0, query);
    const refused = this.#refuses(
      path,
      length,
      fields.get("x-forwarded-for"),
      peer.hostname,
      started,
    );
    if (!refused) return null;
    return { response: RAW_ANSWER, bodyLeft: Number(length) - (head.length - headEnd - 4) };
  }

  #refuses(
    path: string,
    contentLength: string | null,
    forwardedFor: string | null | undefined,
    peer: string,
    started: number,
  ): boolean {
    const { bigLane, minBytes, trustProxy, onShed } = this.#options;
    if (!(Number(contentLength) >= minBytes) || !this.#paths.has(path)) return false;
    if (bigLane.admits(SMALLEST_BIG_COST, clientKey(forwardedFor, peer, trustProxy))) return false;
    onShed?.(path, performance.now() - started);
    return true;
  }
}
