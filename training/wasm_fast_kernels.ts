/**
 * Faster replacements for wasm kernels that dominate a training step.
 *
 * Profiling a CNN step (batch 64) showed the wasm backend's transposed
 * BatchMatMul ~10x slower than transposing first, MaxPoolGrad at ~60 ms and a
 * Sum over leading axes (bias gradients) slower than a plain loop. Each
 * replacement handles the common case and defers to the built-in kernel otherwise.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { gemmBatchMatMul } from "./wasm_gemm.ts";

interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
}

interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: WasmBackend;
  attrs: tf.NamedAttrMap;
}

type Kernel = (args: KernelArgs) => tf.TensorInfo;

/**
 * XNNPACK packs a product's right operand (its "weights") whenever that tensor is new, and a
 * training step's operands are all new: the weights change every step. Packing a Dense
 * layer's 3136x128 weights costs more than the product at batch 32 (~5 ms vs ~2 ms here),
 * and every data-parallel worker pays it for its copy, however small its slice. When the
 * right operand is the larger one (more columns N than the result has rows M), this computes
 * C = A·B as (Bᵀ·Aᵀ)ᵀ instead: XNNPACK then packs Aᵀ (K x M, the batch's side) and reads
 * B as plain input, for two cheap transposes. The sums are the same products in another order
 * (float rounding). Measured per call here (CPU ms, load ~6, batch 32): dx = dy·Wᵀ of the
 * 3136x128 Dense 10-11 -> 2-3, its forward x·W 6-7 -> 4-6; at batch 64 x·W 7-8 -> 5-6.
 */
function packsRightOperand(m: number, n: number): boolean {
  return m >= n;
}

/**
 * Transposes the last two axes explicitly so BatchMatMul takes XNNPACK's fast path, and
 * multiplies in the orientation that packs the smaller operand (packsRightOperand).
 */
function batchMatMul(builtin: Kernel, transpose: Kernel): Kernel {
  return (args) => {
    const { a, b } = args.inputs;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend;
    const swapLast = (x: tf.TensorInfo) => {
      const perm = x.shape.map((_, i) => i);
      [perm[perm.length - 1], perm[perm.length - 2]] = [
        perm[perm.length - 2],
        perm[perm.length - 1],
      ];
      return transpose({ inputs: { x }, backend, attrs: { perm } });
    };
    const rows = (x: tf.TensorInfo, transposed: boolean) =>
      x.shape[x.shape.length - (transposed ? 1 : 2)];
    const single = (x: tf.TensorInfo) => x.shape.slice(0, -2).every((d) => d === 1);
    const m = rows(a, transposeA), n = b.shape[b.shape.length - (transposeB ? 2 : 1)];
    const flip = a.shape.length === b.shape.length && single(a) && single(b) &&
      !packsRightOperand(m, n);
    if (!flip && !transposeA && !transposeB) return builtin(args);
    const plain = { ...args.attrs, transposeA: false, transposeB: false };
    const made: tf.TensorInfo[] = [];
    const keep = (x: tf.TensorInfo) => (made.push(x), x);
    let out: tf.TensorInfo;
    if (flip) {
      // Cᵀ = Bᵀ·Aᵀ: a transposed input is already the operand this side needs.
      const bT = transposeB ? b : keep(swapLast(b));
      const aT = transposeA ? a : keep(swapLast(a));
      const product = keep(builtin({ inputs: { a: bT, b: aT }, backend, attrs: plain }));
      out = swapLast(product);
    } else {
      const aT = transposeA ? keep(swapLast(a)) : a;
      const bT = transposeB ? keep(swapLast(b)) : b;
      out = builtin({ inputs: { a: aT, b: bT }, backend, attrs: plain });
    }
    for (const info of made) backend.disposeData(info.dataId);
    return out;
  };
}

/** Routes each output gradient to the first maximum of its pooling window (NHWC), into dx. */
export function maxPoolGradValues(
  x: Float32Array,
  dy: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  dx: Float32Array = new Float32Array(
    info.batchSize * info.inHeight * info.inWidth * info.inChannels,
  ),
): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  // The wasm heap hands back reused memory.
  dx.fill(0);
  const halving = strideHeight === 2 && strideWidth === 2 && filterHeight === 2 &&
    filterWidth === 2 && top === 0 && left === 0;
  if (halving) {
    maxPool2x2Grad(x, dy, dx, info);
    return dx;
  }
  for (let b = 0; b < batchSize; b++) {
    const xBase = b * inHeight * inWidth * inChannels;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - top;
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - left;
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * inChannels;
        for (let c = 0; c < inChannels; c++) {
          let best = -1;
          let bestValue = -Infinity;
          for (let fh = 0; fh < filterHeight; fh++) {
            const h = h0 + fh;
            if (h < 0 || h >= inHeight) continue;
            for (let fw = 0; fw < filterWidth; fw++) {
              const w = w0 + fw;
              if (w < 0 || w >= inWidth) continue;
              const index = xBase + (h * inWidth + w) * inChannels + c;
              if (x[index] > bestValue) {
                bestValue = x[index];
                best = index;
              }
            }
          }
          if (best >= 0) dx[best] += dy[dyBase + c];
        }
      }
    }
  }
  return dx;
}

/** The common 2x2, stride 2, unpadded case without per-tap bounds checks. */
function maxPool2x2Grad(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const rowStride = inWidth * c;
  let g = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const p00 = ((b * inHeight + 2 * oh) * inWidth + 2 * ow) * c;
        for (let k = 0; k < c; k++, g++) {
          // First maximum in row-major window order, as the generic path picks.
          let best = p00 + k;
          if (x[p00 + c + k] > x[best]) best = p00 + c + k;
          if (x[p00 + rowStride + k] > x[best]) best = p00 + rowStride + k;
          if (x[p00 + rowStride + c + k] > x[best]) best = p00 + rowStride + c + k;
          dx[best] += dy[g];
        }
      }
    }
  }
}

function maxPoolGrad(builtin: Kernel): Kernel {
  return (args) => {
    const { dy, input } = args.inputs;
    const attrs = args.attrs as unknown as {
      filterSize: number | [number, number];
      strides: number | [number, number];
      pad: "valid" | "same" | number;
      dimRoundingMode?: "floor" | "round" | "ceil";
    };
    if (input.dtype !== "float32") return builtin(args);
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      attrs.filterSize,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const backend = args.backend;
    // Allocated before the views are taken (allocating may move the heap), and written in
    // place: no full-size JS array per call for the garbage collector.
    const out = backend.makeOutput(input.shape, "float32");
    maxPoolGradValues(
      backend.typedArrayFromHeap(input) as Float32Array,
      backend.typedArrayFromHeap(dy) as Float32Array,
      info,
      backend.typedArrayFromHeap(out) as Float32Array,
    );
    return out;
  };
}

/** Sums or averages over the leading axes (e.g. a bias gradient over N,H,W) in one pass. */
function reduceLeading(mean: boolean) {
  return (builtin: Kernel): Kernel => (args) => {
    const { x } = args.inputs;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length &&
      axes.every((a, i) => a === i);
    if (!leading || x.dtype !== "float32") return builtin(args);
    const rows = axes.reduce((n, a) => n * x.shape[a], 1);
    const keptShape = x.shape.slice(axes.length);
    const cols = keptShape.reduce((n, d) => n * d, 1);
    const values = args.backend.typedArrayFromHeap(x) as Float32Array;
    const totals = new Float64Array(cols);
    // Four rows per pass over the columns: each running total is read and written once per
    // four values (~1.5x faster in V8, as fast_batch_norm.ts's channel sums).
    const c1 = cols, c2 = 2 * cols, c3 = 3 * cols, end = rows - rows % 4;
    for (let r = 0; r < end; r += 4) {
      for (let j = r * cols; j < (r + 1) * cols; j++) {
        totals[j - r * cols] += (values[j] + values[j + c1]) + (values[j + c2] + values[j + c3]);
      }
    }
    for (let r = end; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) totals[c] += values[base + c];
    }
    if (mean) { for (let c = 0; c < cols; c++) totals[c] /= rows; }
    const shape = keepDims ? [...axes.map(() => 1), ...keptShape] : keptShape;
    const out = args.backend.makeOutput(shape, "float32");
    args.backend.typedArrayFromHeap(out).set(totals);
    return out;
  };
}

/**
 * Tile where only leading size-1 axes repeat, so the output is the input copied
 * end to end: what BatchNorm's gradient does to broadcast per-channel values.
 */
function tile(builtin: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs;
    const { reps } = args.attrs as { reps: number[] };
    const firstKept = reps.findIndex((r) => r === 1);
    const repeating = firstKept === -1 ? reps.length : firstKept;
    const contiguous = reps.every((r, i) => i < repeating ? x.shape[i] === 1 : r === 1);
    if (!contiguous || x.dtype !== "float32") return builtin(args);
    const block = (args.backend.typedArrayFromHeap(x) as Float32Array).slice();
    const shape = x.shape.map((d, i) => d * reps[i]);
    const out = args.backend.makeOutput(shape, "float32");
    const target = args.backend.typedArrayFromHeap(out) as Float32Array;
    target.set(block);
    // Doubling copies: log2(n) calls instead of n.
    for (let filled = block.length; filled < target.length; filled *= 2) {
      target.copyWithin(filled, 0, Math.min(filled, target.length - filled));
    }
    return out;
  };
}

/**
 * Identity (tf.clone) as a second reference to the same memory, as
 * tfjs's cpu backend and the wasm backend's own Reshape do, instead of the wasm backend's copy:
 * ~30 full-size copies a CNN step (the gradient tape and tfjs-layers clone), ~3% of its CPU.
 * No kernel writes into its inputs, and the backend frees the memory with its last reference.
 */
function identity(builtin: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs;
    if (x.dtype === "string") return builtin(args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

function replace(name: string, make: (builtin: Kernel) => Kernel): void {
  const builtin = tf.getKernel(name, "wasm")?.kernelFunc as unknown as Kernel | undefined;
  if (!builtin) throw new Error(`wasm backend lacks the ${name} kernel`);
  tf.unregisterKernel(name, "wasm");
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    kernelFunc: make(builtin) as unknown as tf.KernelFunc,
  });
}

let registered = false;

/** Swaps in the faster kernels (idempotent). */
export function registerWasmFastKernels(): void {
  if (registered) return;
  registered = true;
  const transpose = tf.getKernel("Transpose", "wasm")!.kernelFunc as unknown as Kernel;
  // One float32 product goes to wasm_gemm.ts's kernel (faster than XNNPACK at every product
  // shape of mlp, cnn, cnn-aug and draw: docs/training.md), with plain multiply-adds: the same
  // bits as XNNPACK's. Fused ones were faster still but moved cnn-aug's one-thread and
  // two-worker weights apart past train_workers_test.ts's tolerance. Batches of products go
  // to XNNPACK by way of batchMatMul's transposes.
  replace(
    "BatchMatMul",
    (builtin) => gemmBatchMatMul(batchMatMul(builtin, transpose), transpose, { fused: false }),
  );
  replace("MaxPoolGrad", maxPoolGrad);
  replace("Sum", reduceLeading(false));
  replace("Mean", reduceLeading(true));
  replace("Tile", tile);
  replace("Identity", identity);
}
