/**
 * Reads an Open Inference Protocol v2 (KServe) infer request body into the model's input:
 * one FP32 tensor named `input`, shape `[N,1,28,28]` or `[N,784]`, data flat or nested in
 * row-major order, already normalised as the model expects (see `GET /v2/models/{name}`).
 * Anything else is a `bad_request` saying what is wrong.
 *
 * @module
 */
import { DigitlabError } from "../../lib/errors.ts";
import { DIGIT_PIXELS } from "../../inference/onnx_runtime.ts";

/** Most digits one infer request may carry (the body limit usually bites first). */
export const MAX_V2_BATCH = 256;

/** Output tensors a client may ask for. */
export const V2_OUTPUTS = ["logits", "probabilities"] as const;
export type V2OutputName = typeof V2_OUTPUTS[number];

/** A parsed infer request. */
export interface V2InferRequest {
  id?: string;
  input: Float32Array;
  count: number;
  outputs: V2OutputName[];
}

/** The longest request `id` accepted: it is echoed in the answer. */
export const MAX_ID_LENGTH = 256;

const bad = (message: string) => new DigitlabError("bad_request", message);

/** Parses and checks an infer request body (already JSON-parsed). */
export function parseInferRequest(body: unknown): V2InferRequest {
  if (!isObject(body)) throw bad('the body must be a JSON object with "inputs"');
  const { id, inputs, outputs } = body;
  if (id !== undefined && typeof id !== "string") throw bad('"id" must be a string');
  if (typeof id === "string" && id.length > MAX_ID_LENGTH) {
    throw bad(`"id" must be at most ${MAX_ID_LENGTH} characters (it is echoed back)`);
  }
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw bad('"inputs" must be an array holding one tensor, named "input"');
  }
  const tensor = inputs[0];
  if (!isObject(tensor)) throw bad('"inputs[0]" must be an object');
  if (tensor.name !== "input") throw bad(`unknown input "${String(tensor.name)}": use "input"`);
  if (tensor.datatype !== "FP32") {
    throw bad(`"datatype" must be "FP32", not ${JSON.stringify(tensor.datatype)}`);
  }
  const shape = tensor.shape;
  const count = checkShape(shape);
  const input = flatten(tensor.data, shape as number[], count * DIGIT_PIXELS);
  return {
    ...(id === undefined ? {} : { id }),
    input,
    count,
    outputs: requestedOutputs(outputs),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** N from `[N,1,28,28]` or `[N,784]`. */
function checkShape(shape: unknown): number {
  const text = JSON.stringify(shape)?.slice(0, 80);
  if (
    !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d)) ||
    !((shape.length === 4 && shape[1] === 1 && shape[2] === 28 && shape[3] === 28) ||
      (shape.length === 2 && shape[1] === DIGIT_PIXELS))
  ) {
    throw bad(`"shape" must be [N,1,28,28] or [N,784], not ${text}`);
  }
  const count = shape[0];
  if (count < 1 || count > MAX_V2_BATCH) {
    throw bad(`the batch size N must be from 1 to ${MAX_V2_BATCH}, not ${count}`);
  }
  return count;
}

/** The data as a flat Float32Array: given flat, or nested exactly as `shape`. */
function flatten(data: unknown, shape: number[], size: number): Float32Array {
  if (!Array.isArray(data)) throw bad('"data" must be an array of numbers');
  const out = new Float32Array(size);
  let filled = 0;
  const put = (values: unknown[]) => {
    for (const value of values) {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw bad('"data" must hold finite numbers only');
      }
      if (filled === size) throw bad(`"data" holds more than the shape's ${size} values`);
      out[filled++] = value;
    }
  };
  if (data.length > 0 && Array.isArray(data[0])) {
    // Nested: walk it level by level as the shape says (depth bounded by the shape's rank).
    const walk = (level: unknown, depth: number): void => {
      if (!Array.isArray(level) || level.length !== shape[depth]) {
        throw bad(`"data" is nested but does not match the shape ${JSON.stringify(shape)}`);
      }
      if (depth === shape.length - 1) put(level);
      else for (const inner of level) walk(inner, depth + 1);
    };
    walk(data, 0);
  } else put(data);
  if (filled !== size) {
    throw bad(`"data" holds ${filled} values; shape ${JSON.stringify(shape)} needs ${size}`);
  }
  return out;
}

function requestedOutputs(outputs: unknown): V2OutputName[] {
  if (outputs === undefined) return [...V2_OUTPUTS];
  if (!Array.isArray(outputs) || outputs.length === 0) {
    throw bad('"outputs" must be a non-empty array of {"name": ...}');
  }
  const names = outputs.map((output) => isObject(output) ? output.name : undefined);
  for (const name of names) {
    if (!V2_OUTPUTS.includes(name as V2OutputName)) {
      throw bad(`unknown output ${JSON.stringify(name)}: use "logits" or "probabilities"`);
    }
  }
  return [...new Set(names as V2OutputName[])];
}
