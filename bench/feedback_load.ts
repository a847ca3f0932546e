/**
 * Feedback benchmark (`deno task bench:feedback`): starts digitlab as deployed (release
 * permission flags, SQLite in a fresh data folder, synchronous=FULL) on a loopback port and
 * measures, in order:
 *   1. a feedback write (POST /feedback, a 280x280 drawing, over HTTP) on an idle server:
 *      p50 and p99 of --writes sequential writes as the client sees them, and the server's own
 *      mean time for them (its request-duration histogram, from /metrics);
 *   2. /predict throughput with wrk (--connections, --duration seconds), alone;
 *   3. the same wrk run with one client writing feedback back to back beside it: /predict
 *      req/s and the writes' p50/p99 under that load.
 * Prints one JSON line of results. Bounded: about 2 x --duration seconds plus the writes.
 *
 *   deno task bench:feedback [--duration S] [--connections N] [--writes N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startServerProcess } from "../tests/helpers/server_process.ts";

const BENCH_DIR = new URL("./", import.meta.url);
const { values } = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "8" },
    writes: { type: "string", default: "300" },
  },
});
const duration = Number(values.duration), connections = Number(values.connections);
const payload = new URL("payloads/digit-280.png", BENCH_DIR).pathname;
const png = await Deno.readFile(payload);

function percentile(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] * 100) / 100;
}

function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { writes: sorted.length, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
}

async function writeOnce(url: string): Promise<number> {
  const form = new FormData();
  form.set("img", new Blob([png], { type: "image/png" }), "drawing.png");
  form.set("label", "7");
  form.set("predicted", "1");
  const started = performance.now();
  const response = await fetch(`${url}/feedback`, { method: "POST", body: form });
  await response.body?.cancel();
  const ms = performance.now() - started;
  if (response.status !== 201) throw new Error(`POST /feedback answered ${response.status}`);
  return ms;
}

async function predictThroughput(
  url: string,
): Promise<{ requestsPerSecond: number; errors: number }> {
  const output = await new Deno.Command("wrk", {
    args: [
      "-t2",
      `-c${connections}`,
      `-d${duration}s`,
      "-s",
      new URL("predict_multipart.lua", BENCH_DIR).pathname,
      `${url}/predict`,
      "--",
      payload,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) throw new Error(`wrk failed: ${new TextDecoder().decode(output.stderr)}`);
  return {
    requestsPerSecond: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? 0)),
    errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
  };
}

/**
 * The server's own time for POST /feedback so far (sum and count of its request-duration
 * histogram): arrival to response inside the server, without the client's share.
 */
async function serverSide(url: string): Promise<{ seconds: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (suffix: string) =>
    Number(
      new RegExp(
        `^digitlab_http_request_duration_seconds_${suffix}\\{route="/feedback"\\} (\\S+)$`,
        "m",
      )
        .exec(text)?.[1] ?? NaN,
    );
  return { seconds: read("sum"), count: read("count") };
}

const server = await startServerProcess({ args: ["--log-format", "none"] });
try {
  // Warm-up: the JIT, the decoders and SQLite's page cache.
  for (let i = 0; i < 30; i++) await writeOnce(server.url);
  const idle: number[] = [];
  const before = await serverSide(server.url);
  for (let i = 0; i < Number(values.writes); i++) idle.push(await writeOnce(server.url));
  const after = await serverSide(server.url);
  const serverMeanMs = Math.round(
    (after.seconds - before.seconds) / (after.count - before.count) * 1e5,
  ) / 100;

  const alone = await predictThroughput(server.url);

  let writing = true;
  const underLoad: number[] = [];
  const writer = (async () => {
    while (writing) underLoad.push(await writeOnce(server.url));
  })();
  const beside = await predictThroughput(server.url);
  writing = false;
  await writer;

  console.log(JSON.stringify({
    feedbackWriteIdle: { ...summary(idle), serverMeanMs },
    predictAlone: alone,
    predictWithFeedback: beside,
    feedbackWriteUnderPredictLoad: summary(underLoad),
    connections,
    durationSeconds: duration,
    loadAverage: Deno.loadavg(),
  }));
} finally {
  await server.stop();
}
