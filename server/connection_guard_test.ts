import assert, { deepStrictEqual } from "node:assert/strict";
import { type ConnectionGuardOptions, serveGuarded } from "./connection_guard.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function start(
  limits: Partial<ConnectionGuardOptions>,
  handler: Deno.ServeHandler<Deno.NetAddr> = () => new Response("ok"),
) {
  return serveGuarded({
    hostname: "127.0.0.1",
    port: 0,
    idleMs: 10_000,
    headerMs: 10_000,
    closingMs: 10_000,
    maxConnections: 100,
    log: () => {},
    ...limits,
  }, handler);
}

/** Resolves with the milliseconds until the server closed `conn`, or null after `waitMs`. */
async function closedWithin(conn: Deno.Conn, waitMs: number): Promise<number | null> {
  const started = performance.now();
  const buffer = new Uint8Array(4096);
  const deadline = started + waitMs;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = await Promise.race([
      conn.read(buffer).catch(() => null),
      new Promise<"waiting">((resolve) => timer = setTimeout(() => resolve("waiting"), left)),
    ]);
    clearTimeout(timer);
    if (read === "waiting") return null;
    if (read === null) return performance.now() - started;
  }
}

/** Reads one whole answer (headers and a content-length body) from `conn`. */
async function readAnswer(conn: Deno.Conn): Promise<{ head: string; body: string }> {
  let text = "";
  const buffer = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error(`closed after ${JSON.stringify(text)}`);
    text += decoder.decode(buffer.subarray(0, n));
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) continue;
    const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0);
    if (text.length >= end + 4 + length) {
      return { head: text.slice(0, end), body: text.slice(end + 4, end + 4 + length) };
    }
  }
}

const connect = (server: { addr: Deno.NetAddr }) =>
  Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });

Deno.test("connection guard: silent connections are closed by the server within the idle timeout", async () => {
  const server = start({ idleMs: 500 });
  const conns = await Promise.all(Array.from({ length: 20 }, () => connect(server)));
  try {
    const closedAfter = await Promise.all(conns.map((conn) => closedWithin(conn, 1500)));
    for (const ms of closedAfter) {
      assert(ms !== null, "a silent connection was still open 1.5 s after a 500 ms idle timeout");
      // Measured from when the test began to read, a little after the connection opened.
      assert(ms > 350, `closed after ${Math.round(ms)} ms: before the idle timeout`);
    }
    deepStrictEqual(server.connections, 0);
  } finally {
    for (const conn of conns) conn.close();
    await server.shutdown();
  }
});

Deno.test("connection guard: a kept-alive connection is closed once idle; answers say how long they may idle", async () => {
  const server = start({ idleMs: 1500 });
  const conn = await connect(server);
  try {
    for (let i = 0; i < 3; i++) {
      await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      const { head, body } = await readAnswer(conn);
      assert(head.startsWith("HTTP/1.1 200"), head);
      assert(/\r\nkeep-alive: timeout=1\r\n/i.test(`${head}\r\n`), head);
      deepStrictEqual(body, "ok");
      await delay(800); // idle, but less than the timeout: the connection stays usable
    }
    const ms = await closedWithin(conn, 3000);
    assert(ms !== null && ms > 400, `closed ${ms} ms after the last pause (timeout 1500 ms)`);
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("connection guard: a request head trickling in is cut off at the header timeout", async () => {
  let handled = 0;
  const server = start({ idleMs: 5000, headerMs: 600 }, () => {
    handled++;
    return new Response("ok");
  });
  const conn = await connect(server);
  const trickle = (async () => {
    const head = encoder.encode("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    await conn.write(head);
    for (let i = 0; i < 40; i++) {
      await delay(100);
      await conn.write(encoder.encode("a"));
    }
  })().catch(() => {}); // the server closes the connection part-way
  try {
    const ms = await closedWithin(conn, 3000);
    assert(ms !== null, "a head still arriving after 3 s was not cut off");
    assert(ms > 450 && ms < 1500, `cut off after ${Math.round(ms)} ms (timeout 600 ms)`);
    deepStrictEqual(handled, 0);
  } finally {
    await trickle;
    conn.close();
    await server.shutdown();
  }
});

Deno.test("connection guard: no timeout cuts a request in progress; the app sees the client's address", async () => {
  const seen: Deno.NetAddr[] = [];
  const server = start({ idleMs: 200, headerMs: 200 }, async (_request, info) => {
    seen.push(info.remoteAddr);
    await delay(800);
    return new Response("slow but sure");
  });
  const conn = await connect(server);
  try {
    await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    const { head, body } = await readAnswer(conn);
    assert(head.startsWith("HTTP/1.1 200"), head);
    deepStrictEqual(body, "slow but sure");
    deepStrictEqual(seen.map((addr) => addr.port), [(conn.localAddr as Deno.NetAddr).port]);
    deepStrictEqual(seen[0].hostname, "127.0.0.1");
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("connection guard: past the cap new connections are closed at once, and served again after", async () => {
  const server = start({ maxConnections: 5 });
  const crowd = await Promise.all(Array.from({ length: 5 }, () => connect(server)));
  await delay(100);
  deepStrictEqual(server.connections, 5);
  const extra = await connect(server);
  try {
    const ms = await closedWithin(extra, 1000);
    assert(ms !== null, "the connection past the cap was kept open");
    for (const conn of crowd) conn.close();
    await delay(100);
    const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
    deepStrictEqual(await response.text(), "ok");
  } finally {
    extra.close();
    await server.shutdown();
  }
});

Deno.test("connection guard: shutdown lets answers in progress reach their clients", async () => {
  let started!: () => void;
  const inProgress = new Promise<void>((resolve) => started = resolve);
  const server = start({}, async () => {
    started();
    await delay(300);
    return new Response("finished");
  });
  const answer = fetch(`http://127.0.0.1:${server.addr.port}/`).then((r) => r.text());
  await inProgress;
  await server.shutdown();
  deepStrictEqual(await answer, "finished");
  await assertRefused(server.addr.port);
});

async function assertRefused(port: number) {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
  } catch (error) {
    assert(error instanceof Deno.errors.ConnectionRefused, String(error));
    return;
  }
  assert.fail("the port still accepted connections after shutdown");
}

Deno.test("serveGuarded: answerAtHead answers a connection's first request itself, the rest relayed", async () => {
  let handled = 0;
  const refusal = encoder.encode(
    "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbusy",
  );
  const server = start({
    answerAtHead: (head) =>
      decoder.decode(head).startsWith("POST /refuse ")
        ? {
          response: refusal,
          bodyLeft: 100_000 - (head.length - decoder.decode(head).indexOf("\r\n\r\n") - 4),
        }
        : null,
  }, () => {
    handled++;
    return new Response("ok");
  });
  try {
    // Refused: the whole body is sent before reading, and the answer still arrives.
    const refused = await connect(server);
    const body = new Uint8Array(100_000);
    await refused.write(
      encoder.encode("POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"),
    );
    for (let written = 0; written < body.length;) {
      written += await refused.write(body.subarray(written));
    }
    const answer = await readAnswer(refused);
    assert(answer.head.startsWith("HTTP/1.1 503"), answer.head);
    deepStrictEqual(answer.body, "busy");
    assert((await closedWithin(refused, 2000)) !== null, "the relay closed the connection");
    refused.close();
    deepStrictEqual(handled, 0, "the handler never saw it");

    // Anything else goes to the handler, first piece included.
    const passed = await connect(server);
    await passed.write(encoder.encode("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
    deepStrictEqual((await readAnswer(passed)).body, "ok");
    passed.close();
    deepStrictEqual(handled, 1);
  } finally {
    await server.shutdown();
  }
});
