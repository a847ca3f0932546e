/**
 * Convolution gradient kernels for tfjs's wasm backend.
 *
 * The wasm backend ships no `Conv2DBackpropFilter` kernel and a slow
 * `Conv2DBackpropInput`, so a CNN cannot train on it as is. Both gradients are
 * ordinary convolutions of re-arranged tensors, so we compose them from kernels
 * wasm does have (Transpose, PadV2, Conv2D), which run in XNNPACK.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

type TensorInfo = tf.TensorInfo;
type KernelArgs = {
  inputs: Record<string, TensorInfo>;
  backend: Backend;
  attrs: tf.NamedAttrMap;
};
type Backend = tf.KernelBackend & {
  disposeData(dataId: object): boolean;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): tf.backend_util.TypedArray;
};
type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

/** Runs another kernel registered for the same backend, by name. */
function run(
  name: string,
  backend: Backend,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
): TensorInfo {
  const kernel = tf.getKernel(name, "wasm");
  if (!kernel) throw new Error(`wasm backend lacks the ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as TensorInfo;
}

/** Frees intermediate results that never reach the engine's bookkeeping. */
function dispose(backend: Backend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

function pairOf(value: number | [number, number]): [number, number] {
  return typeof value === "number" ? [value, value] : value;
}

interface ConvGradAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: ConvGradAttrs,
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat === "NCHW") throw new Error("wasm conv gradients support NHWC only");
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

/**
 * Stride 1 (every layer of ours) takes im2col: the patches as one [kh*kw*ci, positions] matrix
 * and one matrix product with dy, the same multiply-adds as the forward convolution. The
 * transposed convolution below does the same sum, but as a convolution with a huge filter
 * (dy) and a tiny output, which XNNPACK runs at about half the speed. The patches are built
 * from x with its channels first ([ci, b, h, w]), so each row is shifted copies of whole
 * image rows: contiguous reads and writes. Above this many patch values the matrix would
 * cost more memory than it saves time.
 */
const IM2COL_MAX_VALUES = 1 << 24;

/** patches[(fh,fw,c), (b,oh,ow)] = x[b, oh+fh-top, ow+fw-left, c], zero outside the image. */
export function stridedOnePatches(
  channelsFirst: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  patches: Float32Array,
): void {
  const { batchSize, inHeight: h, inWidth: w, inChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const planes = inChannels * batchSize;
  const inPlane = h * w, outPlane = outHeight * outWidth;
  patches.fill(0);
  for (let fh = 0; fh < filterHeight; fh++) {
    const dh = fh - top;
    const ohStart = Math.max(0, -dh), ohEnd = Math.min(outHeight, h - dh);
    for (let fw = 0; fw < filterWidth; fw++) {
      const dw = fw - left;
      const owStart = Math.max(0, -dw), owEnd = Math.min(outWidth, w - dw);
      const block = (fh * filterWidth + fw) * planes * outPlane;
      for (let q = 0; q < planes; q++) {
        const source = q * inPlane + dw, target = block + q * outPlane;
        for (let oh = ohStart; oh < ohEnd; oh++) {
          const from = source + (oh + dh) * w, to = target + oh * outWidth;
          for (let ow = owStart; ow < owEnd; ow++) patches[to + ow] = channelsFirst[from + ow];
        }
      }
    }
  }
}

function filterGradientByIm2col(
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  backend: Backend,
): TensorInfo {
  const { batchSize, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth } = info;
  const rows = filterHeight * filterWidth * inChannels;
  const positions = batchSize * outHeight * outWidth;
  const channelsFirst = run("Transpose", backend, { x }, { perm: [3, 0, 1, 2] });
  const a = backend.makeOutput([1, rows, positions], "float32");
  stridedOnePatches(
    backend.typedArrayFromHeap(channelsFirst) as Float32Array,
    info,
    backend.typedArrayFromHeap(a) as Float32Array,
  );
  const b = run("Reshape", backend, { x: dy }, { shape: [1, positions, outChannels] });
  const product = run("BatchMatMul", backend, { a, b }, { transposeA: false, transposeB: false });
  const dW = run("Reshape", backend, { x: product }, {
    shape: [filterHeight, filterWidth, inChannels, outChannels],
  });
  dispose(backend, channelsFirst, a, b, product);
  return dW;
}

/**
 * dW[kh,kw,ci,co] = sum over (b,oh,ow) of x[b, oh*s+kh-pt, ow*s+kw-pl, ci] * dy[b,oh,ow,co].
 * Treating ci as the batch and b as the channel turns this into one convolution of
 * the padded input with dy as the filter, dilated by the forward stride.
 */
export function conv2DBackpropFilter(
  args: KernelArgs,
): TensorInfo {
  const { x, dy } = args.inputs;
  const attrs = args.attrs as unknown as ConvGradAttrs & { filterShape: number[] };
  const { backend } = args;
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  const [strideH, strideW] = pairOf(attrs.strides as number | [number, number]);
  const { top, bottom, left, right } = info.padInfo;
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const patchValues = kh * kw * info.inChannels * info.batchSize * info.outHeight * info.outWidth;
  if (strideH === 1 && strideW === 1 && patchValues <= IM2COL_MAX_VALUES) {
    return filterGradientByIm2col(x, dy, info, backend);
  }
  const [, h, w] = x.shape;
  // Pad so that a valid convolution yields exactly kh x kw outputs, cropping any
  // rows the forward pass never reached (negative bottom/right padding).
  const needH = (info.outHeight - 1) * strideH + kh;
  const needW = (info.outWidth - 1) * strideW + kw;
  const padBottom = needH - h - top;
  const padRight = needW - w - left;
  let source = x;
  const owned: TensorInfo[] = [];
  if (padBottom < 0 || padRight < 0) {
    source = run("Slice", backend, { x }, {
      begin: [0, 0, 0, 0],
      size: [-1, Math.min(h, h + padBottom), Math.min(w, w + padRight), -1],
    });
    owned.push(source);
  }
  let padded = source;
  if (top || bottom || left || right || padBottom > 0 || padRight > 0) {
    const paddings: ExplicitPad = [[0, 0], [top, Math.max(0, padBottom)], [
      left,
      Math.max(0, padRight),
    ], [0, 0]];
    padded = run("PadV2", backend, { x: source }, { paddings, constantValue: 0 });
    owned.push(padded);
  }
  const xT = run("Transpose", backend, { x: padded }, { perm: [3, 1, 2, 0] }); // [ci,H,W,B]
  const dyT = run("Transpose", backend, { x: dy }, { perm: [1, 2, 0, 3] }); // [OH,OW,B,co]
  const conv = run("Conv2D", backend, { x: xT, filter: dyT }, {
    strides: 1,
    pad: "valid",
    dataFormat: "NHWC",
    dilations: [strideH, strideW],
  }); // [ci,kh,kw,co]
  const dW = run("Transpose", backend, { x: conv }, { perm: [1, 2, 0, 3] });
  dispose(backend, ...owned, xT, dyT, conv);
  return dW;
}

/**
 * dx is the "full" convolution of dy with the filter rotated 180 degrees and its
 * channels swapped. Stride 1 only (all our models); larger strides fall back to
 * the backend's own kernel.
 */
export function conv2DBackpropInput(
  args: KernelArgs,
  fallback?: tf.KernelFunc,
): TensorInfo {
  const { dy, filter } = args.inputs;
  const attrs = args.attrs as unknown as ConvGradAttrs & { inputShape: number[] };
  const { backend } = args;
  const [strideH, strideW] = pairOf(attrs.strides as number | [number, number]);
  if ((strideH !== 1 || strideW !== 1) && fallback) return fallback(args) as TensorInfo;
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [, h, w] = attrs.inputShape;
  const padTop = kh - 1 - info.padInfo.top;
  const padLeft = kw - 1 - info.padInfo.left;
  const padBottom = h + kh - 1 - info.outHeight - padTop;
  const padRight = w + kw - 1 - info.outWidth - padLeft;
  const paddings: ExplicitPad = [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]];
  // XNNPACK pads implicitly, without a padded copy of dy; a negative pad (a crop) needs PadV2.
  const implicit = paddings.every(([before, after]) => before >= 0 && after >= 0);
  const padded = implicit ? dy : run("PadV2", backend, { x: dy }, { paddings, constantValue: 0 });
  const [, , inChannels, outChannels] = filter.shape;
  const swapped = backend.makeOutput([kh, kw, outChannels, inChannels], "float32");
  rotatedFilter(
    backend.typedArrayFromHeap(filter) as Float32Array,
    filter.shape as [number, number, number, number],
    backend.typedArrayFromHeap(swapped) as Float32Array,
  );
  const dx = run("Conv2D", backend, { x: padded, filter: swapped }, {
    strides: 1,
    pad: implicit ? paddings : "valid",
    dataFormat: "NHWC",
    dilations: 1,
  });
  dispose(backend, swapped, ...(implicit ? [] : [padded]));
  return dx;
}

/**
 * The filter turned 180 degrees with its channels swapped, [kh,kw,ci,co] -> [kh,kw,co,ci]:
 * tfjs's Reverse then Transpose in one pass. The wasm backend's Reverse took ~0.7 ms for a
 * 3x3x64x64 filter (index arithmetic per element), a fixed cost every data-parallel worker
 * paid per layer per step whatever its slice.
 */
export function rotatedFilter(
  filter: Float32Array,
  [kh, kw, inChannels, outChannels]: [number, number, number, number],
  target: Float32Array,
): void {
  const taps = kh * kw, block = inChannels * outChannels;
  for (let tap = 0; tap < taps; tap++) {
    const from = (taps - 1 - tap) * block, to = tap * block;
    for (let c = 0; c < inChannels; c++) {
      for (let o = 0; o < outChannels; o++) {
        target[to + o * inChannels + c] = filter[from + c * outChannels + o];
      }
    }
  }
}

let registered = false;

/** Registers both gradient kernels for the wasm backend (idempotent). */
export function registerWasmConvGradients(): void {
  if (registered) return;
  registered = true;
  const builtinInput = tf.getKernel("Conv2DBackpropInput", "wasm")?.kernelFunc;
  if (tf.getKernel("Conv2DBackpropInput", "wasm")) {
    tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  }
  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) {
    tf.unregisterKernel("Conv2DBackpropFilter", "wasm");
  }
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: "Conv2DBackpropInput",
    backendName: "wasm",
    kernelFunc: ((args: Parameters<typeof conv2DBackpropInput>[0]) =>
      conv2DBackpropInput(args, builtinInput)) as unknown as tf.KernelFunc,
  });
}
