import { setImmediate } from "node:timers";
import assert, { deepStrictEqual } from "node:assert/strict";
import type { Job, JobResult } from "./batch_jobs.ts";
import { Batcher, type BatchExecutor } from "./batcher.ts";

/** An executor whose batches finish when the test says so; it records what it was given. */
class ManualExecutor implements BatchExecutor<string> {
  readonly batches: { model: string; rows: number[] }[] = [];
  readonly #finish: (() => void)[] = [];
  constructor(readonly slots = 1) {}

  run(model: string, jobs: Job[]): Promise<JobResult[]> {
    this.batches.push({ model, rows: jobs.map((job) => job.kind === "tensor" ? job.count : 1) });
    return new Promise((resolve) => {
      this.#finish.push(() =>
        resolve(jobs.map((job) => ({
          ok: true,
          output: {
            logits: job.kind === "tensor" ? job.input : new Float32Array(),
            probabilities: new Float32Array(),
            decodeMs: 0,
            preprocessMs: 0,
            inferenceMs: 0,
            queueMs: 0,
            batchSize: jobs.length,
          },
        })))
      );
    });
  }

  /** Finishes the oldest running batch. */
  finishOne(): void {
    this.#finish.shift()?.();
  }
}

const tensor = (value: number, count = 1): Job => ({
  kind: "tensor",
  input: new Float32Array(count).fill(value),
  count,
});
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("Batcher: a lone request runs at once, alone", async () => {
  const executor = new ManualExecutor();
  const batcher = new Batcher(executor, { maxBatch: 8, maxWaitMs: 0 });
  const done = batcher.submit("m", tensor(1));
  deepStrictEqual(executor.batches, [{ model: "m", rows: [1] }]); // dispatched synchronously
  executor.finishOne();
  const result = await done;
  assert(result.ok && result.output.logits[0] === 1, "its own result");
});

Deno.test("Batcher: requests arriving while busy run together, up to maxBatch, per model", async () => {
  const executor = new ManualExecutor();
  const batcher = new Batcher(executor, { maxBatch: 3, maxWaitMs: 0 });
  const results = [
    batcher.submit("a", tensor(0)),
    batcher.submit("a", tensor(1)),
    batcher.submit("b", tensor(2)),
    batcher.submit("a", tensor(3)),
    batcher.submit("a", tensor(4)),
    batcher.submit("a", tensor(5)),
  ];
  deepStrictEqual(batcher.queued, 5);
  executor.finishOne();
  await tick();
  // The oldest waiting job's model first, taking later jobs of that model, at most 3.
  deepStrictEqual(executor.batches[1], { model: "a", rows: [1, 1, 1] });
  executor.finishOne();
  await tick();
  deepStrictEqual(executor.batches[2], { model: "b", rows: [1] });
  executor.finishOne();
  await tick();
  deepStrictEqual(executor.batches[3], { model: "a", rows: [1] });
  executor.finishOne();
  const values = (await Promise.all(results)).map((r) => r.ok ? r.output.logits[0] : -1);
  deepStrictEqual(values, [0, 1, 2, 3, 4, 5]); // every job gets its own answer back
});

Deno.test("Batcher: each result says how long its job queued; the listener hears every wait", async () => {
  const executor = new ManualExecutor();
  const batcher = new Batcher(executor, { maxBatch: 8, maxWaitMs: 0 });
  const heard: { rows: number; queueMs: readonly number[] }[] = [];
  batcher.onBatch = (rows, _ms, queueMs) => heard.push({ rows, queueMs });
  const first = batcher.submit("m", tensor(1)); // an idle executor: no queueing
  const second = batcher.submit("m", tensor(2)); // waits for the first batch
  await new Promise((resolve) => setTimeout(resolve, 30));
  executor.finishOne();
  await tick();
  executor.finishOne();
  const [a, b] = await Promise.all([first, second]);
  assert(a.ok && b.ok, "both answered");
  assert(a.output.queueMs < 5, `the first job queued ${a.output.queueMs} ms`);
  assert(b.output.queueMs >= 25, `the second job queued ${b.output.queueMs} ms, expected ~30`);
  deepStrictEqual(heard.map((batch) => batch.rows), [1, 1]);
  deepStrictEqual(heard.map((batch) => batch.queueMs[0]), [a.output.queueMs, b.output.queueMs]);
});

Deno.test("Batcher: an executor that blocks the event loop gets one turn's jobs as one batch", async () => {
  const executor = Object.assign(new ManualExecutor(), { blocksEventLoop: true });
  const batcher = new Batcher(executor, { maxBatch: 8, maxWaitMs: 0 });
  // Requests read in the same turn of the event loop (as after a batch held the thread).
  const results = [batcher.submit("m", tensor(1)), batcher.submit("m", tensor(2))];
  deepStrictEqual(executor.batches, []); // not yet: the rest of this turn may bring company
  await tick();
  deepStrictEqual(executor.batches, [{ model: "m", rows: [1, 1] }]);
  executor.finishOne();
  await Promise.all(results);
  // A lone request goes on the next immediate, before any timer (setTimeout(0) waits ~1 ms).
  const lone = batcher.submit("m", tensor(3));
  await new Promise((resolve) => setImmediate(resolve));
  deepStrictEqual(executor.batches.length, 2);
  executor.finishOne();
  assert((await lone).ok, "answered");
});

Deno.test("Batcher: a request larger than maxBatch still runs, on its own", async () => {
  const executor = new ManualExecutor();
  const batcher = new Batcher(executor, { maxBatch: 4, maxWaitMs: 0 });
  const big = batcher.submit("m", tensor(1, 10));
  executor.finishOne();
  assert((await big).ok, "ran");
  deepStrictEqual(executor.batches, [{ model: "m", rows: [10] }]);
});

Deno.test("Batcher: with maxWaitMs an idle executor waits for company, not longer", async () => {
  const executor = new ManualExecutor();
  const batcher = new Batcher(executor, { maxBatch: 4, maxWaitMs: 30 });
  const first = batcher.submit("m", tensor(1));
  await tick();
  const second = batcher.submit("m", tensor(2));
  deepStrictEqual(executor.batches.length, 0);
  await new Promise((resolve) => setTimeout(resolve, 60));
  deepStrictEqual(executor.batches, [{ model: "m", rows: [1, 1] }]);
  executor.finishOne();
  await Promise.all([first, second]);
  // A full batch does not wait.
  const full = [1, 2, 3, 4].map((v) => batcher.submit("m", tensor(v)));
  deepStrictEqual(executor.batches[1], { model: "m", rows: [1, 1, 1, 1] });
  executor.finishOne();
  await Promise.all(full);
});

Deno.test("Batcher: slots run batches side by side; unused() waits for a model's last job", async () => {
  const executor = new ManualExecutor(2);
  const batcher = new Batcher(executor, { maxBatch: 8, maxWaitMs: 0 });
  const a = batcher.submit("old", tensor(1));
  const b = batcher.submit("old", tensor(2));
  deepStrictEqual(executor.batches.length, 2);
  let released = false;
  const unused = batcher.unused("old").then(() => released = true);
  executor.finishOne();
  await a;
  await tick();
  assert(!released, "one job of the model still runs");
  executor.finishOne();
  await b;
  await unused;
  assert(released, "released after the last job");
  await batcher.unused("never-used"); // resolves at once
});

Deno.test("Batcher: an executor failure rejects that batch's jobs only, and the next batch runs", async () => {
  let calls = 0;
  const executor: BatchExecutor<string> = {
    slots: 1,
    run(_model, jobs) {
      calls++;
      if (calls === 1) return Promise.reject(new Error("boom"));
      return Promise.resolve(jobs.map(() => ({ ok: false, code: "no_digit_found", message: "x" })));
    },
  };
  const batcher = new Batcher(executor, { maxBatch: 8, maxWaitMs: 0 });
  const failing = batcher.submit("m", tensor(1));
  const next = batcher.submit("m", tensor(2));
  let failed = false;
  await failing.catch(() => failed = true);
  assert(failed, "the failed batch rejects");
  deepStrictEqual((await next).ok, false);
  deepStrictEqual(calls, 2);
});
