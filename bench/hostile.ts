/**
 * Hostile traffic: `deno task bench:hostile [--case NAME] [--entry path/to/main.ts]`.
 *
 * Each case starts the server as deployed (tests/helpers/server_process.ts: the release flags,
 * the unit's environment, loopback, a free port), plays one kind of hostile client against it
 * and prints one line of measurements: RSS (baseline after warm-up, peak, afterwards), /health
 * latency, and what another, ordinary client saw. Bounded: every case ends within a minute.
 * `--entry` runs another checkout's main.ts (for the "before" column of docs/performance.md).
 *
 * Cases: chunk-flood, silent-connections, big-png, big-png16, big-jpeg, ip-flood, methods. The
 * big-image cases time another user (bench/ordinary_client_worker.ts) alone, then during the burst.
 * big-jpeg encodes its progressive JPEG with `cjpeg` (Debian's libjpeg-turbo-progs).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DIGIT_STROKES, drawStrokes, toRgba } from "../tests/helpers/canvas.ts";
import {
  bigDigitPng,
  chunkFlood,
  probeHealth,
  silentConnections,
} from "../tests/helpers/hostile_clients.ts";
import { encodePng } from "../tests/helpers/png_encode.ts";
import { type ServerProcess, startServerProcess } from "../tests/helpers/server_process.ts";
import { DEFAULT_CONNECTION_LIMITS } from "../server/connection_guard.ts";
import type { OrdinaryClientStart } from "./ordinary_client_worker.ts";
import { post, type TimedAnswer } from "./timed_post.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { case: { type: "string" }, entry: { type: "string" } },
});
const entry = values.entry ? new URL(values.entry, `file://${Deno.cwd()}/`).pathname : undefined;

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number) => Number.isFinite(n) ? Math.round(n) : "timeout";

const drawnSeven = await (async () => {
  const { data } = toRgba(
    drawStrokes(DIGIT_STROKES["7"], { size: 280, penWidth: 20, box: [50, 40, 180] }),
    "transparent",
  );
  return await encodePng(data as Uint8Array, 280, 280, "rgba");
})();

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

/**
 * A `side` x `side` progressive JPEG of a dark bar (a 1) on grey noise, ~1.4 MB at 4096: noise
 * is what makes a JPEG big, and a progressive one cannot be decoded a strip at a time.
 */
async function bigDigitJpeg(side = 4096): Promise<Uint8Array<ArrayBuffer>> {
  const head = new TextEncoder().encode(`P6\n${side} ${side}\n255\n`);
  const ppm = new Uint8Array(head.length + side * side * 3);
  ppm.set(head);
  let seed = 1;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 32;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const ink = y > side * 0.2 && y < side * 0.8 && x > side * 0.45 && x < side * 0.55;
      const at = head.length + (y * side + x) * 3;
      ppm.fill(Math.max(0, Math.min(255, (ink ? 0 : 255) + noise())), at, at + 3);
    }
  }
  const needs = "cjpeg (apt-get install libjpeg-turbo-progs)";
  let encoder: Deno.ChildProcess;
  try {
    encoder = new Deno.Command("cjpeg", {
      args: ["-progressive", "-quality", "75"],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`the big-jpeg case needs ${needs}`);
    throw error;
  }
  const writer = encoder.stdin.getWriter();
  await writer.write(ppm);
  await writer.close();
  const { success, stdout } = await encoder.output();
  if (!success) throw new Error(`${needs} failed`);
  return stdout as Uint8Array<ArrayBuffer>;
}

/** Samples RSS every 100 ms until stopped; the peak. */
function sampleRss(server: ServerProcess) {
  let peak = 0, running = true;
  const done = (async () => {
    while (running) {
      peak = Math.max(peak, await server.rssBytes().catch(() => 0));
      await sleep(100);
    }
  })();
  return async () => {
    running = false;
    await done;
    return peak;
  };
}

/**
 * Another user posting the drawn 7 one request at a time until stopped: from 127.0.0.2, in a
 * worker (bench/ordinary_client_worker.ts says why).
 */
function ordinaryClient(url: string) {
  const worker = new Worker(new URL("./ordinary_client_worker.ts", import.meta.url), {
    type: "module",
  });
  const start: OrdinaryClientStart = { url, body: drawnSeven, localAddress: "127.0.0.2" };
  worker.postMessage(start);
  return () =>
    new Promise<TimedAnswer[]>((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.postMessage("stop");
    });
}

async function warmedUp(server: ServerProcess): Promise<number> {
  for (let i = 0; i < 50; i++) await post(server.url, drawnSeven);
  await sleep(500);
  return await server.rssBytes();
}

function counts(statuses: number[]): string {
  const by = new Map<number, number>();
  for (const status of statuses) by.set(status, (by.get(status) ?? 0) + 1);
  return [...by].sort().map(([s, n]) => `${s === 0 ? "none" : s}: ${n}`).join(", ");
}

const cases: Record<string, () => Promise<string>> = {
  async "chunk-flood"() {
    const server = await startServerProcess({ entry });
    try {
      const prober = probeHealth(server.url, 250);
      const flood = await chunkFlood(server.url, { chunks: 3_000_000, waitMs: 20_000 });
      await sleep(1000);
      const latencies = await prober.stop();
      return `answer ${flood.status ?? "none"} after ${round(flood.answeredMs)} ms; ` +
        `/health worst ${round(Math.max(...latencies))} ms over ${latencies.length} probes`;
    } finally {
      await stop(server);
    }
  },

  async "silent-connections"() {
    const server = await startServerProcess({ entry, prlimit: ["--nofile=1024:1024"] });
    try {
      const crowd = await silentConnections(server.url, 1500);
      await sleep(2000);
      const closed = await crowd.closedByServer();
      // The rest waited in the listen queue until descriptors freed: they idle out in turn.
      await sleep(2 * DEFAULT_CONNECTION_LIMITS.idleMs);
      const closedLater = await crowd.closedByServer();
      crowd.close();
      await sleep(500);
      const started = performance.now();
      const health = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(3000) })
        .then(async (r) => (await r.body?.cancel(), r.status), () => 0);
      return `opened ${crowd.opened} (refused ${crowd.refused}); closed by the server after 2 s: ` +
        `${closed}, after ${
          2 + (2 * DEFAULT_CONNECTION_LIMITS.idleMs) / 1000
        } s: ${closedLater}; ` +
        `/health after: ${health || "none"} in ${round(performance.now() - started)} ms` +
        `; process ${await alive(server) ? "alive" : "DEAD"}`;
    } finally {
      await stop(server);
    }
  },

  "big-png": () => bigImages(bigDigitPng(4096, 8), 32, 3),
  "big-png16": () => bigImages(bigDigitPng(4096, 16), 128, 1),
  "big-jpeg": async () => bigImages(await bigDigitJpeg(4096), 16, 1),

  async "ip-flood"() {
    // Loopback has one address: distinct clients are told apart by X-Forwarded-For, which
    // the server trusts only with --trust-proxy.
    const server = await startServerProcess({ entry, env: { DIGITLAB_TRUST_PROXY: "1" } });
    try {
      await warmedUp(server);
      let running = true;
      const flood = Array.from({ length: 256 }, async () => {
        while (running) await post(server.url, drawnSeven, { "X-Forwarded-For": "10.6.6.6" });
      });
      await sleep(1000);
      const other: TimedAnswer[] = [];
      for (let i = 0; i < 100; i++) {
        other.push(await post(server.url, drawnSeven, { "X-Forwarded-For": "10.1.1.1" }));
      }
      running = false;
      await Promise.all(flood);
      const ok = other.filter((a) => a.status === 200).length;
      return `the other client: ${ok} of ${other.length} answered 200 (${
        counts(other.map((a) => a.status))
      }), p99 ${round(percentile(other.map((a) => a.ms), 0.99))} ms`;
    } finally {
      await stop(server);
    }
  },

  async methods() {
    const server = await startServerProcess({ entry });
    try {
      const size = async () => (await (await fetch(`${server.url}/metrics`)).text()).length;
      const before = await size();
      const rssBefore = await server.rssBytes();
      for (let i = 0; i < 20_000; i += 100) {
        await Promise.all(
          Array.from(
            { length: 100 },
            (_, j) =>
              fetch(`${server.url}/health`, { method: `M${i + j}` }).then((r) => r.body?.cancel()),
          ),
        );
      }
      const after = await size();
      return `/metrics ${(before / 1024).toFixed(1)} KB -> ${(after / 1024).toFixed(1)} KB ` +
        `after 20,000 invented methods; RSS +${
          Math.round((await server.rssBytes() - rssBefore) / MB)
        } MB`;
    } finally {
      await stop(server);
    }
  },
};

async function bigImages(png: Uint8Array<ArrayBuffer>, clients: number, each: number) {
  const server = await startServerProcess({ entry });
  try {
    const baseline = await warmedUp(server);
    const quiet = ordinaryClient(server.url);
    await sleep(3000);
    const alone = (await quiet()).map((a) => a.ms);
    const peak = sampleRss(server);
    const others = ordinaryClient(server.url);
    const started = performance.now();
    let slowest = 0;
    const statuses = (await Promise.all(Array.from({ length: clients }, async () => {
      const mine: number[] = [];
      for (let i = 0; i < each; i++) {
        const answer = await post(server.url, png);
        slowest = Math.max(slowest, answer.ms);
        mine.push(answer.status);
      }
      return mine;
    }))).flat();
    const burstMs = performance.now() - started;
    const during = (await others()).map((a) => a.ms);
    const peakBytes = await peak();
    await sleep(3000);
    const afterBytes = await server.rssBytes();
    return `${clients}x${each} ${(png.length / 1024).toFixed(0)} KB: ${counts(statuses)} in ` +
      `${(burstMs / 1000).toFixed(1)} s, slowest ${round(slowest)} ms; RSS baseline ${
        Math.round(baseline / MB)
      } MB, peak ` +
      `${Math.round(peakBytes / MB)} MB, after ${Math.round(afterBytes / MB)} MB ` +
      `(${(afterBytes / baseline).toFixed(2)}x); other client p99 ${
        round(percentile(alone, 0.99))
      } ms alone, ${round(percentile(during, 0.99))} ms during (${during.length} requests)`;
  } finally {
    await stop(server);
  }
}

async function alive(server: ServerProcess): Promise<boolean> {
  return await Promise.race([server.exited.then(() => false), sleep(50).then(() => true)]);
}

/** SIGTERM; SIGKILL after 10 s for a server too frozen to handle it. */
async function stop(server: ServerProcess) {
  const timer = setTimeout(() => {
    try {
      Deno.kill(server.pid, "SIGKILL");
    } catch { /* gone */ }
  }, 10_000);
  await server.stop();
  clearTimeout(timer);
}

const chosen = values.case ? [values.case] : Object.keys(cases);
for (const name of chosen) {
  if (!cases[name]) throw new Error(`no case ${name}: ${Object.keys(cases).join(", ")}`);
  console.log(`${name}: ${await cases[name]()}`);
}
