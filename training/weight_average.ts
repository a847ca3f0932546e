/**
 * Weight averaging over a run's last epochs (stochastic weight averaging, SWA): the model a run
 * exports is the mean of its weights after each of its last `--average-last` epochs, which sits
 * nearer the middle of the low-loss region than any one epoch's end does (docs/training.md,
 * "Weight averaging"). BatchNorm's moving statistics are averaged with the rest.
 *
 * The sums live in the loop's state, so a checkpoint holds them and `--resume` continues them.
 *
 * @module
 */

/** One tensor of model.getWeights() order, as checkpoint.ts keeps it. */
export interface Weights {
  shape: number[];
  values: Float32Array;
}

/** The running sums of the epochs averaged so far. */
export interface WeightSums {
  /** Epochs added. */
  epochs: number;
  /** One per weight tensor, model.getWeights() order. */
  sums: Float32Array[];
}

/** Whether the zero-based `epoch` of `epochs` is one of the last `averageLast`. */
export function averagesEpoch(epoch: number, epochs: number, averageLast: number): boolean {
  return averageLast > 1 && epoch >= epochs - averageLast;
}

/** New sums: `sums` (none before the first epoch) plus `weights`; `sums` stays as it was. */
export function addWeights(sums: WeightSums | null, weights: Weights[]): WeightSums {
  if (sums !== null && sums.sums.length !== weights.length) {
    throw new RangeError(`averaging ${sums.sums.length} tensors, given ${weights.length}`);
  }
  return {
    epochs: (sums?.epochs ?? 0) + 1,
    sums: weights.map((w, i) => {
      const total = Float32Array.from(w.values);
      const before = sums?.sums[i];
      if (!before) return total;
      if (before.length !== total.length) {
        throw new RangeError(`tensor ${i}: ${before.length} sums, ${total.length} weights`);
      }
      for (let j = 0; j < total.length; j++) total[j] += before[j];
      return total;
    }),
  };
}

/** The mean weights, shaped like `like` (the model's own weights). */
export function meanWeights(sums: WeightSums, like: readonly { shape: number[] }[]): Weights[] {
  return sums.sums.map((total, i) => ({
    shape: like[i].shape,
    values: total.map((v) => v / sums.epochs),
  }));
}
