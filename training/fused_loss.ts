/**
 * tfjs's `tf.losses.softmaxCrossEntropy` (mean over the batch) as one custom op whose loss and
 * gradient are computed on the logits' 64x10 values in JS: tfjs builds it from ~17 kernels
 * forward and ~15 backward, each paying the engine's per-op bookkeeping, which on the mlp's step
 * cost more than the arithmetic (docs/training.md, "mlp's step: fewer tfjs ops").
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * The mean over rows of `-sum(targets * logSoftmax(logits))`, `targets` being [rows, classes]
 * row-major (soft_targets.ts's rows); its gradient is `(softmax * rowSum(targets) - targets) /
 * rows`, computed in the forward pass and handed to tfjs's tape. Both are multiplied by `scale`:
 * a worker's slice of a batch holds `rows / batch` of the batch's mean (train_worker.ts).
 */
export function softmaxCrossEntropy(
  targets: Float32Array,
  logits: tf.Tensor2D,
  scale = 1,
): tf.Scalar {
  const [rows, classes] = logits.shape;
  if (targets.length !== rows * classes) {
    throw new RangeError(`${targets.length} targets for logits [${rows},${classes}]`);
  }
  const op = tf.customGrad((z) => {
    const values = (z as tf.Tensor).dataSync() as Float32Array;
    const gradient = new Float32Array(rows * classes);
    let total = 0;
    for (let row = 0; row < rows; row++) {
      const at = row * classes;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, values[at + c]);
      let sum = 0, weight = 0;
      for (let c = 0; c < classes; c++) {
        gradient[at + c] = Math.exp(values[at + c] - max);
        sum += gradient[at + c];
        weight += targets[at + c];
      }
      const logSum = max + Math.log(sum);
      for (let c = 0; c < classes; c++) {
        const target = targets[at + c];
        total += target * (logSum - values[at + c]);
        gradient[at + c] = (gradient[at + c] / sum * weight - target) / rows * scale;
      }
    }
    return {
      value: tf.scalar(total / rows * scale),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, tf.tensor2d(gradient, [rows, classes])),
    };
  });
  return op(logits) as tf.Scalar;
}
