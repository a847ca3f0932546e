/**
 * Adam's update on one slice of a model's flattened weights, bit for bit as tfjs's
 * AdamOptimizer computes it, so data-parallel workers can each update their own slice (and
 * share the result) instead of all repeating the whole update. Training runs it as one wasm
 * SIMD kernel (wasm_adam.ts); `adamUpdate` is the same arithmetic spelt out in JS, which the
 * kernel is tested against; the constants, the accumulators and the slices are shared.
 *
 * tfjs runs the update as a chain of float32 element-wise ops; every intermediate here is
 * rounded to float32 (`Math.fround`) in the same order. Each op is one IEEE operation rounded
 * once from double, which equals the float32 operation (double has over twice float's bits),
 * so the results are identical, not merely close.
 *
 * @module
 */

const f = Math.fround;

/** The optimizer's constants and its step-dependent accumulators (beta^t as tfjs keeps them). */
export interface AdamStep {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** beta1^t and beta2^t before this step (tfjs's accBeta1/accBeta2, float32). */
  accBeta1: number;
  accBeta2: number;
}

/** Where one slice of the flattened model lives. */
export interface AdamSlice {
  weights: Float32Array;
  firstMoments: Float32Array;
  secondMoments: Float32Array;
  /** The batch's gradients for indices begin..end, in order (gradients[0] is index begin). */
  gradients: Float32Array;
  begin: number;
  end: number;
}

/**
 * Updates weights and moments in place for indices begin..end.
 *
 * @example
 * ```ts
 * import { adamUpdate, nextAccumulators } from "./split_adam.ts";
 * const weights = new Float32Array([1]), m = new Float32Array(1), v = new Float32Array(1);
 * const step = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, accBeta1: 0.9, accBeta2: 0.999 };
 * adamUpdate({ weights, firstMoments: m, secondMoments: v, gradients: new Float32Array([2]), begin: 0, end: 1 }, step);
 * // The first step moves each weight by about the learning rate, against its gradient.
 * if (Math.abs(weights[0] - 0.9) > 1e-6) throw new Error(String(weights[0]));
 * // beta1^2 as float32 products, not the float32 nearest 0.81.
 * const { accBeta1 } = nextAccumulators(step);
 * if (accBeta1 !== Math.fround(Math.fround(0.9) * Math.fround(0.9))) throw new Error(String(accBeta1));
 * ```
 */
export function adamUpdate(slice: AdamSlice, step: AdamStep): void {
  const { weights, firstMoments: m, secondMoments: v, gradients, begin, end } = slice;
  const { beta1, beta2, keep1, keep2, oneMinusAcc1, oneMinusAcc2, epsilon, minusRate } =
    float32Constants(step);
  for (let i = begin, g = 0; i < end; i++, g++) {
    const gradient = gradients[g];
    const first = f(f(m[i] * beta1) + f(gradient * keep1));
    const second = f(f(v[i] * beta2) + f(f(gradient * gradient) * keep2));
    const correctedFirst = f(first / oneMinusAcc1);
    const correctedSecond = f(second / oneMinusAcc2);
    m[i] = first;
    v[i] = second;
    const ratio = f(correctedFirst / f(f(Math.sqrt(correctedSecond)) + epsilon));
    weights[i] = f(f(ratio * minusRate) + weights[i]);
  }
}

/** The float32 scalars tfjs's update multiplies, divides and adds by (wasm_adam.ts's too). */
export function float32Constants(step: AdamStep) {
  return {
    beta1: f(step.beta1),
    beta2: f(step.beta2),
    // tfjs makes these scalars in JS (double) and uploads them as float32.
    keep1: f(1 - step.beta1),
    keep2: f(1 - step.beta2),
    oneMinusAcc1: f(1 - f(step.accBeta1)),
    oneMinusAcc2: f(1 - f(step.accBeta2)),
    epsilon: f(step.epsilon),
    minusRate: f(-step.learningRate),
  };
}

/** beta1^(t+1) and beta2^(t+1) as tfjs accumulates them after a step (float32 products). */
export function nextAccumulators(step: AdamStep): { accBeta1: number; accBeta2: number } {
  return {
    accBeta1: f(f(step.accBeta1) * f(step.beta1)),
    accBeta2: f(f(step.accBeta2) * f(step.beta2)),
  };
}

/** The index range rank `rank` of `workers` updates: contiguous, sizes within one. */
export function ownedRange(total: number, workers: number, rank: number): [number, number] {
  const base = Math.floor(total / workers), extra = total % workers;
  const begin = rank * base + Math.min(rank, extra);
  return [begin, begin + base + (rank < extra ? 1 : 0)];
}
