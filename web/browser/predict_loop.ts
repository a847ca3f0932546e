/**
 * When the page asks for a prediction, free of Preact and the DOM so it can be tested with a
 * fake clock:
 * - while the pen moves, at most once per `intervalMs` (a throttle: the first movement goes
 *   at once and the last is never dropped, so a long stroke keeps getting answers);
 * - at once when a stroke ends, or on a change of a different kind (undo, upload, model);
 * - one request in flight at a time; a change that makes it moot aborts it, so an answer for
 *   an older drawing never replaces a newer one;
 * - after a failure that says "try later" (503, 429, no network) nothing is sent until the
 *   delay it asked for has passed and the drawing changes again, or `retry()` is called.
 *
 * @example
 * ```ts
 * const loop = new PredictLoop({
 *   send: (signal) => Promise.resolve(7),
 *   onAnswer: (digit) => console.log(digit),
 *   onError: console.error,
 *   onPending: () => {},
 * });
 * loop.changed("moving"); // sent at once; a second call within 150 ms waits for the timer
 * loop.dispose();
 * ```
 *
 * @module
 */

import { isAbort } from "./predict_client.ts";

/** During a stroke, answers come at most this often: live, without flooding the server. */
export const LIVE_INTERVAL_MS = 150;

/** `moving`: the pen is mid-stroke (throttled). `now`: anything else (sent at once). */
export type ChangeKind = "moving" | "now";

export interface PredictLoopOptions<T> {
  /** Sends the drawing as it is now; must reject with an AbortError once `signal` aborts. */
  send(signal: AbortSignal): Promise<T>;
  /** The answer for the newest drawing sent. */
  onAnswer(answer: T): void;
  onError(error: unknown): void;
  /** True while a request is on its way or waiting for the throttle. */
  onPending(pending: boolean): void;
  /** How long to hold off after `error`; null when the error is not worth retrying. */
  retryDelayMs?(error: unknown): number | null;
  intervalMs?: number;
  now?(): number;
}

export class PredictLoop<T> {
  #options: PredictLoopOptions<T>;
  #interval: number;
  #now: () => number;
  /** Bumped on every change: the drawing's sequence number. */
  #drawing = 0;
  #sentDrawing = 0;
  #inFlight: AbortController | null = null;
  #lastSentAt = -Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #blockedUntil = -Infinity;
  #pending = false;

  constructor(options: PredictLoopOptions<T>) {
    this.#options = options;
    this.#interval = options.intervalMs ?? LIVE_INTERVAL_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The drawing changed; `moving` changes are throttled, `now` changes go at once. */
  changed(kind: ChangeKind): void {
    this.#drawing++;
    if (this.#now() < this.#blockedUntil) return;
    if (kind === "now") {
      this.#abort();
      this.#send();
      return;
    }
    this.#schedule();
  }

  /** The pad is blank: nothing to ask, and no answer still on its way may be shown. */
  reset(): void {
    this.#drawing++;
    this.#sentDrawing = this.#drawing;
    this.#abort();
    this.#setPending(false);
  }

  /** The user asked to try again: send now, whatever the last error asked for. */
  retry(): void {
    this.#blockedUntil = -Infinity;
    this.#abort();
    this.#send();
  }

  /** When sending resumes after a "try later" failure (a `now()` time), or null. */
  get blockedUntil(): number | null {
    return this.#blockedUntil > this.#now() ? this.#blockedUntil : null;
  }

  dispose(): void {
    this.#abort();
  }

  #schedule() {
    if (this.#inFlight !== null || this.#timer !== undefined) {
      this.#setPending(true); // picked up when the request settles or the timer fires
      return;
    }
    const wait = this.#lastSentAt + this.#interval - this.#now();
    if (wait <= 0) {
      this.#send();
      return;
    }
    this.#setPending(true);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#inFlight === null && this.#drawing > this.#sentDrawing) this.#send();
      else if (this.#inFlight === null) this.#setPending(false);
    }, wait);
  }

  #send() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const controller = new AbortController();
    this.#inFlight = controller;
    this.#sentDrawing = this.#drawing;
    this.#lastSentAt = this.#now();
    this.#setPending(true);
    this.#options.send(controller.signal).then(
      (answer) => {
        if (this.#inFlight !== controller) return; // aborted: a newer drawing took over
        this.#inFlight = null;
        this.#options.onAnswer(answer);
        this.#settled();
      },
      (error) => {
        if (this.#inFlight !== controller) return;
        this.#inFlight = null;
        if (isAbort(error)) return;
        const delay = this.#options.retryDelayMs?.(error) ?? null;
        if (delay !== null) this.#blockedUntil = this.#now() + delay;
        this.#options.onError(error);
        this.#settled();
      },
    );
  }

  /** A request finished: send what was drawn meanwhile, unless told to wait. */
  #settled() {
    if (this.#drawing > this.#sentDrawing && this.#now() >= this.#blockedUntil) {
      this.#schedule();
    } else if (this.#timer === undefined) {
      this.#setPending(false);
    }
  }

  #abort() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inFlight?.abort();
    this.#inFlight = null;
  }

  #setPending(pending: boolean) {
    if (pending === this.#pending) return;
    this.#pending = pending;
    this.#options.onPending(pending);
  }
}
