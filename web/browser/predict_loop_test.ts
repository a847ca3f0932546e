import assert, { deepStrictEqual } from "node:assert/strict";
import { PredictLoop } from "./predict_loop.ts";

const INTERVAL = 40;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loop whose requests the test answers by hand, recording everything the page would see. */
function harness(retryDelayMs?: (error: unknown) => number | null) {
  const requests: {
    drawing: number;
    signal: AbortSignal;
    answer(value: number): void;
    fail(error: unknown): void;
  }[] = [];
  const seen = { answers: [] as number[], errors: [] as unknown[], pending: [] as boolean[] };
  let drawing = 0;
  const loop = new PredictLoop<number>({
    intervalMs: INTERVAL,
    retryDelayMs,
    send(signal) {
      return new Promise((resolve, reject) => {
        requests.push({ drawing, signal, answer: resolve, fail: reject });
        signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    },
    onAnswer: (answer) => seen.answers.push(answer),
    onError: (error) => seen.errors.push(error),
    onPending: (pending) => seen.pending.push(pending),
  });
  const draw = (kind: "moving" | "now") => {
    drawing++;
    loop.changed(kind);
  };
  return { loop, requests, seen, draw };
}

Deno.test("the first movement of a stroke is sent at once, later ones at most once per interval", async () => {
  const { loop, requests, seen, draw } = harness();
  draw("moving");
  deepStrictEqual(requests.length, 1, "leading edge: no waiting for the pen to stop");
  requests[0].answer(1);
  await sleep(0);
  draw("moving");
  draw("moving");
  deepStrictEqual(requests.length, 1, "within the interval the movement waits");
  await sleep(INTERVAL * 2);
  deepStrictEqual(requests.length, 2, "the throttle's trailing call carries the last movement");
  deepStrictEqual(requests[1].drawing, 3);
  requests[1].answer(2);
  await sleep(0);
  deepStrictEqual(seen.answers, [1, 2]);
  deepStrictEqual(seen.pending.at(-1), false);
  loop.dispose();
});

Deno.test("a stroke that goes on keeps getting answers, never more than one request at a time", async () => {
  const { loop, requests, draw } = harness();
  const answered = new Set<number>();
  const started = performance.now();
  while (performance.now() - started < INTERVAL * 6) {
    draw("moving");
    const open = requests.filter((r, i) => !answered.has(i) && !r.signal.aborted);
    assert(open.length <= 1, `${open.length} requests in flight`);
    requests.forEach((request, i) => {
      if (!answered.has(i)) request.answer(request.drawing);
      answered.add(i);
    });
    await sleep(5);
  }
  assert(requests.length >= 4, `only ${requests.length} requests in ${INTERVAL * 6} ms of drawing`);
  assert(requests.length <= 8, `${requests.length} requests: the throttle did not hold`);
  loop.dispose();
});

Deno.test("an answer for a drawing that changed since (undo, model) is never shown", async () => {
  const { loop, requests, seen, draw } = harness();
  draw("now");
  draw("now"); // e.g. Undo while the first request is on its way
  assert(requests[0].signal.aborted, "the older request is aborted");
  requests[0].answer(10); // even if its answer still arrives
  requests[1].answer(20);
  await sleep(0);
  deepStrictEqual(seen.answers, [20]);
  loop.dispose();
});

Deno.test("a movement while a request is in flight is sent when it settles", async () => {
  const { loop, requests, draw } = harness();
  draw("moving");
  await sleep(INTERVAL * 2);
  draw("moving");
  deepStrictEqual(requests.length, 1, "one request in flight at a time");
  requests[0].answer(1);
  await sleep(0);
  deepStrictEqual(requests.length, 2);
  deepStrictEqual(requests[1].drawing, 2);
  loop.dispose();
});

Deno.test("reset (Clear) drops the answer still on its way and stops pending", async () => {
  const { loop, requests, seen, draw } = harness();
  draw("moving");
  loop.reset();
  requests[0].answer(1);
  await sleep(0);
  deepStrictEqual(seen.answers, []);
  deepStrictEqual(seen.pending, [true, false]);
  loop.dispose();
});

Deno.test("after a 'try later' error nothing is sent until the delay passed, or on retry()", async () => {
  const busy = new Error("busy");
  const { loop, requests, seen, draw } = harness((e) => (e === busy ? INTERVAL * 3 : null));
  draw("now");
  requests[0].fail(busy);
  await sleep(0);
  deepStrictEqual(seen.errors, [busy]);
  assert(loop.blockedUntil !== null);
  draw("moving");
  draw("now");
  await sleep(INTERVAL * 2);
  deepStrictEqual(requests.length, 1, "held off while the server asked to wait");
  loop.retry();
  deepStrictEqual(requests.length, 2, "Retry sends at once");
  deepStrictEqual(loop.blockedUntil, null);
  requests[1].answer(5);
  await sleep(0);
  deepStrictEqual(seen.answers, [5]);
  loop.dispose();
});

Deno.test("an error not worth retrying does not hold off the next change", async () => {
  const { loop, requests, seen, draw } = harness(() => null);
  draw("now");
  requests[0].fail(new Error("no digit"));
  await sleep(0);
  deepStrictEqual(seen.errors.length, 1);
  deepStrictEqual(loop.blockedUntil, null);
  draw("now");
  deepStrictEqual(requests.length, 2);
  loop.dispose();
});
