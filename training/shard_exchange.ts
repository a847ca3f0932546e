/**
 * How data-parallel workers meet inside a step: a barrier and element-wise sums over a shared
 * WebAssembly.Memory (its buffer a SharedArrayBuffer, so wasm_adam.ts's kernel can work on it in
 * place). Every worker adds the slots in rank order, so all of them get identical bits and their
 * weights never drift apart.
 *
 * Three barriers: the batch statistics (BatchNorm) are summed over the workers that have images
 * this step, the gradients over all workers (one with no images adds zeros but must still
 * take the optimizer step), and the updated weights: each worker sums and updates only its own
 * slice of the weights (wasm_adam.ts), writes it to the shared weights, and after the third
 * barrier every worker reads them all. Each kind alternates between two halves of its area so a worker
 * can write its next values while a slower one is still reading the last: a worker can be at
 * most one exchange ahead, since each exchange's barrier waits for all.
 *
 * @module
 */

import { threadCpuMs } from "./step_timing.ts";

/** A peer that died mid-step would otherwise leave the others waiting forever. */
const WAIT_MS = 10 * 60_000;

/** Barrier counters: [arrived, generation] for statistics, gradients, then weights. */
const CONTROL_INTS = 6;
/** Their bytes, rounded up so the float areas after them start on 16 bytes (wasm SIMD). */
const CONTROL_BYTES = 32;
const PAGE = 65536;

export interface ExchangeLayout {
  workers: number;
  /** Float64 values per worker per statistics exchange (BatchNorm: 2 per channel + 1). */
  statistics: number;
  /** Float32 values per worker for the gradients (all trainable weights). */
  gradients: number;
}

function bytesOf(layout: ExchangeLayout) {
  const control = CONTROL_BYTES;
  const statistics = 2 * layout.workers * layout.statistics * 8;
  const gradients = 2 * layout.workers * layout.gradients * 4;
  // The weights and Adam's two moments, each worker writing its own slice.
  const parameters = 3 * layout.gradients * 4;
  return {
    control,
    statistics,
    gradients,
    parameters,
    total: control + statistics + gradients + parameters,
  };
}

/** The shared memory for `layout`, to hand to every worker. */
export function exchangeMemory(layout: ExchangeLayout): WebAssembly.Memory {
  const pages = Math.ceil(bytesOf(layout).total / PAGE);
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

export class ShardExchange {
  readonly #control: Int32Array;
  readonly #statistics: Float64Array;
  readonly #gradients: Float32Array;
  /** Trainable weights, flattened in the optimizer's order; then Adam's first and second moments. */
  readonly weights: Float32Array;
  readonly firstMoments: Float32Array;
  readonly secondMoments: Float32Array;
  /** Wall milliseconds this worker has spent waiting at barriers (step timings read it). */
  waitedMs = 0;
  /** This thread's CPU milliseconds in those waits (step_timing.ts's threadCpuMs). */
  waitedCpuMs = 0;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly layout: ExchangeLayout,
    readonly rank: number,
  ) {
    const bytes = bytesOf(layout), buffer = memory.buffer;
    this.#control = new Int32Array(buffer, 0, CONTROL_INTS);
    this.#statistics = new Float64Array(buffer, bytes.control, bytes.statistics / 8);
    this.#gradients = new Float32Array(
      buffer,
      bytes.control + bytes.statistics,
      bytes.gradients / 4,
    );
    const at = bytes.control + bytes.statistics + bytes.gradients;
    const n = layout.gradients;
    this.weights = new Float32Array(buffer, at, n);
    this.firstMoments = new Float32Array(buffer, at + 4 * n, n);
    this.secondMoments = new Float32Array(buffer, at + 8 * n, n);
  }

  /**
   * Which half the coming exchange uses: its barrier's generation, which everyone at this
   * exchange reads alike (it only moves once all have arrived), even a worker that sat out
   * the last statistics exchanges for want of images.
   */
  #half(which: 0 | 1): number {
    return Atomics.load(this.#control, which * 2 + 1) % 2;
  }

  /** Waits until `count` workers arrived at barrier `which` (statistics, gradients, weights). */
  #barrier(which: 0 | 1 | 2, count: number): void {
    const arrived = which * 2, generation = arrived + 1;
    const control = this.#control;
    const seen = Atomics.load(control, generation);
    if (Atomics.add(control, arrived, 1) + 1 === count) {
      Atomics.store(control, arrived, 0);
      Atomics.add(control, generation, 1);
      Atomics.notify(control, generation);
      return;
    }
    const started = performance.now(), startedCpu = threadCpuMs();
    while (Atomics.load(control, generation) === seen) {
      if (Atomics.wait(control, generation, seen, WAIT_MS) === "timed-out") {
        throw new Error(`worker ${this.rank}: no peer arrived within ${WAIT_MS / 1000} s`);
      }
    }
    this.waitedMs += performance.now() - started;
    this.waitedCpuMs += threadCpuMs() - startedCpu;
  }

  /** Sums `values` over ranks 0..participants-1 (the workers with images this step). */
  sumStatistics(values: Float64Array, participants: number): Float64Array {
    const { statistics } = this.layout;
    if (values.length > statistics) {
      throw new RangeError(`${values.length} statistics exceed the exchange's ${statistics}`);
    }
    const half = this.#half(0) * this.layout.workers * statistics;
    this.#statistics.set(values, half + this.rank * statistics);
    this.#barrier(0, participants);
    const sum = new Float64Array(values.length);
    for (let r = 0; r < participants; r++) {
      const slot = this.#statistics.subarray(half + r * statistics);
      for (let i = 0; i < sum.length; i++) sum[i] += slot[i];
    }
    return sum;
  }

  /** Where this rank writes its gradients for the coming exchange (then gradientsOver). */
  gradientSlot(): Float32Array {
    const { gradients, workers } = this.layout;
    const at = (this.#half(1) * workers + this.rank) * gradients;
    return this.#gradients.subarray(at, at + gradients);
  }

  /**
   * Every worker's gradientSlot() over indices begin..end, in rank order (equally spaced, as
   * wasm_adam.ts adds them), once all have written.
   */
  gradientsOver(begin: number, end: number): Float32Array[] {
    const { gradients, workers } = this.layout;
    if (begin < 0 || end > gradients || begin > end) {
      throw new RangeError(`gradients ${begin}..${end} of ${gradients}`);
    }
    const half = this.#half(1) * workers * gradients;
    this.#barrier(1, workers);
    return Array.from({ length: workers }, (_, r) => {
      const at = half + r * gradients;
      return this.#gradients.subarray(at + begin, at + end);
    });
  }

  /** Waits until every worker has written its slice of `weights` (and its moments). */
  weightsWritten(): void {
    this.#barrier(2, this.layout.workers);
  }
}
