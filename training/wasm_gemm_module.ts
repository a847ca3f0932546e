/**
 * The bytes of wasm_gemm.ts's module: register-blocked matrix products C = A·B over float32
 * arrays in a WebAssembly.Memory the module imports, assembled here (there is no wasm compiler
 * on this machine; wasm_adam.ts is built the same way).
 *
 * Each function computes a region of C in blocks of `rows` x `vectors` x 4 values kept in
 * registers while k runs over the shared dimension, four k at a time: it loads four values of
 * each of the block's A rows as one v128, and per k the B row's `vectors` four-float pieces,
 * splats each A value from its lane and adds its products with the B pieces into the
 * accumulators (then k's last 1-3 one at a time). Fewer loads matter here: each wasm load is
 * bounds-checked (V8's --no-wasm-bounds-checks made the kernel ~20% faster). With `fused` the multiply-add is `f32x4.relaxed_madd`
 * (relaxed SIMD), which V8 compiles to one fused multiply-add (vfmadd) on an x64 CPU with FMA;
 * without it, f32x4.mul then f32x4.add. The scalar functions do the last columns of a row
 * that are fewer than four.
 *
 * @module
 */
import { leb, name, section, sleb, vector } from "./wasm_bytes.ts";

const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
const BLOCK = 0x02,
  LOOP = 0x03,
  IF = 0x04,
  ELSE = 0x05,
  END = 0x0b,
  BR = 0x0c,
  BR_IF = 0x0d,
  VOID = 0x40;
const GET = 0x20, SET = 0x21, TEE = 0x22;
const I32_CONST = 0x41, F32_CONST = 0x43;
const I32_EQ = 0x46, I32_NE = 0x47, I32_GE_U = 0x4f, I32_ADD = 0x6a, I32_MUL = 0x6c;
const I32_AND = 0x71;
const F32_LOAD = 0x2a, F32_STORE = 0x38, F32_ADD = 0x92, F32_MUL = 0x94;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00], V128_LOAD32_SPLAT = [SIMD, 0x09], V128_STORE = [SIMD, 0x0b];
const V128_CONST = [SIMD, 0x0c];
const F32X4_ADD = [SIMD, 0xe4, 0x01], F32X4_MUL = [SIMD, 0xe6, 0x01];
/** relaxed_madd(a, b, c) = a·b + c, fused or not as the engine chooses (relaxed SIMD). */
const F32X4_RELAXED_MADD = [SIMD, 0x85, 0x02];

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
 * and its columns' bytes (the region's, a whole number of blocks); the shared dimension; A's,
 * B's and C's row strides in bytes (each matrix row-major, its columns adjacent floats); and
 * whether to add to C's values (a later part of the shared dimension) rather than replace them.
 */
const [A, B, C, ROWS, COL_BYTES, DEPTH, A_ROW, B_ROW, C_ROW, ADD_TO_C] = Array.from(
  { length: 10 },
  (_, i) => i,
);
const PARAMS = new Array(10).fill(I32);
const [ROW, COL, PA, PB, END_A, PC] = [10, 11, 12, 13, 14, 15];

/** A block shape: `rows` x `vectors` accumulators, each of `lanes` floats (4, or 1: scalar). */
export interface BlockShape {
  rows: number;
  vectors: number;
  lanes: 4 | 1;
}

/** The exported name of the function for `shape`. */
export const blockName = (shape: BlockShape) =>
  `${shape.lanes === 4 ? "v" : "s"}${shape.rows}x${shape.vectors}`;

const I8X16_SHUFFLE = [SIMD, 0x0d];
/** i8x16.shuffle's immediate that splats 32-bit lane `lane` of its first operand. */
const laneSplat = (lane: number) => Array.from({ length: 16 }, (_, i) => 4 * lane + (i % 4));

function productFunction(shape: BlockShape, fused: boolean): WasmFunction {
  const { rows, vectors, lanes } = shape;
  const wide = lanes === 4;
  const type = wide ? V128 : F32;
  const bytes = 4 * lanes;
  // Locals after the fixed ones, numbered in order of declaration.
  const locals: number[] = [I32, I32, I32, I32, I32, I32];
  const declare = (count: number, localType: number) => {
    const at = PARAMS.length + locals.length;
    locals.push(...new Array(count).fill(localType));
    return at;
  };
  const aRows = declare(rows - 1, I32), cRows = declare(rows - 1, I32);
  const aRow = (r: number) => aRows + r - 1, cRow = (r: number) => cRows + r - 1;
  const [END_QUADS, B_ROW2, B_ROW3, B_ROW4] = [0, 1, 2, 3].map(() => declare(1, I32));
  const first = declare(rows * vectors, type);
  const acc = (r: number, v: number) => first + r * vectors + v;
  const bPieces = declare(vectors, type);
  const bPiece = (v: number) => bPieces + v;
  const aValue = declare(1, type);
  const aQuads = declare(wide ? rows : 0, V128);
  const memarg = (offset: number) => [2, ...leb(offset)];
  const load = (offset: number) =>
    wide ? [...V128_LOAD, ...memarg(offset)] : [F32_LOAD, ...memarg(offset)];
  const store = (offset: number) =>
    wide ? [...V128_STORE, ...memarg(offset)] : [F32_STORE, ...memarg(offset)];
  const splatLoad = wide ? [...V128_LOAD32_SPLAT, ...memarg(0)] : [F32_LOAD, ...memarg(0)];
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
  const loadB = (bRow: number[]) =>
    times(vectors, (v) => [...bRow, ...load(v * bytes), SET, bPiece(v)]);
  const addRow = (r: number) => times(vectors, (v) => multiplyAdd(r, v));
  /** `while (local != end) { body }` */
  const whileNot = (local: number, end: number, body: number[]) => [
    ...[BLOCK, VOID, LOOP, VOID, GET, local, GET, end, I32_EQ, BR_IF, 1],
    ...body,
    ...[BR, 0, END, END],
  ];
  const kStep = [
    ...loadB([GET, PB]),
    ...times(rows, (r) => [...rowAddress(PA, aRow, r), ...splatLoad, SET, aValue, ...addRow(r)]),
    ...[GET, PA, I32_CONST, 4, I32_ADD, SET, PA, GET, PB, GET, B_ROW, I32_ADD, SET, PB],
  ];
  /** The address of B's row k + t, for the four k of a quad step. */
  const bRowAt = (t: number) =>
    t === 0 ? [GET, PB] : [GET, PB, GET, [B_ROW, B_ROW2, B_ROW3][t - 1], I32_ADD];
  const quadStep = [
    ...times(rows, (r) => [...rowAddress(PA, aRow, r), ...load(0), SET, aQuads + r]),
    ...times(4, (t) => [
      ...loadB(bRowAt(t)),
      ...times(rows, (r) => [
        ...[GET, aQuads + r, GET, aQuads + r, ...I8X16_SHUFFLE, ...laneSplat(t), SET, aValue],
        ...addRow(r),
      ]),
    ]),
    ...[GET, PA, I32_CONST, 16, I32_ADD, SET, PA, GET, PB, GET, B_ROW4, I32_ADD, SET, PB],
  ];
  const code = [
    ...times(rows - 1, (i) => [GET, A_ROW, I32_CONST, ...sleb(i + 1), I32_MUL, SET, aRow(i + 1)]),
    ...times(rows - 1, (i) => [GET, C_ROW, I32_CONST, ...sleb(i + 1), I32_MUL, SET, cRow(i + 1)]),
    ...[2, 3, 4].flatMap((f, i) => [GET, B_ROW, I32_CONST, f, I32_MUL, SET, B_ROW2 + i]),
    ...[I32_CONST, 0, SET, COL],
    ...[BLOCK, VOID, LOOP, VOID, GET, COL, GET, COL_BYTES, I32_GE_U, BR_IF, 1],
    ...[I32_CONST, 0, SET, ROW],
    ...[BLOCK, VOID, LOOP, VOID, GET, ROW, GET, ROWS, I32_GE_U, BR_IF, 1],
    ...[GET, A, GET, ROW, GET, A_ROW, I32_MUL, I32_ADD, SET, PA],
    ...[GET, PA, GET, DEPTH, I32_CONST, 4, I32_MUL, I32_ADD, SET, END_A],
    // SIMD: the first DEPTH - DEPTH % 4 values of each A row four at a time, then one by one.
    ...[GET, PA, GET, DEPTH, I32_CONST, 0x7c, I32_AND, I32_CONST, 4, I32_MUL, I32_ADD],
    ...[SET, END_QUADS],
    ...[GET, B, GET, COL, I32_ADD, SET, PB],
    ...[GET, C, GET, ROW, GET, C_ROW, I32_MUL, I32_ADD, GET, COL, I32_ADD, SET, PC],
    // The sums start at 0, or go on from C's: each float32 value is the accumulator's exactly,
    // so a product done in parts of k adds in the same order, to the same bits.
    ...[GET, ADD_TO_C, IF, VOID],
    ...times(
      rows,
      (r) =>
        times(vectors, (v) => [...rowAddress(PC, cRow, r), ...load(v * bytes), SET, acc(r, v)]),
    ),
    ELSE,
    ...times(rows * vectors, (i) => [...zero, SET, first + i]),
    END,
    ...(wide ? whileNot(PA, END_QUADS, quadStep) : []),
    ...whileNot(PA, END_A, kStep),
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

/** The module with one product function per shape in `shapes`. */
export function gemmModuleBytes(shapes: BlockShape[], fused: boolean): Uint8Array<ArrayBuffer> {
  return wasmModule(shapes.map((shape) => productFunction(shape, fused)));
}
