/**
 * An HTTP/1.1 client that reuses its connection exactly as Python's `requests.Session`
 * (urllib3) does, written on raw TCP so a test sees what such a client sees:
 * - the whole request, headers and body, is written before the answer is read (a server that
 *   stops reading early deadlocks it or resets it; a broken pipe while writing is ignored and
 *   the answer read anyway, as urllib3 2 does);
 * - the next request goes out on the same connection as soon as the previous answer has been
 *   read, unless that answer said `Connection: close`; then a new connection is opened.
 *
 * Every request ends in one outcome: answered, refused (no connection was ever accepted, so
 * nothing was sent) or failed (sent, and no whole answer came back).
 *
 * @module
 */

export type Outcome =
  | { kind: "answered"; status: number; headers: Headers; body: Uint8Array; reused: boolean }
  | { kind: "refused" }
  | { kind: "failed"; error: string; reused: boolean };

export interface SessionOptions {
  hostname?: string;
  port: number;
  /** Gives up on an answer after this long (a failure). */
  timeoutMs?: number;
  /** A pause between 256 KiB pieces of a body: a client on a slower link than loopback. */
  pauseMs?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEADER_END = encoder.encode("\r\n\r\n");

export class KeepAliveSession {
  #conn: Deno.TcpConn | null = null;
  #options: Required<SessionOptions>;

  constructor(options: SessionOptions) {
    this.#options = { hostname: "127.0.0.1", timeoutMs: 15_000, pauseMs: 0, ...options };
  }

  /** Sends one request and reads its answer; never throws. */
  async request(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body: Uint8Array = new Uint8Array(),
  ): Promise<Outcome> {
    const reused = this.#conn !== null;
    if (this.#conn === null) {
      try {
        this.#conn = await Deno.connect({
          hostname: this.#options.hostname,
          port: this.#options.port,
        });
      } catch (error) {
        if (error instanceof Deno.errors.ConnectionRefused) return { kind: "refused" };
        return { kind: "failed", error: describe(error), reused };
      }
    }
    const conn = this.#conn;
    const head = [
      `${method} ${path} HTTP/1.1`,
      `Host: ${this.#options.hostname}:${this.#options.port}`,
      "Accept: */*",
      `Content-Length: ${body.length}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      "",
      "",
    ].join("\r\n");
    const timer = setTimeout(() => this.#drop(), this.#options.timeoutMs);
    try {
      try {
        await writeAll(conn, encoder.encode(head));
        await writeAll(conn, body, this.#options.pauseMs);
      } catch (error) {
        if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      }
      const answer = await readAnswer(conn, method);
      if (answer.headers.get("connection")?.toLowerCase() === "close") this.#drop();
      return { kind: "answered", ...answer, reused };
    } catch (error) {
      this.#drop();
      return { kind: "failed", error: describe(error), reused };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.#drop();
  }

  #drop() {
    try {
      this.#conn?.close();
    } catch {
      // already closed
    }
    this.#conn = null;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array, pauseMs = 0): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    if (written > 0 && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    written += await conn.write(bytes.subarray(written, written + 256 * 1024));
  }
}

/** Reads from `conn` until `enough(buffered)` says how many bytes make the part wanted. */
class Buffered {
  #bytes = new Uint8Array(0);
  constructor(private conn: Deno.Conn) {}

  async fill(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk);
    if (n === null) {
      throw new Error(
        this.#bytes.length === 0
          ? "remote end closed connection without response"
          : "connection closed in the middle of the answer",
      );
    }
    const joined = new Uint8Array(this.#bytes.length + n);
    joined.set(this.#bytes);
    joined.set(chunk.subarray(0, n), this.#bytes.length);
    this.#bytes = joined;
  }

  /** The bytes up to and including the first `marker`, reading more as needed. */
  async until(marker: Uint8Array): Promise<Uint8Array> {
    for (;;) {
      const at = indexOf(this.#bytes, marker);
      if (at >= 0) return this.take(at + marker.length);
      await this.fill();
    }
  }

  async exactly(length: number): Promise<Uint8Array> {
    while (this.#bytes.length < length) await this.fill();
    return this.take(length);
  }

  take(length: number): Uint8Array {
    const part = this.#bytes.slice(0, length);
    this.#bytes = this.#bytes.slice(length);
    return part;
  }
}

async function readAnswer(conn: Deno.Conn, method: string) {
  const input = new Buffered(conn);
  const lines = decoder.decode(await input.until(HEADER_END)).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1]);
  if (!(status >= 100)) throw new Error(`not an HTTP answer: ${lines[0]}`);
  const headers = new Headers();
  for (const line of lines.slice(1).filter(Boolean)) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let body: Uint8Array = new Uint8Array(0);
  if (method === "HEAD" || status === 204 || status === 304) return { status, headers, body };
  if (headers.get("transfer-encoding")?.toLowerCase().includes("chunked")) {
    const parts: Uint8Array[] = [];
    for (;;) {
      const size = parseInt(decoder.decode(await input.until(encoder.encode("\r\n"))), 16);
      if (size === 0) {
        await input.until(encoder.encode("\r\n"));
        break;
      }
      parts.push(await input.exactly(size));
      await input.exactly(2);
    }
    body = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) body.set(part, (offset += part.length) - part.length);
  } else {
    body = await input.exactly(Number(headers.get("content-length") ?? 0));
  }
  return { status, headers, body };
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
