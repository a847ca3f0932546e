/**
 * The bytes of wasm_gemm.ts's module: register-blocked matrix products C = A·B over float32
 * arrays in a WebAssembly.Memory the module imports, assembled here (there is no wasm compiler
 * on this machine; wasm_adam.ts is built the same way).
 *
 * Each function computes a region of C in blocks of `rows` x `vectors` x 4 values kept in
 * registers while k runs over the shared dimension: per k it loads the B row's `vectors`
 * four-float pieces once and each A value of the block once (splatted to four lanes), and adds
 * every product into its accumulator. With `fused` the multiply-add is `f32x4.relaxed_madd`
 * (relaxed SIMD), which V8 compiles to one fused multiply-add (vfmadd) on an x64 CPU with FMA;
 * without it, f32x4.mul then f32x4.add. The scalar functions do the last columns of a row
 * that are fewer than four.
 *
 * @module
 */

const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
const BLOCK = 0x02, LOOP = 0x03, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, VOID = 0x40;
const GET = 0x20, SET = 0x21, TEE = 0x22;
const I32_CONST = 0x41, F32_CONST = 0x43;
const I32_NE = 0x47, I32_GE_U = 0x4f, I32_ADD = 0x6a, I32_MUL = 0x6c;
const F32_LOAD = 0x2a, F32_STORE = 0x38, F32_ADD = 0x92, F32_MUL = 0x94;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00], V128_LOAD32_SPLAT = [SIMD, 0x09], V128_STORE = [SIMD, 0x0b];
const V128_CONST = [SIMD, 0x0c];
const F32X4_ADD = [SIMD, 0xe4, 0x01], F32X4_MUL = [SIMD, 0xe6, 0x01];
/** relaxed_madd(a, b, c) = a·b + c, fused or not as the engine chooses (relaxed SIMD). */
const F32X4_RELAXED_MADD = [SIMD, 0x85, 0x02];

/** Unsigned LEB128 (sizes, indices, offsets). */
export function leb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vector = (items: number[][]) => [...leb(items.length), ...items.flat()];
const name = (text: string) => vector([...new TextEncoder().encode(text)].map((b) => [b]));

/** A function of a module: its parameter and local types and its code (without the end). */
export interface WasmFunction {
  name: string;
  params: number[];
  locals: number[];
  code: number[];
}

/** A module importing `env.memory` (unshared) and exporting `functions` by name. */
export function wasmModule(functions: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), 0]);
  const bodies = functions.map((f) => {
    const body = [...vector(f.locals.map((type) => [1, type])), ...f.code, END];
    return [...leb(body.length), ...body];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector([[...name("env"), ...name("memory"), 0x02, 0x00, ...leb(1)]])),
    ...section(3, vector(functions.map((_, i) => leb(i)))),
    ...section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...leb(i)]))),
    ...section(10, vector(bodies)),
  ]);
}

/** The SIMD instructions a kernel is written with, so a benchmark can use the same. */
export const simd = {
  V128,
  GET,
  SET,
  TEE,
  I32_CONST,
  I32_ADD,
  I32_NE,
  BLOCK,
  LOOP,
  END,
  BR_IF,
  VOID,
  zero: [...V128_CONST, ...new Array(16).fill(0)],
  add: F32X4_ADD,
  mul: F32X4_MUL,
  madd: F32X4_RELAXED_MADD,
  store: (offset: number) => [...V128_STORE, 2, ...leb(offset)],
  splat: (bits: number[]) => [...V128_CONST, ...bits, ...bits, ...bits, ...bits],
};

/** Whether this engine accepts relaxed SIMD's f32x4.relaxed_madd. */
export function relaxedMaddValid(): boolean {
  return WebAssembly.validate(wasmModule([{
    name: "madd",
    params: [V128, V128, V128],
    locals: [],
    code: [GET, 0, GET, 1, GET, 2, ...F32X4_RELAXED_MADD, 0x1a],
  }]));
}

/**
 * The parameters of every product function, by index: A, B and C's byte addresses; C's rows
 * and its columns' bytes (the region's, a whole number of blocks); the shared dimension;
 * A's row and column strides, B's row stride and C's row stride, in bytes (B's and C's
 * columns are contiguous).
 */
const [A, B, C, ROWS, COL_BYTES, DEPTH, A_ROW, A_COL, B_ROW, C_ROW] = [
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  9,
];
const PARAMS = new Array(10).fill(I32);
const [ROW, COL, PA, PB, END_A, PC] = [10, 11, 12, 13, 14, 15];

/** A block shape: `rows` x `vectors` accumulators, each of `lanes` floats (4, or 1: scalar). */
export interface BlockShape {
  rows: number;
  vectors: number;
  lanes: 4 | 1;
  /** A's rows are adjacent floats (A transposed): its values are read at constant offsets. */
  adjacent?: boolean;
}

/** The exported name of the function for `shape`. */
export const blockName = (shape: BlockShape) =>
  `${shape.lanes === 4 ? "v" : "s"}${shape.rows}x${shape.vectors}${shape.adjacent ? "t" : ""}`;

function productFunction(shape: BlockShape, fused: boolean): WasmFunction {
  const { rows, vectors, lanes } = shape;
  const wide = lanes === 4;
  const type = wide ? V128 : F32;
  const bytes = 4 * lanes;
  // Locals after the fixed ones: A's and C's row offsets (rows 1..), then the accumulators,
  // the B pieces and the A value.
  const aRow = (r: number) => 16 + r - 1;
  const cRow = (r: number) => 16 + rows - 1 + r - 1;
  const first = 16 + 2 * (rows - 1);
  const acc = (r: number, v: number) => first + r * vectors + v;
  const bPiece = (v: number) => first + rows * vectors + v;
  const aValue = first + rows * vectors + vectors;
  const locals = [
    ...new Array(6 + 2 * (rows - 1)).fill(I32),
    ...new Array(rows * vectors + vectors + 1).fill(type),
  ];
  const memarg = (offset: number) => [2, ...leb(offset)];
  const load = (offset: number) =>
    wide ? [...V128_LOAD, ...memarg(offset)] : [F32_LOAD, ...memarg(offset)];
  const store = (offset: number) =>
    wide ? [...V128_STORE, ...memarg(offset)] : [F32_STORE, ...memarg(offset)];
  const splatLoad = (offset: number) =>
    wide ? [...V128_LOAD32_SPLAT, ...memarg(offset)] : [F32_LOAD, ...memarg(offset)];
  const aLoad = (r: number) =>
    shape.adjacent || r === 0
      ? [GET, PA, ...splatLoad(shape.adjacent ? 4 * r : 0)]
      : [GET, PA, GET, aRow(r), I32_ADD, ...splatLoad(0)];
  const zero = wide ? simd.zero : [F32_CONST, 0, 0, 0, 0];
  const multiplyAdd = (r: number, v: number) =>
    wide && fused
      ? [GET, aValue, GET, bPiece(v), GET, acc(r, v), ...F32X4_RELAXED_MADD, SET, acc(r, v)]
      : [
        ...[GET, aValue, GET, bPiece(v), ...(wide ? F32X4_MUL : [F32_MUL])],
        ...[GET, acc(r, v), ...(wide ? F32X4_ADD : [F32_ADD]), SET, acc(r, v)],
      ];
  const rowAddress = (base: number, row: (r: number) => number, r: number) =>
    r === 0 ? [GET, base] : [GET, base, GET, row(r), I32_ADD];
  const times = (n: number, body: (i: number) => number[]) =>
    Array.from({ length: n }, (_, i) => body(i)).flat();
  const eachBlock = (r: number) => times(vectors, (v) => body(r, v));
  const body = (r: number, v: number) => multiplyAdd(r, v);
  const kStep = [
    ...times(vectors, (v) => [GET, PB, ...load(v * bytes), SET, bPiece(v)]),
    ...times(rows, (r) => [...aLoad(r), SET, aValue, ...eachBlock(r)]),
    ...[GET, PA, GET, A_COL, I32_ADD, TEE, PA, GET, PB, GET, B_ROW, I32_ADD, SET, PB],
  ];
  const code = [
    ...times(rows - 1, (i) => [GET, A_ROW, I32_CONST, ...sleb(i + 1), I32_MUL, SET, aRow(i + 1)]),
    ...times(rows - 1, (i) => [GET, C_ROW, I32_CONST, ...sleb(i + 1), I32_MUL, SET, cRow(i + 1)]),
    ...[I32_CONST, 0, SET, COL],
    ...[BLOCK, VOID, LOOP, VOID, GET, COL, GET, COL_BYTES, I32_GE_U, BR_IF, 1],
    ...[I32_CONST, 0, SET, ROW],
    ...[BLOCK, VOID, LOOP, VOID, GET, ROW, GET, ROWS, I32_GE_U, BR_IF, 1],
    ...[GET, A, GET, ROW, GET, A_ROW, I32_MUL, I32_ADD, TEE, PA],
    ...[GET, DEPTH, GET, A_COL, I32_MUL, I32_ADD, SET, END_A],
    ...[GET, B, GET, COL, I32_ADD, SET, PB],
    ...times(rows * vectors, (i) => [...zero, SET, first + i]),
    ...[LOOP, VOID, ...kStep, GET, END_A, I32_NE, BR_IF, 0, END],
    ...[GET, C, GET, ROW, GET, C_ROW, I32_MUL, I32_ADD, GET, COL, I32_ADD, SET, PC],
    ...times(
      rows,
      (r) =>
        times(vectors, (v) => [...rowAddress(PC, cRow, r), GET, acc(r, v), ...store(v * bytes)]),
    ),
    ...[GET, ROW, I32_CONST, ...sleb(rows), I32_ADD, SET, ROW, BR, 0, END, END],
    ...[GET, COL, I32_CONST, ...sleb(vectors * bytes), I32_ADD, SET, COL, BR, 0, END, END],
  ];
  return { name: blockName(shape), params: PARAMS, locals, code };
}

/** Signed LEB128 (i32.const's immediate), for the small positive constants used here. */
function sleb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

/** The module with one product function per shape in `shapes`. */
export function gemmModuleBytes(shapes: BlockShape[], fused: boolean): Uint8Array<ArrayBuffer> {
  return wasmModule(shapes.map((shape) => productFunction(shape, fused)));
}
