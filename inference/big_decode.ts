/**
 * Big images are decoded off the HTTP thread, in a bounded pool of one-shot workers: a
 * 16-megapixel decode takes 0.5-2.5 s of CPU that would otherwise stall every other request,
 * and its garbage leaves with its worker (RSS returns to baseline after a burst). At most
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

  constructor(size = 1) {
    if (!(size >= 1)) throw new RangeError("size must be at least 1");
    this.size = size;
  }

  /** Decodes `bytes` and builds its field in a fresh worker; DigitlabError as decodeImage's. */
  async decode(bytes: Uint8Array, maxSide?: number): Promise<DecodedField> {
    if (this.#running >= this.size) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#running++;
    try {
      return await runOnce({ bytes, maxSide });
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}

function runOnce(request: BigDecodeRequest): Promise<DecodedField> {
  const worker = new WebWorker(new URL("./big_decode_worker.ts", import.meta.url), {
    type: "module",
  });
  return new Promise<DecodedField>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<BigDecodeReply>) => {
      const reply = event.data;
      worker.terminate();
      if (reply.ok) resolve(reply);
      else if (reply.code === "internal_error") reject(new Error(reply.message));
      else reject(new DigitlabError(reply.code as ErrorCode, reply.message));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`the decode worker failed: ${event.message}`));
    };
    // A copy, not a transfer: the caller's bytes may be a view into a larger body.
    worker.postMessage(request);
  });
}
