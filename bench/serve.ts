/**
 * Serving benchmark (`deno task bench:serve`): starts digitlab on a loopback port, drives
 * `POST /predict` with wrk (Debian's `wrk`) at several connection counts with a 28x28 and a
 * 280x280 PNG sent as the tutorial's multipart upload, samples the server's RSS while it runs,
 * and prints a Markdown table (req/s, p50, p99, errors, peak RSS) plus the start-to-ready time,
 * then the server's own view of the same runs from its request log: time in the handler, time
 * queued for a worker and the batches' run time (where a slow request lost its time).
 *
 * Bounded: every run lasts --duration seconds (default 10) and the whole benchmark stops the
 * server at the end. Loopback only. Server flags after `--` (e.g. `-- --workers 2`); the
 * request log is on (JSON to a pipe this script drains), as in production. The server runs with
 * the environment variables and V8 flags of `deno task start` unless `--v8-flags` says otherwise.
 *
 *   deno task bench:serve [--duration S] [--connections 1,8,32,64] [--payloads 28,280]
 *                         [--v8-flags FLAGS] [-- SERVER FLAGS...]
 *
 * @module
 */
import { parseArgs } from "node:util";

const BENCH_DIR = new URL("./", import.meta.url);
const ROOT = new URL("../", import.meta.url);
const SHARED_PAYLOADS = "/work/shared/bench/";

interface RunResult {
  payload: string;
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  peakRssMb: number;
  /** The server's request log lines for this run's /predict requests. */
  logged: LoggedRequest[];
}

/** The fields of a JSON request log line (metrics/observe.ts) this benchmark reads. */
interface LoggedRequest {
  ms: number;
  queueMs: number | null;
  inferenceMs: number | null;
  batch: number | null;
}

/** Request log lines arriving while `recording` is set. */
const serverLog = { recording: false, entries: [] as LoggedRequest[] };

const separator = Deno.args.indexOf("--");
const ownArgs = separator < 0 ? Deno.args : Deno.args.slice(0, separator);
const serverArgs = separator < 0 ? [] : Deno.args.slice(separator + 1);
const { values } = parseArgs({
  args: ownArgs,
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "1,8,32,64" },
    payloads: { type: "string", default: "28,280" },
    "v8-flags": { type: "string" },
  },
});
const duration = Number(values.duration);
const startTask = await startTaskSettings();
const v8Flags = values["v8-flags"] ?? startTask.v8Flags;
const connectionCounts = values.connections.split(",").map(Number);
const payloadSizes = values.payloads.split(",").map(Number);

/** The `VAR=value` prefix and the `--v8-flags` of deno.json's start task: what users run. */
async function startTaskSettings() {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const words = (config.tasks.start.command as string).split(/\s+/);
  const env: Record<string, string> = {};
  for (const word of words) {
    const assignment = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word);
    if (!assignment) break;
    env[assignment[1]] = assignment[2];
  }
  const v8Flags = words.find((word) => word.startsWith("--v8-flags="))?.slice(11);
  return { env, v8Flags };
}

/** The benchmark PNGs: the shared ones when present, else copies kept in bench/payloads. */
async function payloadPath(side: number): Promise<string> {
  const shared = `${SHARED_PAYLOADS}digit-${side}.png`;
  try {
    await Deno.stat(shared);
    return shared;
  } catch {
    return new URL(`payloads/digit-${side}.png`, BENCH_DIR).pathname;
  }
}

/** Starts the server on a free port; resolves once it prints its start-up line. */
async function startServer() {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env",
      ...(v8Flags ? [`--v8-flags=${v8Flags}`] : []),
      "main.ts",
      "--port",
      "0",
      // /predict alone (bench:feedback measures it beside feedback writes); no data folder.
      "--feedback",
      "off",
      // The default JSON request log stays on (drained below), as in production.
      ...serverArgs,
    ],
    cwd: ROOT.pathname,
    env: startTask.env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines())
    .getReader();
  let text = "";
  while (!/listening on (\S+)/.test(text)) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`server exited before listening:\n${text}`);
    text += value + "\n";
  }
  const url = /listening on (\S+)/.exec(text)![1];
  const readyMs = Number(/ready in (\d+) ms/.exec(text)?.[1] ?? NaN);
  // Keep draining stdout so the server never blocks on a full pipe; keep the runs' lines.
  (async () => {
    for (let line = await lines.read(); !line.done; line = await lines.read()) {
      if (serverLog.recording && line.value.startsWith("{")) {
        serverLog.entries.push(JSON.parse(line.value));
      }
    }
  })();
  return { child, url, readyMs, wallMs: performance.now() - started };
}

/** Text chunks to lines (Deno's std TextLineStream is on JSR, which we cannot reach). */
function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const line of lines) controller.enqueue(line);
    },
    flush(controller) {
      if (rest) controller.enqueue(rest);
    },
  });
}

/** The server's resident set in MB (ps: Deno asks --allow-all to read another /proc/PID). */
async function rssMb(pid: number): Promise<number> {
  const { stdout, success } = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", `${pid}`] })
    .output();
  return success ? Number(new TextDecoder().decode(stdout).trim()) / 1024 : 0;
}

/** wrk prints latencies as 812.00us, 1.20ms or 1.02s. */
function milliseconds(text: string): number {
  const [, value, unit] = /([\d.]+)(us|ms|s|m)/.exec(text) ?? [];
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60000 }[unit] ?? NaN;
  return Number(value) * scale;
}

async function runWrk(
  url: string,
  pid: number,
  payload: string,
  connections: number,
): Promise<RunResult> {
  serverLog.entries = [];
  serverLog.recording = true;
  let peak = await rssMb(pid);
  const sampler = setInterval(async () => peak = Math.max(peak, await rssMb(pid)), 250);
  const output = await new Deno.Command("wrk", {
    args: [
      `-t${Math.min(2, connections)}`,
      `-c${connections}`,
      `-d${duration}s`,
      "--latency",
      "-s",
      new URL("predict_multipart.lua", BENCH_DIR).pathname,
      `${url}predict`,
      "--",
      payload,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  clearInterval(sampler);
  serverLog.recording = false;
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) throw new Error(`wrk failed:\n${new TextDecoder().decode(output.stderr)}`);
  const number = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/
    .exec(text)?.slice(1).reduce((sum, n) => sum + Number(n), 0) ?? 0;
  return {
    payload: payload.replace(/.*\//, ""),
    connections,
    requestsPerSecond: Math.round(number(/Requests\/sec:\s+([\d.]+)/)),
    p50Ms: milliseconds(/\s50%\s+(\S+)/.exec(text)?.[1] ?? ""),
    p99Ms: milliseconds(/\s99%\s+(\S+)/.exec(text)?.[1] ?? ""),
    requests: number(/(\d+) requests in/),
    errors: number(/Non-2xx or 3xx responses: (\d+)/) + socketErrors,
    peakRssMb: Math.round(peak),
    logged: serverLog.entries,
  };
}

const load = Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
const server = await startServer();
const results: RunResult[] = [];
try {
  for (const side of payloadSizes) {
    const payload = await payloadPath(side);
    // A short warm-up so the JIT and the decoders' memory settle before measuring.
    await runWrk(server.url, server.child.pid, payload, 8).catch(() => {});
    for (const connections of connectionCounts) {
      results.push(await runWrk(server.url, server.child.pid, payload, connections));
    }
  }
} finally {
  server.child.kill("SIGTERM");
  await server.child.status;
}

console.log(
  `digitlab serving benchmark: ${duration} s per run, server flags: ` +
    `${serverArgs.join(" ") || "(defaults)"}` +
    `, V8 flags ${v8Flags ?? "(none)"}, environment ${JSON.stringify(startTask.env)}` +
    `; load average before: ${load}; ` +
    `start to ready ${server.readyMs} ms by the server's clock, ` +
    `${Math.round(server.wallMs)} ms from spawn to its listening line\n`,
);
console.log("| payload | connections | req/s | p50 ms | p99 ms | errors | peak RSS MB |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  console.log(
    `| ${r.payload} | ${r.connections} | ${r.requestsPerSecond} | ${r.p50Ms.toFixed(2)} | ` +
      `${r.p99Ms.toFixed(2)} | ${r.errors} | ${r.peakRssMb} |`,
  );
}

console.log(
  "\nThe server's view of the same runs (its JSON request log): time in the handler, time queued " +
    "for a free worker, and the run time of the batch each request was in; p50 / p99 in ms, " +
    "and the mean queue and batch time of the slowest 1% of requests.\n",
);
console.log(
  "| payload | connections | handler p50 / p99 | queued p50 / p99 | batch run p50 / p99 | " +
    "mean batch | slowest 1%: queued / batch run |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  const logged = r.logged.filter((entry) => entry.queueMs !== null);
  if (logged.length === 0) {
    console.log(`| ${r.payload} | ${r.connections} | - | - | - | - | - |`);
    continue;
  }
  const field = (key: "ms" | "queueMs" | "inferenceMs") => logged.map((entry) => entry[key]!);
  const pair = (values: number[]) =>
    `${percentile(values, 0.5).toFixed(2)} / ${percentile(values, 0.99).toFixed(2)}`;
  const slowest = [...logged].sort((a, b) => b.ms - a.ms).slice(0, Math.ceil(logged.length / 100));
  console.log(
    `| ${r.payload} | ${r.connections} | ${pair(field("ms"))} | ${pair(field("queueMs"))} | ` +
      `${pair(field("inferenceMs"))} | ${mean(logged.map((entry) => entry.batch!)).toFixed(1)} | ` +
      `${mean(slowest.map((entry) => entry.queueMs!)).toFixed(2)} / ` +
      `${mean(slowest.map((entry) => entry.inferenceMs!)).toFixed(2)} |`,
  );
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
