/**
 * Graceful shutdown, proven on a real process with the release permissions: SIGTERM or SIGINT
 * while 16 keep-alive clients keep posting (each reuses its connection as Python's
 * requests.Session does) and two uploads are still trickling in -> /health answers 503 at
 * once, every answer from then on carries `Connection: close`, not one request fails (a
 * connection refused once the server stopped listening sent nothing, so lost nothing), and
 * the process exits 0 well within systemd's 10 s stop timeout.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { DIGIT_STROKES, drawStrokes, toRgba } from "./helpers/canvas.ts";
import { KeepAliveSession, type Outcome } from "./helpers/keep_alive_client.ts";
import { encodePng } from "./helpers/png_encode.ts";
import { startServerProcess } from "./helpers/server_process.ts";
import { writeTestModels } from "./helpers/test_models.ts";

const CLIENTS = 16;
/** The load runs ~5 s in all: the signal after this, then the drain and the exit. */
const SIGNAL_AFTER_MS = 2_000;
const modelsDir = await writeTestModels(["cnn-aug"]);
globalThis.addEventListener("unload", () => Deno.removeSync(modelsDir, { recursive: true }));

const canvasPng = await (async () => {
  const { data } = toRgba(
    drawStrokes(DIGIT_STROKES["7"], { size: 280, penWidth: 20, box: [50, 40, 180] }),
    "transparent",
  );
  return await encodePng(data as Uint8Array, 280, 280, "rgba");
})();

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const decoder = new TextDecoder();

interface Timed {
  startedAt: number;
  finishedAt: number;
  outcome: Outcome;
}

async function timed(work: () => Promise<Outcome>): Promise<Timed> {
  const startedAt = performance.now();
  const outcome = await work();
  return { startedAt, finishedAt: performance.now(), outcome };
}

const postPng = (session: KeepAliveSession) =>
  session.request("POST", "/predict", { "Content-Type": "image/png" }, canvasPng);

function result(outcome: Outcome): number | undefined {
  return outcome.kind === "answered" ? JSON.parse(decoder.decode(outcome.body)).result : undefined;
}

const closes = (o: Outcome) =>
  o.kind === "answered" && o.headers.get("connection")?.toLowerCase() === "close";

async function fetchPredict(url: string, body: BodyInit) {
  try {
    const response = await fetch(`${url}/predict`, {
      method: "POST",
      headers: { "Content-Type": "image/png" },
      body,
    });
    return { status: response.status, result: (await response.json()).result };
  } catch (error) {
    return { error: `${error} ${(error as Error).cause ?? ""}` };
  }
}

/** The PNG sent in `chunks` pieces spread over `ms`: an upload still arriving at the signal. */
function tricklingBody(ms: number, chunks = 10): ReadableStream<Uint8Array> {
  const size = Math.ceil(canvasPng.length / chunks);
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (sent >= canvasPng.length) return controller.close();
      if (sent > 0) await delay(ms / chunks);
      controller.enqueue(canvasPng.slice(sent, sent + size));
      sent += size;
    },
  });
}

/** Milliseconds until the server logs that it got `signal` (it logs before it drains). */
async function signalHeard(server: { output(): string }, signal: string): Promise<number> {
  const started = performance.now();
  const line = `digitlab: ${signal}: finishing requests in progress`;
  while (!server.output().includes(line)) {
    assert(performance.now() - started < 2_000, `no "${line}" within 2 s`);
    await delay(1);
  }
  return performance.now() - started;
}

async function shutDownUnderLoad(signal: "SIGTERM" | "SIGINT") {
  const server = await startServerProcess({ args: ["--models", modelsDir] });
  const port = Number(new URL(server.url).port);
  try {
    const reference = await postPng(new KeepAliveSession({ port }));
    deepStrictEqual(reference.kind, "answered", server.output());

    let signalledAt = Infinity;
    let exitedAt = Infinity;
    const requests: Timed[] = [];
    const clients = Array.from({ length: CLIENTS }, async () => {
      const session = new KeepAliveSession({ port });
      // Keep posting until a little after the process is gone (bounded if it never goes).
      const stopAt = performance.now() + 20_000;
      while (performance.now() < Math.min(exitedAt + 100, stopAt)) {
        const request = await timed(() => postPng(session));
        requests.push(request);
        if (request.outcome.kind !== "answered") await delay(10);
      }
      session.close();
    });
    await delay(SIGNAL_AFTER_MS - 400);
    const trickles = [
      fetchPredict(server.url, tricklingBody(1500)),
      fetchPredict(server.url, tricklingBody(2000)),
    ];
    await delay(400);

    signalledAt = performance.now();
    Deno.kill(server.pid, signal);
    // A probe the moment the server has the signal: the load balancer's cue to stop sending.
    // (Sent straight after kill(), it could reach the handler before the runtime had handed
    // the signal to its listener: 200 in 2 of 5 runs here.)
    const heardMs = await signalHeard(server, signal);
    const probe = await new KeepAliveSession({ port }).request("GET", "/health");
    const code = await server.exited;
    exitedAt = performance.now();
    const exitMs = exitedAt - signalledAt;
    await Promise.all(clients);
    const slow = await Promise.all(trickles);

    const failed = requests.filter(({ outcome }) =>
      outcome.kind === "failed" ||
      (outcome.kind === "answered" &&
        (outcome.status !== 200 || result(outcome) !== result(reference)))
    );
    const refused = requests.filter(({ outcome }) => outcome.kind === "refused");
    const reused = requests.filter(({ outcome }) => outcome.kind === "answered" && outcome.reused);
    const spanned = requests.filter((r) => r.startedAt < signalledAt && r.finishedAt > signalledAt);
    const before = requests.filter((r) => r.finishedAt < signalledAt);
    const reusedBefore = before.filter(({ outcome }) =>
      outcome.kind === "answered" && outcome.reused
    );
    assert(
      reusedBefore.length >= before.length - CLIENTS,
      "the clients did not keep connections alive",
    );
    assert(spanned.length > 0, "no request was in progress at the signal");
    deepStrictEqual(
      failed.map(({ startedAt, outcome }) => ({
        at: Math.round(startedAt - signalledAt),
        outcome,
      })),
      [],
      `requests failed around ${signal}\n${server.output().slice(-2000)}`,
    );
    assert(
      refused.every(({ startedAt }) => startedAt > signalledAt),
      "a connection was refused before the signal",
    );
    deepStrictEqual(
      probe.kind === "answered" ? probe.status : probe,
      503,
      "/health after the signal",
    );
    assert(closes(probe), "the 503 health answer should close its connection");
    // A request sent after any answer that closed its connection was handled once the drain
    // had begun (that answer proves it): its answer must close its connection too.
    const firstClose = Math.min(
      ...requests.filter((r) => closes(r.outcome)).map((r) => r.finishedAt),
    );
    assert(firstClose < exitedAt, "no answer carried Connection: close");
    const kept = requests.filter((r) =>
      r.startedAt > firstClose && r.outcome.kind === "answered" && !closes(r.outcome)
    );
    deepStrictEqual(kept.length, 0, "answers after the drain began that kept the connection open");
    for (const upload of slow) {
      deepStrictEqual(upload, { status: 200, result: result(reference) }, server.output());
    }
    deepStrictEqual(code, 0, server.output());
    assert(exitMs < 10_000, `exited ${Math.round(exitMs)} ms after ${signal}`);
    console.log(
      `${signal}: ${requests.length} requests on ${CLIENTS} keep-alive clients ` +
        `(${reused.length} on a reused connection, ${spanned.length} in progress at the ` +
        `signal, + 2 slow uploads): 0 failed, ${refused.length} refused after the server ` +
        `stopped listening; signal heard after ${heardMs.toFixed(1)} ms, exit 0 after ` +
        `${Math.round(exitMs)} ms`,
    );
  } finally {
    await server.stop();
  }
}

Deno.test("SIGTERM under keep-alive load: 503 health, Connection: close, 0 failed, exit 0", () =>
  shutDownUnderLoad("SIGTERM"));

Deno.test("SIGINT under load: the same", () => shutDownUnderLoad("SIGINT"));

/** An upload that sends its first bytes and then nothing: the worst client for a shutdown. */
function stalledUpload(url: string) {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => stop = resolve);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      controller.enqueue(canvasPng.slice(0, 100));
      await stopped;
      controller.close();
    },
  });
  const answered = fetchPredict(url, body);
  return { answered, stop };
}

Deno.test("a stalled upload cannot hold a shutdown past the grace period: exit 0 within 10 s", async () => {
  const server = await startServerProcess({
    args: ["--models", modelsDir, "--request-timeout", "60000"],
  });
  const upload = stalledUpload(server.url);
  try {
    await delay(300);
    const signalledAt = performance.now();
    Deno.kill(server.pid, "SIGTERM");
    const code = await server.exited;
    const exitMs = performance.now() - signalledAt;
    deepStrictEqual(code, 0, server.output());
    assert(exitMs < 10_000, `exited ${Math.round(exitMs)} ms after SIGTERM`);
    assert(server.output().includes("exiting without them"), server.output());
  } finally {
    upload.stop();
    await upload.answered;
    await server.stop();
  }
});

Deno.test("a second signal stops waiting for stragglers", async () => {
  const server = await startServerProcess({
    args: ["--models", modelsDir, "--request-timeout", "60000"],
  });
  const upload = stalledUpload(server.url);
  try {
    await delay(300);
    Deno.kill(server.pid, "SIGINT");
    await delay(300);
    const secondAt = performance.now();
    Deno.kill(server.pid, "SIGINT");
    deepStrictEqual(await server.exited, 0, server.output());
    const exitMs = performance.now() - secondAt;
    assert(exitMs < 1000, `exited ${Math.round(exitMs)} ms after the second SIGINT`);
  } finally {
    upload.stop();
    await upload.answered;
    await server.stop();
  }
});
