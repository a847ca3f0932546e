/**
 * Graceful shutdown, proven on a real process with the release permissions: SIGTERM or SIGINT
 * while 16 clients keep posting and two uploads are still trickling in -> the server stops
 * accepting connections, answers every request that had reached it (no resets, no errors),
 * and exits 0 well within systemd's 10 s stop timeout.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { DIGIT_STROKES, drawStrokes, toRgba } from "./helpers/canvas.ts";
import { encodePng } from "./helpers/png_encode.ts";
import { startServerProcess } from "./helpers/server_process.ts";
import { writeTestModels } from "./helpers/test_models.ts";

const CLIENTS = 16;
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

interface Outcome {
  startedAt: number;
  finishedAt: number;
  status?: number;
  result?: number;
  error?: string;
}

async function predict(url: string, body: BodyInit = canvasPng): Promise<Outcome> {
  const startedAt = performance.now();
  try {
    const response = await fetch(`${url}/predict`, {
      method: "POST",
      headers: { "Content-Type": "image/png" },
      body,
    });
    const json = await response.json();
    return {
      startedAt,
      finishedAt: performance.now(),
      status: response.status,
      result: json.result,
    };
  } catch (error) {
    const error_ = `${error} ${(error as Error).cause ?? ""}`;
    return { startedAt, finishedAt: performance.now(), error: error_ };
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

async function shutDownUnderLoad(signal: "SIGTERM" | "SIGINT") {
  const server = await startServerProcess({ args: ["--models", modelsDir] });
  try {
    const reference = await predict(server.url);
    deepStrictEqual(reference.status, 200, server.output());

    let signalledAt = Infinity;
    let exitedAt = Infinity;
    const outcomes: Outcome[] = [];
    const clients = Array.from({ length: CLIENTS }, async () => {
      // Keep knocking until a little after the process is gone.
      while (performance.now() < exitedAt + 100) {
        const outcome = await predict(server.url);
        outcomes.push(outcome);
        if (outcome.error) await delay(10);
      }
    });
    await delay(600);
    const trickles = [
      predict(server.url, tricklingBody(1500)),
      predict(server.url, tricklingBody(2000)),
    ];
    await delay(300);

    signalledAt = performance.now();
    Deno.kill(server.pid, signal);
    const code = await server.exited;
    exitedAt = performance.now();
    const exitMs = exitedAt - signalledAt;
    await Promise.all(clients);
    const slow = await Promise.all(trickles);

    // A request that never got a connection was not accepted, so it had nothing to lose; every
    // other one sent before the signal must come back answered, and correctly.
    const neverAccepted = (o: Outcome) => o.error?.includes("Connection refused") ?? false;
    const sentBefore = outcomes.filter((o) => o.startedAt < signalledAt && !neverAccepted(o));
    const failed = sentBefore.filter((o) => o.status !== 200 || o.result !== reference.result);
    const spanned = sentBefore.filter((o) => o.finishedAt > signalledAt).length;
    assert(spanned > 0, "no request was in progress at the signal");
    deepStrictEqual(
      failed,
      [],
      `sent before ${signal} at ${signalledAt}, failed: ${JSON.stringify(failed.slice(0, 5))}`,
    );
    for (const upload of slow) {
      deepStrictEqual(
        upload.status,
        200,
        `an upload trickling in at ${signal}: ${JSON.stringify(upload)}\n${server.output()}`,
      );
      deepStrictEqual(upload.result, reference.result);
    }
    // After the signal a request is either answered properly or never accepted at all.
    const later = outcomes.filter((o) => o.startedAt >= signalledAt);
    const answeredBadly = later.filter((o) => o.status !== undefined && o.status !== 200);
    deepStrictEqual(answeredBadly, [], `bad answers after it: ${JSON.stringify(answeredBadly)}`);
    // Stopped accepting: refused while the process was still finishing requests.
    const refusedWhileAlive = later.filter((o) => neverAccepted(o) && o.startedAt < exitedAt);
    assert(refusedWhileAlive.length > 0, `no connection refused between ${signal} and exit`);
    deepStrictEqual(code, 0, server.output());
    assert(exitMs < 10_000, `exited ${Math.round(exitMs)} ms after ${signal}`);
    console.log(
      `${signal}: ${sentBefore.length} requests sent before it all answered (${spanned} in ` +
        `progress at the signal, + 2 slow uploads), ${later.length} after it ` +
        `(${later.filter((o) => o.error).length} refused); exit 0 after ${Math.round(exitMs)} ms`,
    );
  } finally {
    await server.stop();
  }
}

Deno.test("SIGTERM under load: in-flight requests all answered, new ones refused, exit 0", () =>
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
  const answered = predict(url, body);
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
