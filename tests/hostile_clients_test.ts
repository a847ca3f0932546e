/**
 * Hostile clients against the server as deployed (a real process, the release flags, the
 * unit's environment), loopback only: one chunked body of millions of one-byte chunks must
 * not freeze it, a flood of silent connections past the open-files limit must not kill it,
 * connections that send nothing are closed by the server within its idle timeout, and a burst
 * of big uploads is refused before the app yet every client reads its answer.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import {
  bigDigitPng,
  chunkFlood,
  probeHealth,
  silentConnections,
} from "./helpers/hostile_clients.ts";
import { startServerProcess } from "./helpers/server_process.ts";
import { DEFAULT_CONNECTION_LIMITS } from "../server/connection_guard.ts";

Deno.test({
  name: "hostile: a body of 3,000,000 one-byte chunks leaves /health answering within 1 s",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startServerProcess();
  try {
    const prober = probeHealth(server.url, 250);
    const flood = await chunkFlood(server.url, { chunks: 3_000_000, waitMs: 12_000 });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // and after it
    const latencies = await prober.stop();
    assert(flood.status !== null, "the flood got no answer");
    assert(/^HTTP\/1\.1 4\d\d/.test(flood.status), `the flood got ${flood.status}`);
    const worst = Math.max(...latencies);
    assert(latencies.length >= 3, `only ${latencies.length} probes`);
    assert(worst < 1000, `/health took up to ${worst} ms: ${latencies.map(Math.round)}`);
  } finally {
    // A frozen server never handles SIGTERM: kill it rather than hang the suite.
    const timer = setTimeout(() => Deno.kill(server.pid, "SIGKILL"), 10_000);
    const code = await server.stop();
    clearTimeout(timer);
    deepStrictEqual(code, 0, "the server did not stop on SIGTERM within 10 s");
  }
});

Deno.test({
  name: "hostile: 1,500 silent connections under a 1024 open-files limit do not kill the server",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startServerProcess({ prlimit: ["--nofile=1024:1024"] });
  try {
    const crowd = await silentConnections(server.url, 1500);
    assert(crowd.opened + crowd.refused === 1500);
    crowd.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Once they are gone, the server answers again at once.
    const started = performance.now();
    const response = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(3000) });
    deepStrictEqual(response.status, 200);
    await response.body?.cancel();
    const ms = performance.now() - started;
    assert(ms < 1000, `/health took ${ms} ms after the crowd left`);
    assert(/out of file descriptors/.test(server.output()), "the limit was never reached");
  } finally {
    deepStrictEqual(await server.stop(), 0, server.output());
  }
});

Deno.test({
  name: "hostile: silent connections are closed by the server within the idle timeout",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const { idleMs } = DEFAULT_CONNECTION_LIMITS; // as deployed: no flag given
  const server = await startServerProcess();
  try {
    const crowd = await silentConnections(server.url, 300);
    deepStrictEqual(crowd.opened, 300);
    const openedAt = performance.now();
    // Half-way through the timeout they are all still open (no instant close)...
    await new Promise((resolve) => setTimeout(resolve, idleMs / 2));
    deepStrictEqual(await crowd.closedByServer(100), 0, "closed before the idle timeout");
    // ... and once it has passed (plus a second for a loaded machine), all are closed.
    await new Promise((resolve) =>
      setTimeout(resolve, openedAt + idleMs + 1000 - performance.now())
    );
    deepStrictEqual(await crowd.closedByServer(500), 300, "still open after the idle timeout");
    crowd.close();
    const response = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(3000) });
    deepStrictEqual(response.status, 200);
    await response.body?.cancel();
  } finally {
    deepStrictEqual(await server.stop(), 0, server.output());
  }
});

/** Sends a whole raw request before reading a byte (as Python `requests` does); the answer. */
async function sendWholeThenRead(url: string, path: string, body: Uint8Array): Promise<string> {
  const { hostname, port } = new URL(url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  try {
    const head = `POST ${path} HTTP/1.1\r\nHost: test\r\nContent-Type: image/png\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`;
    const request = new Uint8Array([...new TextEncoder().encode(head), ...body]);
    for (let written = 0; written < request.length;) {
      written += await connection.write(request.subarray(written));
    }
    let text = "";
    const buffer = new Uint8Array(16 * 1024);
    for (;;) {
      const n = await connection.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
      const [fields, rest = ""] = text.split("\r\n\r\n");
      const length = /content-length: *(\d+)/i.exec(fields)?.[1];
      if (length !== undefined && rest.length >= Number(length)) break;
    }
    return text;
  } finally {
    connection.close();
  }
}

Deno.test({
  name: "hostile: a burst of big uploads from one client is refused before the app, each answered",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startServerProcess();
  try {
    const bomb = bigDigitPng(4096, 16); // 143 KB; decodes for a second or more
    const answers = await Promise.all(
      Array.from({ length: 24 }, () => sendWholeThenRead(server.url, "/predict", bomb)),
    );
    const statuses = answers.map((text) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0));
    const refused = statuses.filter((status) => status === 503).length;
    deepStrictEqual(statuses.filter((s) => s !== 200 && s !== 503), [], "only 200 and 503");
    assert(refused >= 12, `only ${refused} of 24 refused: ${statuses}`);
    for (const text of answers.filter((text) => text.startsWith("HTTP/1.1 503"))) {
      assert(/\r\nretry-after: 1\r\n/i.test(text), text);
      deepStrictEqual(JSON.parse(text.split("\r\n\r\n")[1]).error, "overloaded");
    }
    // Refused before the app: no access log line, but counted in the request metrics.
    const logged = server.output().split("\n").filter((line) => /"status":503/.test(line));
    assert(logged.length < refused, `${logged.length} of ${refused} refusals went through the app`);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const counted =
      /digitlab_http_requests_total\{route="\/predict",method="POST",status="503"\} (\d+)/
        .exec(metrics)?.[1];
    deepStrictEqual(Number(counted), refused, "every refusal counted");
    // And the server still answers.
    const response = await fetch(`${server.url}/health`);
    deepStrictEqual(response.status, 200);
    await response.body?.cancel();
  } finally {
    deepStrictEqual(await server.stop(), 0, server.output());
  }
});
