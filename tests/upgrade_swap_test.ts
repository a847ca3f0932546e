/**
 * An upgrade on one machine without a refused connection, as docs/deploy.md does it with the
 * systemd template unit: two instances on one port (`--reuse-port`); start the new one, wait
 * until it listens, SIGTERM the old one. 16 keep-alive clients (reusing connections as Python's
 * requests.Session does) post all the way through: not one request fails or is refused.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { DIGIT_STROKES, drawStrokes, toRgba } from "./helpers/canvas.ts";
import { KeepAliveSession, type Outcome } from "./helpers/keep_alive_client.ts";
import { encodePng } from "./helpers/png_encode.ts";
import { startServerProcess } from "./helpers/server_process.ts";
import { writeTestModels } from "./helpers/test_models.ts";

const CLIENTS = 16;
const modelsDir = await writeTestModels(["cnn-aug"]);
globalThis.addEventListener("unload", () => Deno.removeSync(modelsDir, { recursive: true }));

const png = await (async () => {
  const { data } = toRgba(
    drawStrokes(DIGIT_STROKES["7"], { size: 280, penWidth: 20, box: [50, 40, 180] }),
    "transparent",
  );
  return await encodePng(data as Uint8Array, 280, 280, "rgba");
})();

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

Deno.test("two instances on one port: start new, wait ready, SIGTERM old: 0 failed, 0 refused", async () => {
  const port = freePort();
  const args = ["--models", modelsDir, "--port", String(port), "--reuse-port"];
  const old = await startServerProcess({ args });
  let next: Awaited<ReturnType<typeof startServerProcess>> | undefined;
  try {
    const outcomes: { finishedAt: number; outcome: Outcome }[] = [];
    let stopAt = performance.now() + 60_000; // bounded even if the swap hangs
    const clients = Array.from({ length: CLIENTS }, async () => {
      const session = new KeepAliveSession({ port });
      while (performance.now() < stopAt) {
        const outcome = await session.request(
          "POST",
          "/predict",
          { "Content-Type": "image/png" },
          png,
        );
        outcomes.push({ finishedAt: performance.now(), outcome });
        if (outcome.kind !== "answered") await delay(10);
      }
      session.close();
    });
    await delay(500);
    next = await startServerProcess({ args });
    const swappedAt = performance.now();
    Deno.kill(old.pid, "SIGTERM");
    const oldCode = await old.exited;
    const oldExitedAt = performance.now();
    await delay(500);
    stopAt = 0;
    await Promise.all(clients);

    const bad = outcomes.filter(({ outcome }) =>
      outcome.kind !== "answered" || outcome.status !== 200
    );
    const afterOld = outcomes.filter(({ finishedAt }) => finishedAt > oldExitedAt).length;
    const duringSwap = outcomes.filter(({ finishedAt }) =>
      finishedAt > swappedAt && finishedAt <= oldExitedAt
    ).length;
    deepStrictEqual(
      bad.slice(0, 5).map(({ outcome }) => outcome),
      [],
      `${bad.length} of ${outcomes.length} failed or refused\n${old.output().slice(-1500)}`,
    );
    deepStrictEqual(oldCode, 0, old.output());
    assert(duringSwap > 0 && afterOld > 0, `answered during ${duringSwap}, after ${afterOld}`);
    console.log(
      `${outcomes.length} requests on ${CLIENTS} keep-alive clients across the swap ` +
        `(${duringSwap} while the old instance drained, ${afterOld} after it exited): ` +
        `0 failed, 0 refused; old instance exit 0 after ${Math.round(oldExitedAt - swappedAt)} ms`,
    );
  } finally {
    await old.stop();
    await next?.stop();
  }
});
