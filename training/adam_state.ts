/**
 * Adam's state as plain arrays, so a checkpoint can continue training bit for bit.
 *
 * tfjs's own `setWeights` recomputes beta1^t and beta2^t with `pow`, which can differ in the
 * last bit from the product the optimizer accumulated step by step; a resumed run would then
 * drift from an uninterrupted one. So the two accumulators are saved and put back as they were.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

export interface AdamState {
  /** Steps taken so far. */
  iterations: number;
  /** beta1^t and beta2^t as the optimizer accumulated them. */
  accBeta1: number;
  accBeta2: number;
  /** First moments of each trainable variable, then second moments, in the optimizer's order. */
  moments: { shape: number[]; values: Float32Array }[];
}

/** tfjs keeps the accumulators private; these are the fields its applyGradients reads. */
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

/** Copies the optimizer's state out. */
export async function readAdamState(optimizer: tf.AdamOptimizer): Promise<AdamState> {
  const [iterations, ...moments] = await optimizer.getWeights();
  const internals = optimizer as unknown as AdamInternals;
  return {
    iterations: (await iterations.tensor.data())[0],
    accBeta1: (await internals.accBeta1.data())[0],
    accBeta2: (await internals.accBeta2.data())[0],
    moments: await Promise.all(moments.map(async ({ tensor }) => ({
      shape: tensor.shape,
      values: Float32Array.from(await tensor.data() as Float32Array),
    }))),
  };
}

/** Puts a state from readAdamState back into a fresh optimizer of the same model. */
export async function restoreAdamState(
  optimizer: tf.AdamOptimizer,
  state: AdamState,
): Promise<void> {
  const tensors = [
    { name: "iter", tensor: tf.scalar(state.iterations, "int32") },
    ...state.moments.map((m, i) => ({ name: `moment${i}`, tensor: tf.tensor(m.values, m.shape) })),
  ];
  await optimizer.setWeights(tensors);
  tf.dispose(tensors.map((t) => t.tensor));
  const internals = optimizer as unknown as AdamInternals;
  tf.tidy(() => {
    internals.accBeta1.assign(tf.scalar(state.accBeta1));
    internals.accBeta2.assign(tf.scalar(state.accBeta2));
  });
}
