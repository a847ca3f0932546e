/**
 * Dynamic batching: requests that arrive while every executor is busy wait in a queue, and the
 * next free executor takes all of them for the same model (up to `maxBatch` digits) as one
 * batch. An idle executor takes a request at once, so a lone request never waits for company;
 * `maxWaitMs` > 0 trades that for fuller batches (it holds a batch open that long).
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { type Job, type JobResult, jobRows } from "./batch_jobs.ts";

/** Runs batches; `slots` batches may run at once (one per worker). */
export interface BatchExecutor<M> {
  readonly slots: number;
  /**
   * Whether a batch runs on this thread and so stops it reading requests meanwhile (onnxruntime
   * on the HTTP thread, `--workers 0`). Such an executor gets its jobs one macrotask late, so the
   * requests read in the same turn of the event loop join one batch instead of each running alone.
   */
  readonly blocksEventLoop?: boolean;
  run(model: M, jobs: Job[]): Promise<JobResult[]>;
}

export interface BatchOptions {
  /** Most digits in one batch. */
  maxBatch: number;
  /** How long a batch may wait for more requests when an executor is free; 0 = never. */
  maxWaitMs: number;
}

/**
 * Told about every batch that ran (for metrics): its digits, its run time, and how long each of
 * its jobs had queued.
 */
export type BatchListener = (rows: number, ms: number, queueMs: readonly number[]) => void;

interface Waiting<M> {
  model: M;
  job: Job;
  rows: number;
  since: number;
  resolve(result: JobResult): void;
  reject(error: unknown): void;
}

/**
 * Queues jobs for an executor and hands them out in batches.
 *
 * @example
 * ```ts
 * import type { LoadedModel } from "./model_registry.ts";
 *
 * declare const executor: BatchExecutor<LoadedModel>; // e.g. a WorkerPool
 * declare const model: LoadedModel;
 * declare const bytes: Uint8Array; // a PNG or JPEG
 * const batcher = new Batcher(executor, { maxBatch: 32, maxWaitMs: 0 });
 * const result = await batcher.submit(model, { kind: "image", bytes });
 * ```
 */
export class Batcher<M> {
  readonly #executor: BatchExecutor<M>;
  readonly #options: BatchOptions;
  readonly #queue: Waiting<M>[] = [];
  #free: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #soon = false;
  onBatch: BatchListener | undefined;
  /** Jobs queued or running per model, so a retired model is released only when unused. */
  readonly #pending = new Map<M, number>();
  readonly #drained = new Map<M, (() => void)[]>();

  constructor(executor: BatchExecutor<M>, options: BatchOptions) {
    this.#executor = executor;
    this.#options = options;
    this.#free = executor.slots;
  }

  /** Jobs waiting for an executor. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Queues one job; resolves with its result when its batch has run. */
  submit(model: M, job: Job): Promise<JobResult> {
    this.#pending.set(model, (this.#pending.get(model) ?? 0) + 1);
    const done = new Promise<JobResult>((resolve, reject) => {
      this.#queue.push({
        model,
        job,
        rows: jobRows(job),
        since: performance.now(),
        resolve,
        reject,
      });
    });
    this.#pumpSoon();
    return done.finally(() => this.#settled(model));
  }

  /** Resolves once no job for `model` is queued or running. */
  unused(model: M): Promise<void> {
    if (!this.#pending.get(model)) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained.set(model, [...(this.#drained.get(model) ?? []), resolve]);
    });
  }

  #settled(model: M): void {
    const left = (this.#pending.get(model) ?? 1) - 1;
    if (left > 0) {
      this.#pending.set(model, left);
      return;
    }
    this.#pending.delete(model);
    for (const resolve of this.#drained.get(model) ?? []) resolve();
    this.#drained.delete(model);
  }

  /** #pump now, or after the current macrotask for an executor that blocks the event loop. */
  #pumpSoon(): void {
    if (!this.#executor.blocksEventLoop) return this.#pump();
    if (this.#soon) return;
    this.#soon = true;
    setImmediate(() => {
      this.#soon = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#free > 0 && this.#queue.length > 0) {
      const wait = this.#waitLeft();
      if (wait > 0) {
        this.#timer ??= setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, wait);
        return;
      }
      this.#dispatch(this.#takeBatch());
    }
  }

  /** Milliseconds the head of the queue may still wait for a fuller batch. */
  #waitLeft(): number {
    const { maxWaitMs, maxBatch } = this.#options;
    if (maxWaitMs <= 0) return 0;
    const head = this.#queue[0];
    let rows = 0;
    for (const waiting of this.#queue) if (waiting.model === head.model) rows += waiting.rows;
    if (rows >= maxBatch) return 0;
    return Math.max(0, head.since + maxWaitMs - performance.now());
  }

  /** The oldest job and every later one for the same model that fits. */
  #takeBatch(): Waiting<M>[] {
    const head = this.#queue[0];
    const batch: Waiting<M>[] = [];
    let rows = 0;
    for (let i = 0; i < this.#queue.length;) {
      const waiting = this.#queue[i];
      // The head always goes, even when it alone is over maxBatch (a large v2 request).
      if (
        waiting.model === head.model &&
        (batch.length === 0 || rows + waiting.rows <= this.#options.maxBatch)
      ) {
        batch.push(waiting);
        rows += waiting.rows;
        this.#queue.splice(i, 1);
        if (rows >= this.#options.maxBatch) break;
      } else i++;
    }
    return batch;
  }

  #dispatch(batch: Waiting<M>[]): void {
    this.#free--;
    const started = performance.now();
    this.#executor.run(batch[0].model, batch.map((waiting) => waiting.job)).then(
      (results) => {
        const rows = batch.reduce((sum, waiting) => sum + waiting.rows, 0);
        const queueMs = batch.map((waiting) => started - waiting.since);
        this.onBatch?.(rows, performance.now() - started, queueMs);
        batch.forEach((waiting, i) => {
          const result = results[i];
          if (result?.ok) result.output.queueMs = queueMs[i];
          waiting.resolve(result);
        });
      },
      (error) => batch.forEach((waiting) => waiting.reject(error)),
    ).finally(() => {
      this.#free++;
      this.#pumpSoon();
    });
  }
}
