/**
 * The loss's targets for a batch's labels: one-hot for a digit, and for a drawing that is not a
 * digit (label {@link NOT_A_DIGIT}, draw_data.ts's scribbles) the uniform distribution over the
 * ten digits, so the softmax learns to be unsure of it instead of picking a digit.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The label a training set gives a drawing that is no digit (a byte, like the digits'). */
export const NOT_A_DIGIT = 10;

const CLASSES = 10;

/** Target rows [labels.length, 10]: one-hot, or 0.1 each for {@link NOT_A_DIGIT}. */
export function targetRows(labels: ArrayLike<number>): tf.Tensor2D {
  return tf.tensor2d(targetValues(labels), [labels.length, CLASSES]);
}

/** {@link targetRows}' values, row-major, without a tensor (fused_loss.ts reads them in JS). */
export function targetValues(labels: ArrayLike<number>): Float32Array {
  const rows = new Float32Array(labels.length * CLASSES);
  for (let n = 0; n < labels.length; n++) {
    const label = labels[n];
    if (label === NOT_A_DIGIT) rows.fill(1 / CLASSES, n * CLASSES, (n + 1) * CLASSES);
    else if (Number.isInteger(label) && label >= 0 && label < CLASSES) {
      rows[n * CLASSES + label] = 1;
    } else throw new RangeError(`label ${label} is neither a digit nor NOT_A_DIGIT`);
  }
  return rows;
}
