/**
 * C = A·B in wasm SIMD, register-blocked, on float32 matrices in one WebAssembly.Memory
 * (tfjs's wasm heap in training): wasm_gemm_module.ts's functions, each over the part of C its
 * block shape fits.
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

/** One operand's place in the memory: byte address and strides in floats. */
export interface MatrixView {
  address: number;
  /** Floats from one row to the next. */
  rowStride: number;
  /** Floats from one column to the next (B and C: 1). */
  colStride: number;
}

/** The product's sizes: C is rows x cols, over `depth` (A's columns, B's rows). */
export interface ProductSize {
  rows: number;
  cols: number;
  depth: number;
}

export interface GemmOptions {
  /** The block: `rows` rows of C by `vectors` x 4 columns in registers. Default 6 x 2 (the fastest of 4x2, 5x2, 6x2, 4x3, 3x3, 2x4 here: bench/gemm_speed.ts). */
  rows?: number;
  vectors?: number;
  /** Fused multiply-add (relaxed SIMD). Default: when the engine accepts it. */
  fused?: boolean;
  /** Functions for an A whose rows are adjacent (rowStride 1). */
  adjacent?: boolean;
}

type Product = (
  a: number,
  b: number,
  c: number,
  rows: number,
  colBytes: number,
  depth: number,
  aRow: number,
  aCol: number,
  bRow: number,
  cRow: number,
) => void;

/** The shapes with distinct names (a 1-row or 1-vector block is also a tail's shape). */
const dedupe = (shapes: BlockShape[]) => [
  ...new Map(shapes.map((shape) => [blockName(shape), shape])).values(),
];

const modules = new Map<string, WebAssembly.Module>();

/** Matrix products over one memory. */
export class WasmGemm {
  readonly fused: boolean;
  readonly rows: number;
  readonly vectors: number;
  readonly adjacent: boolean;
  readonly #functions: Map<string, Product>;

  constructor(readonly memory: WebAssembly.Memory, options: GemmOptions = {}) {
    this.fused = options.fused ?? (Deno.env.get("GEMM_FUSED") !== "0" && relaxedMaddValid());
    this.rows = options.rows ?? 6;
    this.vectors = options.vectors ?? 2;
    this.adjacent = options.adjacent ?? false;
    const shapes: BlockShape[] = dedupe([
      { rows: this.rows, vectors: this.vectors, lanes: 4, adjacent: this.adjacent },
      { rows: 1, vectors: this.vectors, lanes: 4 },
      { rows: this.rows, vectors: 1, lanes: 4, adjacent: this.adjacent },
      { rows: 1, vectors: 1, lanes: 4 },
      { rows: 1, vectors: 1, lanes: 1 },
    ]);
    const key = `${this.rows}x${this.vectors}${this.fused ? "f" : ""}${this.adjacent ? "t" : ""}`;
    let module = modules.get(key);
    if (!module) {
      modules.set(key, module = new WebAssembly.Module(gemmModuleBytes(shapes, this.fused)));
    }
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.#functions = new Map(
      shapes.map((shape) => [blockName(shape), instance.exports[blockName(shape)] as Product]),
    );
  }

  /**
   * C = A·B. B's and C's columns must be contiguous (colStride 1); A's may be either way, so
   * A can be a transposed matrix (rowStride 1, colStride its row length).
   */
  multiply(a: MatrixView, b: MatrixView, c: MatrixView, size: ProductSize): void {
    if (b.colStride !== 1 || c.colStride !== 1) {
      throw new RangeError("B and C need columns of stride 1");
    }
    const { rows, cols, depth } = size;
    if (rows === 0 || cols === 0) return;
    if (depth === 0) throw new RangeError("an empty shared dimension");
    const run = (
      shape: BlockShape,
      row: number,
      rowCount: number,
      col: number,
      colCount: number,
    ) => {
      if (rowCount === 0 || colCount === 0) return;
      this.#functions.get(blockName(shape))!(
        a.address + 4 * row * a.rowStride,
        b.address + 4 * col,
        c.address + 4 * (row * c.rowStride + col),
        rowCount,
        4 * colCount,
        depth,
        4 * a.rowStride,
        4 * a.colStride,
        4 * b.rowStride,
        4 * c.rowStride,
      );
    };
    const block = 4 * this.vectors;
    const wideCols = cols - cols % block, blockRows = rows - rows % this.rows;
    const quadCols = cols - cols % 4;
    run(
      { rows: this.rows, vectors: this.vectors, lanes: 4, adjacent: this.adjacent },
      0,
      blockRows,
      0,
      wideCols,
    );
    run({ rows: 1, vectors: this.vectors, lanes: 4 }, blockRows, rows - blockRows, 0, wideCols);
    run(
      { rows: this.rows, vectors: 1, lanes: 4, adjacent: this.adjacent },
      0,
      blockRows,
      wideCols,
      quadCols - wideCols,
    );
    run(
      { rows: 1, vectors: 1, lanes: 4 },
      blockRows,
      rows - blockRows,
      wideCols,
      quadCols - wideCols,
    );
    run({ rows: 1, vectors: 1, lanes: 1 }, 0, rows, quadCols, cols - quadCols);
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
 * the backend's heap; anything else goes to `fallback`. A transposed B is transposed first
 * (the kernels read B's rows), a transposed A is read in place.
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
    let plainB = b;
    if (transposeB) {
      const perm = b.shape.map((_, i) => i);
      perm.splice(-2, 2, perm.length - 1, perm.length - 2);
      plainB = transpose({ inputs: { x: b }, backend, attrs: { perm } });
    }
    const out = backend.makeOutput([...a.shape.slice(0, -2), m, n], "float32");
    gemm ??= new WasmGemm(heapOf(backend), options);
    const address = (x: tf.TensorInfo) => backend.typedArrayFromHeap(x).byteOffset;
    gemm.multiply(
      { address: address(a), rowStride: transposeA ? 1 : k, colStride: transposeA ? m : 1 },
      { address: address(plainB), rowStride: n, colStride: 1 },
      { address: address(out), rowStride: n, colStride: 1 },
      { rows: m, cols: n, depth: k },
    );
    if (plainB !== b) backend.disposeData(plainB.dataId);
    return out;
  };
  // What it defers to, for a benchmark to compare (bench/gemm_step.ts).
  return Object.assign(kernel, { fallback });
}
