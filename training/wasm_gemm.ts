/**
 * C = A·B in wasm SIMD, register-blocked, on float32 matrices in one WebAssembly.Memory, and
 * tfjs's BatchMatMul on its wasm heap through it (gemmBatchMatMul, which training registers:
 * wasm_fast_kernels.ts). XNNPACK, behind tfjs's kernel, packs its right operand anew for every
 * new tensor, and a training step's are all new: it ran the mlp's products at 30-37% of this
 * core's wasm SIMD peak, this kernel at ~50% (docs/training.md).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  blockName,
  type BlockShape,
  gemmModuleBytes,
  relaxedMaddValid,
} from "./wasm_gemm_module.ts";

/** A row-major matrix in the memory: its byte address and the floats from one row to the next. */
export interface MatrixView {
  address: number;
  rowStride: number;
}

/** The product's sizes: C is rows x cols, over `depth` (A's columns, B's rows). */
export interface ProductSize {
  rows: number;
  cols: number;
  depth: number;
}

export interface GemmOptions {
  /**
   * The block: `rows` rows of C by `vectors` x 4 columns in registers. Default 4 x 2, the
   * fastest here (bench/gemm_speed.ts; 6x2 and 4x3 need more than x64's 16 SIMD registers,
   * 2x4 and 3x3 were slower too).
   */
  rows?: number;
  vectors?: number;
  /** Fused multiply-add (relaxed SIMD). Default: when the engine accepts it. */
  fused?: boolean;
  /**
   * How many k a pass takes (default 128, of 128-512 the fastest here): a pass's B panel
   * (k x 8 floats) then stays in the L1 cache for all of A's rows, where a whole k of 12544
   * (cnn's filter gradient) did not.
   */
  depthBlock?: number;
}

type Product = (
  a: number,
  b: number,
  c: number,
  rows: number,
  colBytes: number,
  depth: number,
  aRow: number,
  bRow: number,
  cRow: number,
  addToC: number,
) => void;

const modules = new Map<string, WebAssembly.Module>();

/** Matrix products over one memory. */
export class WasmGemm {
  readonly fused: boolean;
  readonly depthBlock: number;
  readonly #functions = new Map<string, Product>();
  /** The block shapes, widest first, and the column tails' (one vector, then scalars). */
  readonly #shapes: { block: BlockShape; rowTail: BlockShape }[];

  constructor(readonly memory: WebAssembly.Memory, options: GemmOptions = {}) {
    this.fused = options.fused ?? relaxedMaddValid();
    this.depthBlock = options.depthBlock ?? 128;
    const { rows = 4, vectors = 2 } = options;
    this.#shapes = [vectors, 1].map((v) => ({
      block: { rows, vectors: v, lanes: 4 },
      rowTail: { rows: 1, vectors: v, lanes: 4 },
    }));
    const scalar: BlockShape = { rows: 1, vectors: 1, lanes: 1 };
    this.#shapes.push({ block: scalar, rowTail: scalar });
    const shapes = [
      ...new Map(
        this.#shapes.flatMap(({ block, rowTail }) => [block, rowTail]).map((
          s,
        ) => [blockName(s), s]),
      ).values(),
    ];
    const key = `${rows}x${vectors}${this.fused ? " fused" : ""}`;
    let module = modules.get(key);
    if (!module) {
      modules.set(key, module = new WebAssembly.Module(gemmModuleBytes(shapes, this.fused)));
    }
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    for (const shape of shapes) {
      this.#functions.set(blockName(shape), instance.exports[blockName(shape)] as Product);
    }
  }

  /**
   * C = A·B, each row-major. C's columns are done in blocks of the widest shape that fits,
   * each block's rows in groups of `rows` and then one by one.
   *
   * @example
   * ```ts
   * import { WasmGemm } from "./wasm_gemm.ts";
   * const memory = new WebAssembly.Memory({ initial: 1 });
   * const heap = new Float32Array(memory.buffer);
   * heap.set([1, 2, 3, 4], 0); // A = [[1, 2], [3, 4]]
   * heap.set([5, 6, 7, 8], 4); // B = [[5, 6], [7, 8]]
   * new WasmGemm(memory).multiply(
   *   { address: 0, rowStride: 2 },
   *   { address: 16, rowStride: 2 },
   *   { address: 32, rowStride: 2 },
   *   { rows: 2, cols: 2, depth: 2 },
   * );
   * if (heap.subarray(8, 12).join() !== "19,22,43,50") throw new Error(heap.join());
   * ```
   */
  multiply(a: MatrixView, b: MatrixView, c: MatrixView, size: ProductSize): void {
    const { rows, cols, depth } = size;
    if (rows === 0 || cols === 0) return;
    if (depth === 0) throw new RangeError("an empty shared dimension");
    for (let k = 0; k < depth; k += this.depthBlock) {
      this.#part(a.address + 4 * k, b.address + 4 * k * b.rowStride, k > 0, {
        a,
        b,
        c,
        size: { rows, cols, depth: Math.min(this.depthBlock, depth - k) },
      });
    }
  }

  /** One part of k: A's columns and B's rows from the given addresses, added to C after the first. */
  #part(
    aAddress: number,
    bAddress: number,
    addToC: boolean,
    { a, b, c, size }: { a: MatrixView; b: MatrixView; c: MatrixView; size: ProductSize },
  ): void {
    const { rows, cols, depth } = size;
    let col = 0;
    for (const { block, rowTail } of this.#shapes) {
      const width = block.vectors * block.lanes;
      const count = Math.floor((cols - col) / width) * width;
      if (count === 0) continue;
      const grouped = rows - rows % block.rows;
      const run = (shape: BlockShape, row: number, rowCount: number) => {
        if (rowCount === 0) return;
        this.#functions.get(blockName(shape))!(
          aAddress + 4 * row * a.rowStride,
          bAddress + 4 * col,
          c.address + 4 * (row * c.rowStride + col),
          rowCount,
          4 * count,
          depth,
          4 * a.rowStride,
          4 * b.rowStride,
          4 * c.rowStride,
          addToC ? 1 : 0,
        );
      };
      run(block, 0, grouped);
      run(rowTail, grouped, rows - grouped);
      col += count;
    }
  }
}

/** What this needs of tfjs's wasm backend (backend_wasm.ts), besides its heap (heapOf). */
interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
  disposeData(dataId: object): boolean;
}

interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: WasmBackend;
  attrs: tf.NamedAttrMap;
}

/** The backend's wasm memory, as heap_adam.ts reaches it. */
const heapOf = (backend: tf.KernelBackend) =>
  (backend as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory;

export type Kernel = (args: KernelArgs) => tf.TensorInfo;

/**
 * BatchMatMul for one product (every leading axis 1) of float32 matrices through WasmGemm on
 * the backend's heap; anything else (a batch of products) goes to `fallback`.
 */
export function gemmBatchMatMul(
  fallback: Kernel,
  transpose: Kernel,
  options: GemmOptions = {},
): Kernel & { fallback: Kernel } {
  let gemm: WasmGemm | undefined;
  const kernel: Kernel = (args) => {
    const { a, b } = args.inputs;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const single = (x: tf.TensorInfo) => x.shape.slice(0, -2).every((d) => d === 1);
    const [ar, ac] = a.shape.slice(-2), [br, bc] = b.shape.slice(-2);
    const m = transposeA ? ac : ar, k = transposeA ? ar : ac, n = transposeB ? br : bc;
    if (
      a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length !== b.shape.length ||
      !single(a) || !single(b) || m * n === 0
    ) return fallback(args);
    const backend = args.backend;
    if (k === 0) {
      // tfjs's kernel leaves such a product's memory as it found it: a sum of no terms is 0.
      const zeros = backend.makeOutput([...a.shape.slice(0, -2), m, n], "float32");
      backend.typedArrayFromHeap(zeros).fill(0);
      return zeros;
    }
    // The kernels read rows: a transposed operand is transposed back (a cheap pass next to
    // the product's k times as many multiply-adds).
    const rowMajor = (x: tf.TensorInfo, transposed: boolean) => {
      if (!transposed) return x;
      const perm = x.shape.map((_, i) => i);
      perm.splice(-2, 2, perm.length - 1, perm.length - 2);
      return transpose({ inputs: { x }, backend, attrs: { perm } });
    };
    const plainA = rowMajor(a, transposeA), plainB = rowMajor(b, transposeB);
    const out = backend.makeOutput([...a.shape.slice(0, -2), m, n], "float32");
    const heap = heapOf(backend);
    if (gemm?.memory !== heap) gemm = new WasmGemm(heap, options);
    const address = (x: tf.TensorInfo) => backend.typedArrayFromHeap(x).byteOffset;
    gemm.multiply(
      { address: address(plainA), rowStride: k },
      { address: address(plainB), rowStride: n },
      { address: address(out), rowStride: n },
      { rows: m, cols: n, depth: k },
    );
    for (const made of [plainA, plainB]) {
      if (made !== a && made !== b) backend.disposeData(made.dataId);
    }
    return out;
  };
  // What it defers to, for a benchmark to compare (bench/gemm_step.ts).
  return Object.assign(kernel, { fallback });
}
