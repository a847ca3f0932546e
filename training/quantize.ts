/**
 * Post-training int8 quantization of an exported model, for onnxruntime-web's QLinearConv.
 *
 * Only convolutions that pay for it are rewritten: a Conv followed by a Relu, with at least
 * `minInputChannels` input channels, reading a tensor that cannot be negative (a Relu's output,
 * or a MaxPool of one). Their weights become int8 per output channel (symmetric), their
 * activations uint8 with zero point 0, the Relu folded into the output range. A MaxPool between
 * two of them stays in uint8. Everything else (the first convolution on the 1-channel image,
 * where onnxruntime's int8 kernel is 5x slower than float, and the dense layers) stays float,
 * with a DequantizeLinear where a float node reads a uint8 tensor.
 *
 * Activation ranges come from running the float model on calibration images (their maximum).
 * On cnn-aug this runs ~1.5x faster in onnxruntime's WASM build at the same MNIST accuracy:
 * see docs/performance.md.
 *
 * @module
 */
import * as ort from "onnxruntime-web";
import { createSession, DIGIT_PIXELS } from "../inference/onnx_runtime.ts";
import { DataType, ModelProto } from "./onnx_schema.ts";

export interface QuantizeOptions {
  /** Convolutions with fewer input channels stay float (default 8). */
  minInputChannels?: number;
}

export interface QuantizedModel {
  bytes: Uint8Array;
  /** Names of the Conv nodes' weights that became QLinearConv. */
  quantized: string[];
}

/** The model offers nothing to quantize (no Conv -> Relu on a non-negative input). */
export class NothingToQuantizeError extends Error {
  override name = "NothingToQuantizeError";
}

type Attribute = { name: string; type: number; i?: number; ints?: number[] };
type Node = { op_type: string; input: string[]; output: string[]; attribute?: Attribute[] };
type Tensor = { name: string; dims: number[]; data_type: number; raw_data: Uint8Array };
type Graph = {
  node: Node[];
  initializer: Tensor[];
  output: { name: string; type?: unknown }[];
  [key: string]: unknown;
};

/** A Conv -> Relu pair to run as one QLinearConv. */
interface Candidate {
  conv: Node;
  relu: Node;
}

/**
 * Quantizes `fp32` (bytes of an ONNX model from onnx_export.ts) using `count` calibration
 * digits (NCHW, already normalised). Throws NothingToQuantizeError when no convolution
 * qualifies.
 */
export async function quantizeOnnx(
  fp32: Uint8Array,
  calibration: Float32Array,
  count: number,
  options: QuantizeOptions = {},
): Promise<QuantizedModel> {
  const model = ModelProto.toObject(ModelProto.decode(fp32), {
    longs: Number,
    bytes: Uint8Array,
    defaults: false,
  }) as { graph: Graph; [key: string]: unknown };
  const graph = model.graph;
  const candidates = findCandidates(graph, options.minInputChannels ?? 8);
  if (candidates.length === 0) {
    throw new NothingToQuantizeError("no Conv -> Relu with enough input channels to quantize");
  }
  const calibrated = new Set(
    candidates.flatMap(({ conv, relu }) => [conv.input[0], relu.output[0]]),
  );
  const ranges = await calibrate(model, [...calibrated], calibration, count);
  const rewritten = rewrite(graph, candidates, ranges);
  const bytes = ModelProto.encode(ModelProto.fromObject({ ...model, graph: rewritten })).finish();
  return { bytes, quantized: candidates.map(({ conv }) => conv.input[1]) };
}

function findCandidates(graph: Graph, minInputChannels: number): Candidate[] {
  const weights = new Map(graph.initializer.map((tensor) => [tensor.name, tensor]));
  const producer = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  for (const node of graph.node) {
    for (const output of node.output) producer.set(output, node);
    for (const input of node.input) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  }
  const nonNegative = (tensor: string): boolean => {
    const node = producer.get(tensor);
    if (!node) return false;
    if (node.op_type === "Relu") return true;
    return node.op_type === "MaxPool" && nonNegative(node.input[0]);
  };
  const candidates: Candidate[] = [];
  for (const conv of graph.node) {
    if (conv.op_type !== "Conv" || conv.input.length !== 3) continue;
    const weight = weights.get(conv.input[1]);
    const next = consumers.get(conv.output[0]) ?? [];
    const group = conv.attribute?.find((a) => a.name === "group")?.i ?? 1;
    if (
      weight?.dims.length === 4 && weight.dims[1] >= minInputChannels && group === 1 &&
      next.length === 1 && next[0].op_type === "Relu" && nonNegative(conv.input[0])
    ) {
      candidates.push({ conv, relu: next[0] });
    }
  }
  return candidates;
}

/** The largest value each tensor takes over the calibration digits (at least a tiny epsilon). */
async function calibrate(
  model: { graph: Graph },
  tensors: string[],
  calibration: Float32Array,
  count: number,
): Promise<Record<string, number>> {
  if (count < 1 || calibration.length !== count * DIGIT_PIXELS) {
    throw new RangeError(`calibration holds ${calibration.length} values, not ${count} digits`);
  }
  const probe = structuredClone(model);
  probe.graph.output = [
    ...probe.graph.output,
    ...tensors.map((name) => ({ name, type: { tensor_type: { elem_type: DataType.FLOAT } } })),
  ];
  const session = await createSession(ModelProto.encode(ModelProto.fromObject(probe)).finish());
  const ranges: Record<string, number> = Object.fromEntries(tensors.map((t) => [t, 1e-6]));
  try {
    const chunk = 250;
    for (let start = 0; start < count; start += chunk) {
      const rows = Math.min(chunk, count - start);
      const input = calibration.subarray(start * DIGIT_PIXELS, (start + rows) * DIGIT_PIXELS);
      const feed = new ort.Tensor("float32", input, [rows, 1, 28, 28]);
      const results = await session.run({ input: feed }, tensors);
      for (const name of tensors) {
        const values = results[name].data as Float32Array;
        let max = ranges[name];
        for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
        ranges[name] = max;
        results[name].dispose();
      }
    }
  } finally {
    await session.release();
  }
  return ranges;
}

/** The graph with each candidate as a QLinearConv and uint8 tensors carried between them. */
function rewrite(graph: Graph, candidates: Candidate[], ranges: Record<string, number>): Graph {
  const weights = new Map(graph.initializer.map((tensor) => [tensor.name, tensor]));
  const byConv = new Map(candidates.map((candidate) => [candidate.conv, candidate]));
  const skipped = new Set(candidates.map(({ relu }) => relu));
  // Float tensor name -> its uint8 twin and scale (zero point always 0).
  const twins = new Map<string, { name: string; scale: number }>();
  // Float tensors that exist in the new graph (inputs, initializers and float node outputs).
  const floats = new Set<string>(["input", ...weights.keys()]);
  const nodes: Node[] = [];
  // The float weights and biases of the rewritten convolutions are replaced, not kept.
  const replaced = new Set(candidates.flatMap(({ conv }) => [conv.input[1], conv.input[2]]));
  const initializers = graph.initializer.filter((tensor) => !replaced.has(tensor.name));
  const constant = (name: string, type: number, dims: number[], data: ArrayBufferView) => {
    initializers.push({
      name,
      dims,
      data_type: type,
      raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
    });
    return name;
  };
  const scalar = (name: string, scale: number) => [
    constant(`${name}.scale`, DataType.FLOAT, [], Float32Array.of(scale)),
    constant(`${name}.zero_point`, DataType.UINT8, [], Uint8Array.of(0)),
  ];
  const quantized = (tensor: string) => {
    const twin = twins.get(tensor);
    if (twin) return twin;
    const scale = ranges[tensor] / 255;
    const name = `${tensor}.uint8`;
    nodes.push({
      op_type: "QuantizeLinear",
      input: [tensor, ...scalar(name, scale)],
      output: [name],
    });
    twins.set(tensor, { name, scale });
    return { name, scale };
  };
  const float = (tensor: string) => {
    if (floats.has(tensor)) return tensor;
    const twin = twins.get(tensor);
    if (!twin) return tensor; // produced later or missing: onnxruntime reports it
    nodes.push({
      op_type: "DequantizeLinear",
      input: [twin.name, ...scalar(`${tensor}.dequantized`, twin.scale)],
      output: [tensor],
    });
    floats.add(tensor);
    return tensor;
  };

  for (const node of graph.node) {
    if (skipped.has(node)) continue;
    const candidate = byConv.get(node);
    if (candidate) {
      const x = quantized(node.input[0]);
      const out = candidate.relu.output[0];
      const outScale = ranges[out] / 255;
      const { weight, scales, bias } = quantizeWeights(
        weights.get(node.input[1])!,
        weights.get(node.input[2])!,
        x.scale,
      );
      const name = `${out}.uint8`;
      const prefix = node.input[1].replace(/\.weight$/, "");
      nodes.push({
        op_type: "QLinearConv",
        input: [
          x.name,
          ...scalar(`${prefix}.input`, x.scale),
          constant(`${prefix}.weight_int8`, DataType.INT8, weight.dims, weight.data),
          constant(`${prefix}.weight_scale`, DataType.FLOAT, [scales.length], scales),
          constant(
            `${prefix}.weight_zero_point`,
            DataType.INT8,
            [scales.length],
            new Int8Array(scales.length),
          ),
          ...scalar(`${prefix}.output`, outScale),
          constant(`${prefix}.bias_int32`, DataType.INT32, [bias.length], bias),
        ],
        output: [name],
        attribute: node.attribute,
      });
      twins.set(out, { name, scale: outScale });
      continue;
    }
    const source = twins.get(node.input[0]);
    if (node.op_type === "MaxPool" && source && !floats.has(node.input[0])) {
      // Max commutes with a positive scale: pool the uint8 tensor and keep its scale.
      const name = `${node.output[0]}.uint8`;
      nodes.push({ ...node, input: [source.name], output: [name] });
      twins.set(node.output[0], { name, scale: source.scale });
      continue;
    }
    nodes.push({ ...node, input: node.input.map(float) });
    for (const output of node.output) floats.add(output);
  }
  for (const { name } of graph.output) float(name);
  return { ...graph, node: nodes, initializer: initializers };
}

/** Symmetric int8 weights per output channel; bias in int32 at input scale x weight scale. */
function quantizeWeights(weight: Tensor, bias: Tensor, inputScale: number) {
  const values = floatsOf(weight);
  const biases = floatsOf(bias);
  const channels = weight.dims[0];
  const perChannel = values.length / channels;
  const data = new Int8Array(values.length);
  const scales = new Float32Array(channels);
  const quantizedBias = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    let max = 0;
    for (let i = 0; i < perChannel; i++) max = Math.max(max, Math.abs(values[c * perChannel + i]));
    const scale = max > 0 ? max / 127 : 1;
    scales[c] = scale;
    for (let i = 0; i < perChannel; i++) {
      data[c * perChannel + i] = Math.round(values[c * perChannel + i] / scale);
    }
    quantizedBias[c] = Math.round(biases[c] / (inputScale * scale));
  }
  return { weight: { dims: weight.dims, data }, scales, bias: quantizedBias };
}

function floatsOf(tensor: Tensor): Float32Array {
  if (tensor.data_type !== DataType.FLOAT) {
    throw new RangeError(`${tensor.name}: expected float data, got type ${tensor.data_type}`);
  }
  const raw = tensor.raw_data;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}
