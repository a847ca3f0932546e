/**
 * The HTTP thread's garbage from big bodies, collected once the server is quiet. A body read
 * whole becomes megabytes of strings and buffers (a JSON upload's text, an image's bytes) that
 * are garbage as soon as the answer goes; V8 frees them at its next full collection, which
 * comes from allocating, so a server that goes quiet after a burst keeps them resident
 * (measured, the fuzz test's inputs: RSS 1.10x the warmed-up baseline after them, 1.17x after
 * three more rounds of the heaviest; with a full collection before each sample 1.02x and 0.96x).
 * So once `afterBytes` of bodies have been read and then `quietMs` pass with none, one full
 * collection runs. It needs V8's `gc` (`--v8-flags=--expose-gc`, as `deno task start` and the
 * compiled binary have); without it this does nothing.
 *
 * @module
 */

/** Bytes of bodies read before a quiet server collects (less garbage than this may stay). */
export const COLLECT_AFTER_BYTES = 4 * 1024 * 1024;
/** How long no body may arrive before the collection runs. */
export const COLLECT_QUIET_MS = 1_000;

export interface IdleCollectorOptions {
  afterBytes?: number;
  quietMs?: number;
  /** The full collection; V8's `gc` when exposed, else none. */
  collect?: (() => void) | undefined;
}

export class IdleCollector {
  readonly #afterBytes: number;
  readonly #quietMs: number;
  readonly #collect: (() => void) | undefined;
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Collections run so far (for tests). */
  collections = 0;

  constructor(
    {
      afterBytes = COLLECT_AFTER_BYTES,
      quietMs = COLLECT_QUIET_MS,
      collect = (globalThis as { gc?: () => void }).gc,
    }: IdleCollectorOptions = {},
  ) {
    this.#afterBytes = afterBytes;
    this.#quietMs = quietMs;
    this.#collect = collect;
  }

  /** Notes a body of `bytes` read whole; each one postpones the collection. */
  noteBody(bytes: number): void {
    if (!this.#collect || bytes === 0) return;
    this.#bytes += bytes;
    if (this.#bytes < this.#afterBytes) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#bytes = 0;
      this.collections++;
      this.#collect!();
    }, this.#quietMs);
    Deno.unrefTimer(this.#timer);
  }

  /** Cancels a collection still waiting. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** The process's collector: one V8 heap for the HTTP thread, so one collector. */
export const idleCollector = new IdleCollector();
