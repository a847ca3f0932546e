/**
 * Adam's update as one wasm SIMD function, bit for bit as tfjs's AdamOptimizer computes it
 * (split_adam.ts does the same in JS, op by op): it sums the workers' gradient slots in rank
 * order, updates both moments and the weights in place, four lanes at a time.
 *
 * tfjs's update is a chain of float32 element-wise ops, and wasm's f32x4 add, mul, div and sqrt
 * are the IEEE float32 operations per lane (no fused multiply-add, no flushing of subnormals),
 * so doing the same ops in the same order gives the same bits (wasm_adam_test.ts checks it
 * against tfjs). What it saves: tfjs runs ~10 kernels (and allocates their tensors) per
 * variable, and the JS version rounds every intermediate with Math.fround one element at a time.
 *
 * There is no wasm compiler here, so the module is assembled from its bytes below. It imports
 * the memory it works on: a shared WebAssembly.Memory (the workers' exchange, shard_exchange.ts)
 * or tfjs's own heap (one thread), and takes byte offsets into it.
 *
 * @module
 */

import { type AdamStep, float32Constants } from "./split_adam.ts";
import { leb, name, section, vector } from "./wasm_bytes.ts";

/** Where one update works: views of the kernel's memory, each `weights.length` long. */
export interface AdamViews {
  weights: Float32Array;
  firstMoments: Float32Array;
  secondMoments: Float32Array;
  /** The gradients to add, in rank order, equally spaced in memory (one view: no sum). */
  gradients: Float32Array[];
  /** Where the weights before the step are, if not in `weights` (which then only receive). */
  oldWeights?: Float32Array;
}

// Opcodes (the WebAssembly core spec, and its fixed-width SIMD proposal after the 0xfd prefix).
const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
const BLOCK = 0x02, LOOP = 0x03, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, VOID = 0x40;
const GET = 0x20, SET = 0x21, TEE = 0x22;
const I32_CONST = 0x41, I32_GE_U = 0x4f, I32_GT_U = 0x4b, I32_ADD = 0x6a, I32_SHL = 0x74;
const F32_LOAD = 0x2a, F32_STORE = 0x38;
const F32_SQRT = 0x91, F32_ADD = 0x92, F32_MUL = 0x94, F32_DIV = 0x95;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00], V128_STORE = [SIMD, 0x0b], F32X4_SPLAT = [SIMD, 0x13];
const F32X4_SQRT = [SIMD, 0xe3, 0x01], F32X4_ADD = [SIMD, 0xe4, 0x01];
const F32X4_MUL = [SIMD, 0xe6, 0x01], F32X4_DIV = [SIMD, 0xe7, 0x01];

// The function's parameters, then its locals, by index.
// OLD: the weights before the step (WEIGHTS itself, unless the new ones go elsewhere).
const [WEIGHTS, FIRST, SECOND, GRADIENTS, STRIDE, SLOTS, COUNT, OLD] = [0, 1, 2, 3, 4, 5, 6, 7];
/** The eight float32 constants, in float32Constants' order. */
const CONSTANTS = 8;
const PARAMS = [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32];
const [BYTES, AT, SLOT, POINTER] = [16, 17, 18, 19];
/** Per width: the constants (splatted for SIMD), the gradient sum and the two new moments. */
const VECTOR_LOCALS = 20, SCALAR_LOCALS = 31;
const LOCALS: [number, number][] = [[4, I32], [11, V128], [3, F32]];

interface Width {
  bytes: number;
  load: number[];
  store: number[];
  add: number[];
  mul: number[];
  div: number[];
  sqrt: number[];
  /** The local holding constant `k`, and those of the sum and the two moments. */
  constant: (k: number) => number;
  locals: number;
}

const VECTOR: Width = {
  bytes: 16,
  // Alignment hint 4 bytes: a worker's slice starts at any float.
  load: [...V128_LOAD, 2, 0],
  store: [...V128_STORE, 2, 0],
  add: F32X4_ADD,
  mul: F32X4_MUL,
  div: F32X4_DIV,
  sqrt: F32X4_SQRT,
  constant: (k) => VECTOR_LOCALS + k,
  locals: VECTOR_LOCALS + 8,
};

const SCALAR: Width = {
  bytes: 4,
  load: [F32_LOAD, 2, 0],
  store: [F32_STORE, 2, 0],
  add: [F32_ADD],
  mul: [F32_MUL],
  div: [F32_DIV],
  sqrt: [F32_SQRT],
  constant: (k) => CONSTANTS + k,
  locals: SCALAR_LOCALS,
};

/** `base + AT`: the address of the current element of an array. */
const address = (base: number) => [GET, base, GET, AT, I32_ADD];

/**
 * The loop over elements AT.. while a whole `width` still fits before BYTES: tfjs's update in
 * its op order (split_adam.ts's adamUpdate spells it out).
 */
function updateLoop(width: Width): number[] {
  const [beta1, beta2, keep1, keep2, oneMinusAcc1, oneMinusAcc2, epsilon, minusRate] = Array
    .from({ length: 8 }, (_, k) => [GET, width.constant(k)]);
  const sum = width.locals, first = sum + 1, second = sum + 2;
  const { load, store, add, mul, div, sqrt } = width;
  const next = (local: number, by: number[]) => [GET, local, ...by, I32_ADD, SET, local];
  return [
    BLOCK,
    VOID,
    LOOP,
    VOID,
    ...[GET, AT, I32_CONST, width.bytes, I32_ADD, GET, BYTES, I32_GT_U, BR_IF, 1],
    // The gradient: slot 0, then slots 1.. added in rank order.
    ...[...address(GRADIENTS), ...load, SET, sum],
    ...[...address(GRADIENTS), GET, STRIDE, I32_ADD, SET, POINTER, I32_CONST, 1, SET, SLOT],
    ...[BLOCK, VOID, LOOP, VOID, GET, SLOT, GET, SLOTS, I32_GE_U, BR_IF, 1],
    ...[GET, sum, GET, POINTER, ...load, ...add, SET, sum],
    ...next(POINTER, [GET, STRIDE]),
    ...next(SLOT, [I32_CONST, 1]),
    ...[BR, 0, END, END],
    // m = m * beta1 + g * (1 - beta1)
    ...address(FIRST),
    ...[...address(FIRST), ...load, ...beta1, ...mul, GET, sum, ...keep1, ...mul, ...add],
    ...[TEE, first, ...store],
    // v = v * beta2 + g² * (1 - beta2)
    ...address(SECOND),
    ...[...address(SECOND), ...load, ...beta2, ...mul],
    ...[GET, sum, GET, sum, ...mul, ...keep2, ...mul, ...add, TEE, second, ...store],
    // w = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon) * -rate + w
    ...address(WEIGHTS),
    ...[GET, first, ...oneMinusAcc1, ...div],
    ...[GET, second, ...oneMinusAcc2, ...div, ...sqrt, ...epsilon, ...add, ...div],
    ...[...minusRate, ...mul, ...address(OLD), ...load, ...add, ...store],
    ...next(AT, [I32_CONST, width.bytes]),
    ...[BR, 0, END, END],
  ];
}

/**
 * The module's bytes: `adam(weights, first, second, gradients, stride, slots, count,
 * oldWeights, ...8 f32)`.
 */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const splat = Array.from(
    { length: 8 },
    (_, k) => [GET, CONSTANTS + k, ...F32X4_SPLAT, SET, VECTOR.constant(k)],
  ).flat();
  const code = [
    ...vector(LOCALS.map(([count, type]) => [...leb(count), type])),
    ...[GET, COUNT, I32_CONST, 2, I32_SHL, SET, BYTES],
    ...splat,
    ...updateLoop(VECTOR),
    ...updateLoop(SCALAR),
    END,
  ];
  // Shared memory must declare a maximum: the whole 32-bit space, so any exchange fits.
  const limits = shared ? [0x03, ...leb(1), ...leb(65536)] : [0x00, ...leb(1)];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[0x60, ...vector(PARAMS.map((t) => [t])), 0]])),
    ...section(2, vector([[...name("env"), ...name("memory"), 0x02, ...limits]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name("adam"), 0x00, 0]])),
    ...section(10, vector([[...leb(code.length), ...code]])),
  ]);
}

const modules = new Map<boolean, WebAssembly.Module>();

type AdamFunction = (...args: number[]) => void;

/** Adam's update on float32 arrays in one WebAssembly.Memory. */
export class WasmAdam {
  readonly #adam: AdamFunction;

  /** Compiles (once per kind of memory) and instantiates the kernel over `memory`. */
  constructor(readonly memory: WebAssembly.Memory) {
    const shared = memory.buffer instanceof SharedArrayBuffer;
    let module = modules.get(shared);
    if (!module) modules.set(shared, module = new WebAssembly.Module(moduleBytes(shared)));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.#adam = instance.exports.adam as AdamFunction;
  }

  /**
   * Sums `views.gradients` and takes Adam's step on the weights and moments in place.
   *
   * @example
   * ```ts
   * import { WasmAdam } from "./wasm_adam.ts";
   * const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
   * const [weights, m, v, g0, g1] = [0, 1, 2, 3, 4].map((k) => new Float32Array(memory.buffer, k * 64, 6));
   * weights.fill(1);
   * g0.fill(1);
   * g1.fill(1);
   * const step = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, accBeta1: 0.9, accBeta2: 0.999 };
   * new WasmAdam(memory).update({ weights, firstMoments: m, secondMoments: v, gradients: [g0, g1] }, step);
   * // The first step moves each weight by about the learning rate, against its gradient.
   * if (Math.abs(weights[5] - 0.9) > 1e-6) throw new Error(String(weights[5]));
   * ```
   */
  update(views: AdamViews, step: AdamStep): void {
    const { weights, firstMoments, secondMoments, gradients, oldWeights = weights } = views;
    const count = weights.length;
    if (gradients.length === 0) throw new RangeError("no gradients to add");
    for (const view of [weights, oldWeights, firstMoments, secondMoments, ...gradients]) {
      this.#check(view, count);
    }
    const stride = gradients.length > 1 ? gradients[1].byteOffset - gradients[0].byteOffset : 0;
    gradients.forEach((slot, r) => {
      if (slot.byteOffset !== gradients[0].byteOffset + r * stride) {
        throw new RangeError("the gradient slots must be equally spaced");
      }
    });
    const c = float32Constants(step);
    this.#adam(
      weights.byteOffset,
      firstMoments.byteOffset,
      secondMoments.byteOffset,
      gradients[0].byteOffset,
      stride,
      gradients.length,
      count,
      oldWeights.byteOffset,
      c.beta1,
      c.beta2,
      c.keep1,
      c.keep2,
      c.oneMinusAcc1,
      c.oneMinusAcc2,
      c.epsilon,
      c.minusRate,
    );
  }

  #check(view: Float32Array, count: number): void {
    if (view.buffer !== this.memory.buffer) throw new RangeError("a view outside the memory");
    if (view.length !== count) throw new RangeError(`${view.length} floats, not ${count}`);
  }
}
