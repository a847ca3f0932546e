/**
 * The inverse of onnx_export.ts for weights only: puts an exported model's ONNX initializers
 * back into a freshly built tfjs model of the same architecture, so `deno task train --feedback`
 * can fine-tune the model that is served (the shipped models keep no tfjs checkpoint).
 *
 * The exporter folds a BatchNorm into the convolution before it; the folded kernel and bias go
 * back into the convolution's kernel and the BatchNorm's beta, with the BatchNorm set to the
 * identity (gamma 1, mean 0, variance 1 - epsilon). Running the model in inference mode then
 * computes exactly what the ONNX file does.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { UnsupportedLayerError } from "./onnx_export.ts";
import { ModelProto } from "./onnx_schema.ts";

type Initializer = { name: string; dims: number[]; raw_data: Uint8Array };

function floats(tensor: Initializer): Float32Array {
  // A copy: protobufjs may hand out a Node Buffer, whose slice() is a view into the file.
  const bytes = Uint8Array.from(tensor.raw_data);
  return new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
}

/** Sets `model`'s weights from `onnx` (bytes made by exportOnnx from the same architecture). */
export function loadOnnxWeights(model: tf.LayersModel, onnx: Uint8Array): void {
  const decoded = ModelProto.toObject(ModelProto.decode(onnx), {
    longs: Number,
    bytes: Uint8Array,
    defaults: false,
  }) as { graph: { initializer: Initializer[] } };
  // The exporter adds a weight then a bias per Conv and Dense, in layer order.
  const pairs = decoded.graph.initializer.filter((t) => /\.(weight|bias)$/.test(t.name));
  let next = 0;
  const take = () => {
    const weight = pairs[next++], bias = pairs[next++];
    if (!weight || !bias) throw new UnsupportedLayerError("the ONNX file has fewer layers");
    return { weight, bias };
  };
  const layers = model.layers.filter((layer) => layer.getClassName() !== "InputLayer");
  for (let index = 0; index < layers.length; index++) {
    const layer = layers[index];
    const kind = layer.getClassName();
    if (kind === "Conv2D") {
      const { weight, bias } = take();
      const [kernelH, kernelW, inChannels, outChannels] = layer.getWeights()[0].shape;
      const source = floats(weight);
      const kernel = new Float32Array(source.length);
      // [co,ci,kh,kw] -> [kh,kw,ci,co]
      for (let y = 0; y < kernelH; y++) {
        for (let x = 0; x < kernelW; x++) {
          for (let ci = 0; ci < inChannels; ci++) {
            for (let co = 0; co < outChannels; co++) {
              kernel[((y * kernelW + x) * inChannels + ci) * outChannels + co] =
                source[((co * inChannels + ci) * kernelH + y) * kernelW + x];
            }
          }
        }
      }
      const shape = [kernelH, kernelW, inChannels, outChannels];
      const next = layers[index + 1];
      const useBias = (layer.getConfig() as { useBias?: boolean }).useBias;
      if (next?.getClassName() === "BatchNormalization") {
        index++;
        const epsilon = (next.getConfig() as { epsilon?: number }).epsilon ?? 1e-3;
        const ones = new Float32Array(outChannels).fill(1);
        const byName: Record<string, Float32Array> = {
          gamma: ones,
          beta: floats(bias),
          moving_mean: new Float32Array(outChannels),
          moving_variance: new Float32Array(outChannels).fill(1 - epsilon),
        };
        setWeights(layer, useBias ? [kernel, new Float32Array(outChannels)] : [kernel], shape);
        setWeights(
          next,
          next.weights.map((w) => byName[w.originalName.split("/").pop()!]),
          [outChannels],
        );
      } else {
        setWeights(layer, useBias ? [kernel, floats(bias)] : [kernel], shape);
      }
    } else if (kind === "Dense") {
      const { weight, bias } = take();
      const [inputs, units] = layer.getWeights()[0].shape;
      const source = floats(weight);
      let kernel = source;
      const inputShape = (layer.input as tf.SymbolicTensor).shape;
      const flatten = layers[index - 1];
      const grid = flatten?.getClassName() === "Flatten"
        ? ((flatten.input as tf.SymbolicTensor).shape as number[])
        : null;
      if (grid && grid.length === 4 && grid[3] > 1) {
        // Rows back from ONNX's (c,h,w) flatten order to tfjs's (h,w,c).
        const [, height, width, channels] = grid;
        kernel = new Float32Array(source.length);
        for (let c = 0; c < channels; c++) {
          for (let y = 0; y < height; y++) {
            for (let x = 0; x < width; x++) {
              const onnxRow = (c * height + y) * width + x;
              const tfjsRow = (y * width + x) * channels + c;
              kernel.set(source.subarray(onnxRow * units, (onnxRow + 1) * units), tfjsRow * units);
            }
          }
        }
      }
      if (inputShape.length !== 2) throw new UnsupportedLayerError(`${layer.name}: not flat`);
      setWeights(layer, [kernel, floats(bias)], [inputs, units]);
    } else if (kind === "BatchNormalization") {
      throw new UnsupportedLayerError(`${layer.name}: a BatchNorm with no convolution before it`);
    }
  }
  if (next !== pairs.length) throw new UnsupportedLayerError("the ONNX file has more layers");
}

/** Sets a layer's weights; the first takes `firstShape`, the rest are per-unit vectors. */
function setWeights(layer: tf.layers.Layer, values: Float32Array[], firstShape: number[]) {
  const tensors = values.map((v, i) =>
    tf.tensor(v, i === 0 && firstShape.length > 1 ? firstShape : [v.length])
  );
  layer.setWeights(tensors);
  tf.dispose(tensors);
}
