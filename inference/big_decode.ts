/**
 * Big images are decoded off the HTTP thread, in a bounded pool of workers: a 16-megapixel
 * decode takes 0.3-2.5 s of CPU that would otherwise stall every other request. PNGs the
 * streaming decoder covers hold only rows and a small output, so their worker is kept (its
 * JIT warm: a fresh one took twice as long); a worker that fell back to a full decode (JPEG,
 * palette, interlaced) exits after it, and its garbage and grown wasm heaps go with it. At most
 * `size` run at once; the rest wait in order (the decode budget bounds how many wait).
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

export class BigDecodePool {
  readonly size: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #idle: Worker[] = [];

  constructor(size = 1) {
    if (!(size >= 1)) throw new RangeError("size must be at least 1");
    this.size = size;
  }

  /** Decodes `bytes` and builds its field in a worker; DigitlabError as decodeImage's. */
  async decode(bytes: Uint8Array, maxSide?: number): Promise<DecodedField> {
    if (this.#running >= this.size) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#running++;
    try {
      const worker = this.#idle.pop() ?? startWorker();
      const reply = await run(worker, { bytes, maxSide });
      if (reply.kept) this.#idle.push(worker);
      else worker.terminate();
      if (reply.ok) return reply;
      if (reply.code === "internal_error") throw new Error(reply.message);
      throw new DigitlabError(reply.code as ErrorCode, reply.message);
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  /**
   * Starts a worker ahead of the first big image (its modules loaded and compiled), so that
   * image does not wait ~0.3-0.5 s for it; costs the idle worker's memory (~10-20 MB).
   */
  warmUp(): void {
    if (this.#idle.length === 0 && this.#running === 0) this.#idle.push(startWorker());
  }

  /** Stops the idle workers (a process about to exit need not). */
  close(): void {
    for (const worker of this.#idle.splice(0)) worker.terminate();
  }
}

function startWorker(): Worker {
  return new WebWorker(new URL("./big_decode_worker.ts", import.meta.url), { type: "module" });
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
