/**
 * Hostile clients against the server as deployed (a real process, the release flags, the
 * unit's environment), loopback only: one chunked body of millions of one-byte chunks must
 * not freeze it, a flood of silent connections past the open-files limit must not kill it, and
 * connections that send nothing are closed by the server within its idle timeout.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { chunkFlood, probeHealth, silentConnections } from "./helpers/hostile_clients.ts";
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
