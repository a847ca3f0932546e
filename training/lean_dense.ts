/**
 * tfjs's Dense layer with a training step of fewer tfjs ops. In training tfjs runs a relu
 * Dense unfused (matMul, add, relu: its fused kernel has no relu gradient) and takes the relu
 * and bias gradients in four more kernels; here each pass runs only its matrix products as tfjs
 * kernels and the rest in JS on the 64-row arrays: the bias and relu forward, the relu's mask
 * and the bias gradient backward. `inputGradient: false` (a first layer,
 * nothing trainable before it) skips the input's gradient, which tfjs's fused matMul computes
 * whether or not anyone reads it. Outside training, and for other activations or shapes, it is
 * tfjs's own layer; the class name stays Dense for the export and checkpoints.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

type DenseArgs = Parameters<typeof tf.layers.dense>[0];
type Kwargs = Record<string, unknown>;
// tfjs exports only a factory; its class is the prototype of what the factory makes.
const Dense = tf.layers.dense({ units: 1 }).constructor as {
  new (args: DenseArgs): tf.layers.Layer;
};

/** The parts of tfjs's Dense this layer reads (not in its public typings). */
interface DenseInternals {
  kernel: tf.LayerVariable;
  bias?: tf.LayerVariable;
  activation: { getClassName(): string };
}

/** What the lean step handles: a rank-2 input, relu or no activation. */
const LEAN_ACTIVATIONS = new Set(["relu", "linear"]);

class LeanDense extends Dense {
  constructor(args: DenseArgs, private readonly inputGradient: boolean) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as DenseInternals;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const activation = self.activation.getClassName();
    if (
      kwargs["training"] !== true || x.rank !== 2 || !self.bias || !LEAN_ACTIVATIONS.has(activation)
    ) return super.call(inputs, kwargs);
    const kernel = self.kernel.read() as tf.Tensor2D;
    const bias = self.bias.read() as tf.Tensor1D;
    return leanDense(x as tf.Tensor2D, kernel, bias, activation === "relu", this.inputGradient);
  }
}

/**
 * `relu?(x W + b)` as one tape node; its gradients are W's, b's and, when `inputGradient`, x's
 * (else x is no input of the node: its gradient is never computed).
 */
export function leanDense(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  relu: boolean,
  inputGradient: boolean,
): tf.Tensor2D {
  const rows = x.shape[0];
  const units = kernel.shape[1];
  // tfjs's plain matMul, then the bias and relu in JS: wasm's _FusedMatMul kernel takes twice
  // BatchMatMul's CPU on a 64x784 by 784x392 product (docs/training.md).
  const forward = () => {
    const sums = tf.matMul(x, kernel);
    const values = sums.dataSync() as Float32Array;
    sums.dispose();
    const shift = bias.dataSync() as Float32Array;
    const out = new Float32Array(rows * units);
    for (let n = 0; n < rows; n++) {
      for (let j = 0, at = n * units; j < units; j++, at++) {
        // float32 + float32 rounded once to float32: tfjs's add, bit for bit.
        const z = values[at] + shift[j];
        out[at] = relu && !(z > 0) ? 0 : z;
      }
    }
    return tf.tensor2d(out, [rows, units]);
  };
  // The gradients of the pre-activation sum and of the bias, from the output's gradient.
  const backward = (dy: tf.Tensor, y: tf.Tensor) => {
    const dz = dy.dataSync() as Float32Array;
    const out = relu ? y.dataSync() : null;
    const masked = new Float32Array(rows * units);
    const biasGrad = new Float32Array(units);
    for (let n = 0; n < rows; n++) {
      for (let j = 0, at = n * units; j < units; j++, at++) {
        const g = out && out[at] <= 0 ? 0 : dz[at];
        masked[at] = g;
        biasGrad[j] += g;
      }
    }
    const dyz = tf.tensor2d(masked, [rows, units]);
    return { dyz, db: tf.tensor1d(biasGrad), dw: tf.matMul(x, dyz, true, false) };
  };
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const { dyz, db, dw } = backward(dy, saved[0]);
    return inputGradient ? [tf.matMul(dyz, kernel, false, true), dw, db] : [dw, db];
  };
  // The node's inputs are the tensors it gives gradients for: x only when asked.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const y = forward();
    (args[args.length - 1] as tf.GradSaveFunc)([y]);
    return { value: y, gradFunc };
  });
  return (inputGradient ? op(x, kernel, bias) : op(kernel, bias)) as tf.Tensor2D;
}

/**
 * tfjs's `tf.layers.dense(args)` with the lean training step; `inputGradient: false` only for
 * a layer with nothing trainable before it.
 */
export function leanDenseLayer(
  args: DenseArgs & { inputGradient?: boolean },
): tf.layers.Layer {
  const { inputGradient = true, ...dense } = args;
  return new LeanDense(dense, inputGradient);
}
