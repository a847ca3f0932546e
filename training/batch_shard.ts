/**
 * Which part of a mini-batch this thread is computing, for the few layers whose result depends
 * on the whole batch (BatchNorm's statistics, Dropout's mask). Data-parallel training
 * (train_workers.ts) sets it around each step in every worker; single-threaded training never
 * does, and those layers then behave exactly as tfjs's own.
 *
 * @module
 */

/** One worker's slice of a mini-batch, and how it reaches the other slices. */
export interface BatchShard {
  /** Index of this slice's first image in the whole batch. */
  offset: number;
  /** Images in this slice. */
  size: number;
  /** Images in the whole batch. */
  total: number;
  /**
   * Sums `values` element-wise over every slice of the batch (the same order everywhere, so
   * every worker gets the same bits). Each slice must call it the same number of times.
   */
  sumOverBatch(values: Float64Array): Float64Array;
}

/** A value that holds during a call and is null outside it: what layers read inside a step. */
export class StepContext<T> {
  #current: T | null = null;

  get current(): T | null {
    return this.#current;
  }

  /** Runs `step` with `value` as the current value. */
  run<R>(value: T, step: () => R): R {
    const previous = this.#current;
    this.#current = value;
    try {
      return step();
    } finally {
      this.#current = previous;
    }
  }
}

const shards = new StepContext<BatchShard>();

/** The slice being computed, or null when this thread has the whole batch. */
export function currentShard(): BatchShard | null {
  return shards.current;
}

/** Runs `step` with `shard` as the current slice. */
export function withShard<T>(shard: BatchShard, step: () => T): T {
  return shards.run(shard, step);
}
