/**
 * A Conv2D layer whose training step computes only the gradients it needs.
 *
 * tfjs-layers runs a convolution without activation (our Conv -> BatchNorm blocks) as
 * `tf.fused.conv2d`, whose gradient is a customGrad: it computes the gradient of every input,
 * the input image's included, where an ordinary op's gradient is computed only for inputs on
 * the way to a variable. So the first layer of cnn-aug and draw paid a full
 * Conv2DBackpropInput for the image's gradient, which nothing reads (~5% of a cnn-aug step).
 * In training this layer takes the unfused `tf.conv2d` instead: the same kernel, bit for bit,
 * with the per-input gradient. It keeps the class name, weights and inference path of tfjs's
 * own, so checkpoints and the ONNX export see an ordinary Conv2D.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

type ConvArgs = Parameters<typeof tf.layers.conv2d>[0];
type Kwargs = Record<string, unknown>;
// tfjs exports only a factory; its class is the prototype of what the factory makes.
const Conv2D = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as {
  new (args: ConvArgs): tf.layers.Layer;
};

/** The private fields of tfjs's Conv2D that the unfused call needs. */
interface ConvFields {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { getClassName(): string };
  strides: [number, number];
  padding: "valid" | "same" | "causal";
  dataFormat: "channelsFirst" | "channelsLast";
  dilationRate: [number, number];
}

class TrainingConv2D extends Conv2D {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as ConvFields;
    // With an activation tfjs already takes the unfused path in training; with a bias the
    // fused kernel adds it in another order than tf.add would.
    const plain = kwargs["training"] === true && self.activation.getClassName() === "linear" &&
      self.bias == null && self.dataFormat === "channelsLast" && self.padding !== "causal";
    if (!plain) return super.call(inputs, kwargs);
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() =>
      tf.conv2d(
        x as tf.Tensor4D,
        self.kernel.read() as tf.Tensor4D,
        self.strides,
        self.padding as "valid" | "same",
        "NHWC",
        self.dilationRate,
      )
    );
  }
}

/** A drop-in for `tf.layers.conv2d` that skips the unneeded gradients in training. */
export function trainingConv2d(args: ConvArgs): tf.layers.Layer {
  return new TrainingConv2D(args);
}
