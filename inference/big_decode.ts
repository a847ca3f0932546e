/**
 * Big images are decoded off the HTTP thread, in a bounded pool of workers: a 16-megapixel
 * decode takes 0.3-2.5 s of CPU that would otherwise stall every other request. PNGs the
 * streaming decoder covers hold only rows and a small output, so their worker is kept (its
 * JIT warm: a fresh one took twice as long); a worker that fell back to a full decode (JPEG,
 * palette, interlaced) exits after it, and its garbage and grown wasm heaps go with it. A kept
 * worker's heap grows during a burst of big images and never shrinks (measured: RSS after the
 * fuzz test's bombs rose with each round), so once it has been idle `recycleAfterMs` it is
 * replaced by a fresh one, which costs a worker start (~0.3 s of CPU) per burst. At most
 * `size` run at once; the rest wait in order (the decode budget bounds how many wait).
 *
 * Ordinary predictions go first: the pool counts those in progress (`ordinary`) in memory the
 * workers share, and a streaming decode rests while there are any (big_decode_worker.ts).
 *
 * @module
 */
import { DigitlabError, type ErrorCode } from "../lib/errors.ts";
import type { BigDecodeReply, BigDecodeRequest } from "./big_decode_worker.ts";

export interface DecodedField {
  field: Float32Array;
  decodeMs: number;
  preprocessMs: number;
}

const WebWorker = globalThis.Worker;

/** How long the pool stays quiet before a used worker is replaced (its heap let go). */
export const RECYCLE_AFTER_MS = 1_000;

export class BigDecodePool {
  readonly size: number;
  readonly #recycleAfterMs: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #idle: Worker[] = [];
  /** Workers that have decoded since they started: replaced once the pool is quiet. */
  readonly #used = new WeakSet<Worker>();
  #recycleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Workers started so far (for tests and the benchmark). */
  started = 0;
  /** Int32 [0]: ordinary predictions in progress, read by the workers. */
  readonly #ordinary = new SharedArrayBuffer(4);

  constructor(size = 1, { recycleAfterMs = RECYCLE_AFTER_MS } = {}) {
    if (!(size >= 1)) throw new RangeError("size must be at least 1");
    this.size = size;
    this.#recycleAfterMs = recycleAfterMs;
  }

  /** Decodes `bytes` and builds its field in a worker; DigitlabError as decodeImage's. */
  async decode(bytes: Uint8Array, maxSide?: number): Promise<DecodedField> {
    if (this.#running >= this.size) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#running++;
    clearTimeout(this.#recycleTimer);
    try {
      const worker = this.#idle.pop() ?? this.#start();
      this.#used.add(worker);
      const reply = await run(worker, { bytes, maxSide, ordinary: this.#ordinary });
      if (reply.kept) this.#idle.push(worker);
      else worker.terminate();
      if (reply.ok) return reply;
      if (reply.code === "internal_error") throw new Error(reply.message);
      throw new DigitlabError(reply.code as ErrorCode, reply.message);
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
      if (this.#running === 0) this.#recycleLater();
    }
  }

  /** Runs `work`, an ordinary prediction, with big decodes resting while it is in progress. */
  async ordinary<T>(work: () => Promise<T>): Promise<T> {
    const inProgress = new Int32Array(this.#ordinary);
    Atomics.add(inProgress, 0, 1);
    try {
      return await work();
    } finally {
      Atomics.sub(inProgress, 0, 1);
    }
  }

  /** Ordinary predictions in progress now. */
  get ordinaryInProgress(): number {
    return Atomics.load(new Int32Array(this.#ordinary), 0);
  }

  /**
   * Starts a worker ahead of the first big image (its modules loaded and compiled), so that
   * image does not wait ~0.3-0.5 s for it; costs the idle worker's memory (~10-20 MB).
   */
  warmUp(): void {
    if (this.#idle.length === 0 && this.#running === 0) this.#idle.push(this.#start());
  }

  /** Stops the idle workers (a process about to exit need not). */
  close(): void {
    clearTimeout(this.#recycleTimer);
    for (const worker of this.#idle.splice(0)) worker.terminate();
  }

  /** Once nothing has run for `recycleAfterMs`: used idle workers go, one fresh one waits. */
  #recycleLater() {
    clearTimeout(this.#recycleTimer);
    this.#recycleTimer = setTimeout(() => {
      if (this.#running > 0) return;
      for (const worker of this.#idle.filter((worker) => this.#used.has(worker))) {
        this.#idle.splice(this.#idle.indexOf(worker), 1);
        worker.terminate();
      }
      this.warmUp();
    }, this.#recycleAfterMs);
    Deno.unrefTimer(this.#recycleTimer);
  }

  #start(): Worker {
    this.started++;
    return new WebWorker(new URL("./big_decode_worker.ts", import.meta.url), { type: "module" });
  }
}

function run(worker: Worker, request: BigDecodeRequest): Promise<BigDecodeReply> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<BigDecodeReply>) => resolve(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`the decode worker failed: ${event.message}`));
    };
    // A copy, not a transfer: the caller's bytes may be a view into a larger body.
    worker.postMessage(request);
  });
}
