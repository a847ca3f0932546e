/**
 * Writes a trained tfjs Sequential model as an ONNX model (opset 13) for onnxruntime-web.
 *
 * tfjs works in NHWC, ONNX's Conv in NCHW: kernels are transposed, BatchNorm is folded into the
 * convolution before it, Dropout (identity at inference) is dropped, and the first Dense after a
 * Flatten gets its rows permuted so ONNX's (c,h,w) flatten order feeds the weights tfjs learned
 * for (h,w,c) order, at no runtime cost.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { AttributeType, DataType, ModelProto } from "./onnx_schema.ts";

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 8;

export interface ExportOptions {
  /** Stored as metadata_props "name" and as the graph's name; defaults to the model's name. */
  name?: string;
  /** Extra metadata_props entries (key -> value). */
  metadata?: Record<string, string>;
  /** The model's doc_string. */
  description?: string;
}

/** A layer (or layer setting) the exporter cannot translate. */
export class UnsupportedLayerError extends Error {
  override name = "UnsupportedLayerError";
}

type Attribute = { name: string; type: number; i?: number; f?: number; ints?: number[] };
type Node = { op_type: string; input: string[]; output: string[]; attribute?: Attribute[] };
type Initializer = { name: string; dims: number[]; data_type: number; raw_data: Uint8Array };
type LayerConfig = Record<string, unknown>;

/** Image dimensions of a tfjs NHWC tensor (batch left out). */
interface Grid {
  height: number;
  width: number;
  channels: number;
}

/** Translates `model` into ONNX bytes: input "input" [N,1,28,28], outputs "logits", "probabilities". */
export function exportOnnx(model: tf.LayersModel, options: ExportOptions = {}): Uint8Array {
  const graph = new GraphBuilder();
  const inputShape = model.inputs[0].shape;
  if (inputShape.length !== 4) {
    throw new UnsupportedLayerError(`input shape ${JSON.stringify(inputShape)} is not NHWC`);
  }
  const [, height, width, channels] = inputShape as number[];
  let current = "input";
  // Set by Flatten when it sees an image: the next Dense must permute its rows to match.
  let flattenedGrid: Grid | undefined;
  const layers = model.layers.filter((layer) => layer.getClassName() !== "InputLayer");

  for (let index = 0; index < layers.length; index++) {
    const layer = layers[index];
    const kind = layer.getClassName();
    const config = layer.getConfig() as LayerConfig;
    switch (kind) {
      case "Conv2D": {
        // Folding is only exact when nothing (such as an activation) sits between the two.
        const next = layers[index + 1];
        const foldable = next?.getClassName() === "BatchNormalization" &&
          (config.activation ?? "linear") === "linear";
        const batchNorm = foldable ? next : undefined;
        if (batchNorm) index++;
        current = graph.conv(current, layer, config, batchNorm);
        current = graph.activation(current, config.activation, layer.name);
        break;
      }
      case "BatchNormalization":
        if (flattenedGrid && flattenedGrid.channels > 1) {
          throw new UnsupportedLayerError(
            `${layer.name}: BatchNormalization between Flatten and Dense`,
          );
        }
        current = graph.batchNorm(current, layer, config);
        break;
      case "MaxPooling2D":
        current = graph.maxPool(current, layer, config);
        break;
      case "Activation":
        current = graph.activation(current, config.activation, layer.name);
        break;
      case "Dropout":
        break;
      case "Flatten": {
        const [, h, w, c] = inputShapeOf(layer);
        flattenedGrid = c === undefined ? undefined : { height: h, width: w, channels: c };
        current = graph.add("Flatten", [current], [int("axis", 1)]);
        break;
      }
      case "Dense":
        if (inputShapeOf(layer).length !== 2) {
          throw new UnsupportedLayerError(`${layer.name}: Dense on a tensor that is not flat`);
        }
        current = graph.dense(current, layer, flattenedGrid);
        current = graph.activation(current, config.activation, layer.name);
        flattenedGrid = undefined;
        break;
      default:
        throw new UnsupportedLayerError(
          `${layer.name}: layer ${kind} is not supported by the ONNX exporter`,
        );
    }
  }

  const outputShape = model.outputs[0].shape;
  if (outputShape.length !== 2 || graph.nodes.length === 0) {
    throw new UnsupportedLayerError(
      `output shape ${JSON.stringify(outputShape)} is not [N, classes]`,
    );
  }
  const classes = outputShape[1] as number;
  graph.renameOutput(current, "logits");
  graph.add("Softmax", ["logits"], [int("axis", 1)], "probabilities");

  const name = options.name ?? model.name;
  const metadata = { name, ...options.metadata };
  return ModelProto.encode(ModelProto.fromObject({
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: "", version: ONNX_OPSET }],
    producer_name: "digitlab",
    doc_string: options.description ?? "",
    metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name,
      node: graph.nodes,
      initializer: graph.initializers,
      input: [valueInfo("input", ["N", channels, height, width])],
      output: [valueInfo("logits", ["N", classes]), valueInfo("probabilities", ["N", classes])],
    },
  })).finish();
}

class GraphBuilder {
  nodes: Node[] = [];
  initializers: Initializer[] = [];
  #count = 0;

  /** Appends a node and returns its output's name. */
  add(op: string, input: string[], attribute: Attribute[] = [], output?: string): string {
    const name = output ?? `${op.toLowerCase()}_${this.#count++}`;
    this.nodes.push({ op_type: op, input, output: [name], attribute });
    return name;
  }

  constant(name: string, dims: number[], values: Float32Array): string {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    // ONNX raw_data is little-endian; so is every platform Deno runs on.
    this.initializers.push({ name, dims, data_type: DataType.FLOAT, raw_data: bytes.slice() });
    return name;
  }

  renameOutput(from: string, to: string) {
    for (const node of this.nodes) node.output = node.output.map((n) => n === from ? to : n);
  }

  conv(input: string, layer: tf.layers.Layer, config: LayerConfig, batchNorm?: tf.layers.Layer) {
    if (config.dataFormat !== "channelsLast") {
      throw new UnsupportedLayerError(`${layer.name}: only channelsLast convolutions`);
    }
    const [kernelH, kernelW, inChannels, outChannels] = layer.getWeights()[0].shape;
    const kernel = weightValues(layer, "kernel");
    const bias = config.useBias ? weightValues(layer, "bias") : new Float32Array(outChannels);
    // [kh,kw,ci,co] -> [co,ci,kh,kw]
    const weights = new Float32Array(kernel.length);
    for (let y = 0; y < kernelH; y++) {
      for (let x = 0; x < kernelW; x++) {
        for (let ci = 0; ci < inChannels; ci++) {
          for (let co = 0; co < outChannels; co++) {
            weights[((co * inChannels + ci) * kernelH + y) * kernelW + x] =
              kernel[((y * kernelW + x) * inChannels + ci) * outChannels + co];
          }
        }
      }
    }
    if (batchNorm) {
      const { scale, shift } = batchNormAffine(batchNorm, outChannels);
      const perFilter = inChannels * kernelH * kernelW;
      for (let co = 0; co < outChannels; co++) {
        for (let k = 0; k < perFilter; k++) weights[co * perFilter + k] *= scale[co];
        bias[co] = bias[co] * scale[co] + shift[co];
      }
    }
    const strides = pair(config.strides);
    const dilations = pair(config.dilationRate);
    const [, inH, inW] = inputShapeOf(layer);
    const pads = padding(config.padding, [inH, inW], [kernelH, kernelW], strides, dilations);
    const w = this.constant(
      `${layer.name}.weight`,
      [outChannels, inChannels, kernelH, kernelW],
      weights,
    );
    const b = this.constant(`${layer.name}.bias`, [outChannels], bias);
    return this.add("Conv", [input, w, b], [
      ints("kernel_shape", [kernelH, kernelW]),
      ints("strides", strides),
      ints("dilations", dilations),
      ints("pads", pads),
    ]);
  }

  /** A BatchNorm with no convolution before it, as Mul + Add per channel (axis 1). */
  batchNorm(input: string, layer: tf.layers.Layer, config: LayerConfig): string {
    const rank = inputShapeOf(layer).length;
    const axis = config.axis as number | number[];
    if (![-1, rank - 1].includes(Array.isArray(axis) ? axis[0] : axis)) {
      throw new UnsupportedLayerError(`${layer.name}: BatchNormalization on axis ${axis}`);
    }
    const channels = inputShapeOf(layer)[rank - 1];
    const { scale, shift } = batchNormAffine(layer, channels);
    const dims = rank === 4 ? [channels, 1, 1] : [channels];
    const scaled = this.add("Mul", [input, this.constant(`${layer.name}.scale`, dims, scale)]);
    return this.add("Add", [scaled, this.constant(`${layer.name}.shift`, dims, shift)]);
  }

  maxPool(input: string, layer: tf.layers.Layer, config: LayerConfig): string {
    if (config.dataFormat !== "channelsLast") {
      throw new UnsupportedLayerError(`${layer.name}: only channelsLast pooling`);
    }
    const kernel = pair(config.poolSize);
    const strides = pair(config.strides ?? config.poolSize);
    const [, inH, inW] = inputShapeOf(layer);
    const pads = padding(config.padding, [inH, inW], kernel, strides, [1, 1]);
    return this.add("MaxPool", [input], [
      ints("kernel_shape", kernel),
      ints("strides", strides),
      ints("pads", pads),
    ]);
  }

  /** Gemm with the kernel as B; rows permuted from tfjs's (h,w,c) flatten order to (c,h,w). */
  dense(input: string, layer: tf.layers.Layer, flattened?: Grid): string {
    const [inputs, units] = layer.getWeights()[0].shape;
    const kernel = weightValues(layer, "kernel");
    const config = layer.getConfig() as LayerConfig;
    const bias = config.useBias ? weightValues(layer, "bias") : new Float32Array(units);
    let weights = kernel;
    if (flattened && flattened.channels > 1) {
      const { height, width, channels } = flattened;
      weights = new Float32Array(kernel.length);
      for (let c = 0; c < channels; c++) {
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const onnxRow = (c * height + y) * width + x;
            const tfjsRow = (y * width + x) * channels + c;
            weights.set(kernel.subarray(tfjsRow * units, (tfjsRow + 1) * units), onnxRow * units);
          }
        }
      }
    }
    const w = this.constant(`${layer.name}.weight`, [inputs, units], weights);
    const b = this.constant(`${layer.name}.bias`, [units], bias);
    return this.add("Gemm", [input, w, b]);
  }

  activation(input: string, activation: unknown, layerName: string): string {
    if (activation === "linear" || activation === undefined) return input;
    if (activation === "relu") return this.add("Relu", [input]);
    throw new UnsupportedLayerError(`${layerName}: activation ${activation} is not supported`);
  }
}

/** The layer's input shape in tfjs order (batch first, as null). */
function inputShapeOf(layer: tf.layers.Layer): number[] {
  return (layer.input as tf.SymbolicTensor).shape as number[];
}

/** A layer's weight by its short name ("kernel", "bias", "gamma", "moving_mean", ...). */
function weightValues(layer: tf.layers.Layer, name: string): Float32Array {
  const weight = layer.weights.find((w) => w.originalName.split("/").pop() === name);
  if (!weight) throw new UnsupportedLayerError(`${layer.name}: no weight named ${name}`);
  return Float32Array.from(weight.read().dataSync() as Float32Array);
}

/** BatchNorm at inference as y = x * scale + shift, per channel (computed in float64). */
function batchNormAffine(layer: tf.layers.Layer, channels: number) {
  const config = layer.getConfig() as LayerConfig;
  const epsilon = (config.epsilon as number | undefined) ?? 1e-3;
  const mean = weightValues(layer, "moving_mean");
  const variance = weightValues(layer, "moving_variance");
  const gamma = config.scale === false
    ? new Float32Array(channels).fill(1)
    : weightValues(layer, "gamma");
  const beta = config.center === false ? new Float32Array(channels) : weightValues(layer, "beta");
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const factor = gamma[c] / Math.sqrt(variance[c] + epsilon);
    scale[c] = factor;
    shift[c] = beta[c] - mean[c] * factor;
  }
  return { scale, shift };
}

/** ONNX pads [top, left, bottom, right]; "same" puts the odd pixel at the end, as TensorFlow does. */
function padding(
  mode: unknown,
  size: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
): number[] {
  if (mode === "valid") return [0, 0, 0, 0];
  if (mode !== "same") throw new UnsupportedLayerError(`padding ${mode} is not supported`);
  const begin: number[] = [], end: number[] = [];
  for (let axis = 0; axis < 2; axis++) {
    const out = Math.ceil(size[axis] / strides[axis]);
    const span = (kernel[axis] - 1) * dilations[axis] + 1;
    const total = Math.max((out - 1) * strides[axis] + span - size[axis], 0);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  }
  return [...begin, ...end];
}

function pair(value: unknown): number[] {
  if (typeof value === "number") return [value, value];
  if (Array.isArray(value) && value.length === 2) return value as number[];
  throw new UnsupportedLayerError(`expected a number or a pair, got ${JSON.stringify(value)}`);
}

function int(name: string, i: number): Attribute {
  return { name, type: AttributeType.INT, i };
}

function ints(name: string, values: number[]): Attribute {
  return { name, type: AttributeType.INTS, ints: values };
}

function valueInfo(name: string, dims: (number | string)[]) {
  const dim = dims.map((d) => typeof d === "number" ? { dim_value: d } : { dim_param: d });
  return { name, type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim } } } };
}
