/**
 * Training-mode BatchNormalization in one pass forward and one pass back.
 *
 * tfjs-layers builds training-mode BatchNorm from moments + FusedBatchNorm, and
 * its gradient from a dozen full-size ops (Tile, Mean, Sub, Mul, ...): about a
 * third of the augmented CNN's step on wasm. Here the forward pass and the
 * closed-form gradient run as two kernels over the typed arrays. The layer is a
 * subclass keeping the class name, weights and inference path of tfjs's own, so
 * checkpoints and the ONNX export see an ordinary BatchNormalization.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { currentShard } from "./batch_shard.ts";

const FORWARD = "DigitlabBatchNormTrain";
const BACKWARD = "DigitlabBatchNormTrainGrad";

interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
}

interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: WasmBackend;
  attrs: { epsilon: number };
}

/**
 * The loops below take four rows (positions) per pass over the channels: a channel's
 * coefficients and running sums are read and written once per four values instead of once per
 * value, which made each pass ~1.5-2x faster in V8 (a throwaway probe, [64,28,28,32]).
 */
const ROWS_PER_PASS = 4;

/** Per channel (channels last), in float64: the sum of `a` and the sum of `a * b`. */
function channelSums(a: Float32Array, b: Float32Array, channels: number) {
  const sum = new Float64Array(channels), sumOfProducts = new Float64Array(channels);
  const c1 = channels, c2 = 2 * channels, c3 = 3 * channels;
  const end = a.length - a.length % (ROWS_PER_PASS * channels);
  for (let i = 0; i < end; i += ROWS_PER_PASS * channels) {
    for (let j = i; j < i + channels; j++) {
      const a0 = a[j], a1 = a[j + c1], a2 = a[j + c2], a3 = a[j + c3];
      sum[j - i] += (a0 + a1) + (a2 + a3);
      sumOfProducts[j - i] += (a0 * b[j] + a1 * b[j + c1]) + (a2 * b[j + c2] + a3 * b[j + c3]);
    }
  }
  for (let i = end; i < a.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      sum[c] += a[i + c];
      sumOfProducts[c] += a[i + c] * b[i + c];
    }
  }
  return { sum, sumOfProducts };
}

/** out = x * scale[c] + shift[c] per channel. */
function scaleAndShift(
  x: Float32Array,
  scale: Float32Array,
  shift: Float32Array,
  out: Float32Array,
) {
  const channels = scale.length, c1 = channels, c2 = 2 * channels, c3 = 3 * channels;
  const end = x.length - x.length % (ROWS_PER_PASS * channels);
  for (let i = 0; i < end; i += ROWS_PER_PASS * channels) {
    for (let j = i; j < i + channels; j++) {
      const a = scale[j - i], o = shift[j - i];
      out[j] = x[j] * a + o;
      out[j + c1] = x[j + c1] * a + o;
      out[j + c2] = x[j + c2] * a + o;
      out[j + c3] = x[j + c3] * a + o;
    }
  }
  for (let i = end; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = x[i + c] * scale[c] + shift[c];
  }
}

/** out = a[c] * u + b[c] * v + offset[c] per channel. */
function affineOfTwo(
  u: Float32Array,
  a: Float32Array,
  v: Float32Array,
  b: Float32Array,
  offset: Float32Array,
  out: Float32Array,
): void {
  const channels = a.length, c1 = channels, c2 = 2 * channels, c3 = 3 * channels;
  const end = u.length - u.length % (ROWS_PER_PASS * channels);
  for (let i = 0; i < end; i += ROWS_PER_PASS * channels) {
    for (let j = i; j < i + channels; j++) {
      const ac = a[j - i], bc = b[j - i], o = offset[j - i];
      out[j] = ac * u[j] + bc * v[j] + o;
      out[j + c1] = ac * u[j + c1] + bc * v[j + c1] + o;
      out[j + c2] = ac * u[j + c2] + bc * v[j + c2] + o;
      out[j + c3] = ac * u[j + c3] + bc * v[j + c3] + o;
    }
  }
  for (let i = end; i < u.length; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = a[c] * u[i + c] + b[c] * v[i + c] + offset[c];
  }
}

/** Sums over the whole mini-batch when this thread has only a slice of it (batch_shard.ts). */
type SumOverBatch = (values: Float64Array) => Float64Array;

/** Per-channel sums and the row count, summed over the whole batch. */
function batchSums(
  sums: { sum: Float64Array; sumOfProducts: Float64Array },
  rows: number,
  sumOverBatch?: SumOverBatch,
): { sum: Float64Array; sumOfProducts: Float64Array; rows: number } {
  if (!sumOverBatch) return { ...sums, rows };
  const channels = sums.sum.length;
  const packed = new Float64Array(2 * channels + 1);
  packed.set(sums.sum);
  packed.set(sums.sumOfProducts, channels);
  packed[2 * channels] = rows;
  const total = sumOverBatch(packed);
  return {
    sum: total.subarray(0, channels),
    sumOfProducts: total.subarray(channels, 2 * channels),
    rows: total[2 * channels],
  };
}

/** Per-channel batch statistics and the normalised output, channels last. */
export function batchNormForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  sumOverBatch?: SumOverBatch,
  y: Float32Array = new Float32Array(x.length),
): { y: Float32Array; mean: Float32Array; variance: Float32Array } {
  const channels = gamma.length;
  // Float64 sums keep E[x^2] - E[x]^2 accurate in a single pass.
  const { sum, sumOfProducts: sumSq, rows } = batchSums(
    channelSums(x, x, channels),
    x.length / channels,
    sumOverBatch,
  );
  const mean = Float32Array.from(sum, (s) => s / rows);
  // Biased variance, as tfjs's moments() gives.
  const variance = Float32Array.from(sumSq, (s, c) => Math.max(0, s / rows - mean[c] * mean[c]));
  const scale = Float32Array.from(variance, (v, c) => gamma[c] / Math.sqrt(v + epsilon));
  const shift = Float32Array.from(beta, (b, c) => b - mean[c] * scale[c]);
  scaleAndShift(x, scale, shift, y);
  return { y, mean, variance };
}

/**
 * Gradients with the batch statistics depending on x:
 * dx = gamma * invstd / n * (n*dy - sum(dy) - xhat * sum(dy*xhat)),
 * which per channel is the affine form dx = a*dy + b*x + c. With a slice of the batch, dx
 * uses the whole batch's sums but dGamma and dBeta are this slice's share (the workers'
 * gradients are added up afterwards).
 */
export function batchNormBackward(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  epsilon: number,
  sumOverBatch?: SumOverBatch,
  dx: Float32Array = new Float32Array(x.length),
): { dx: Float32Array; dGamma: Float32Array; dBeta: Float32Array } {
  const channels = gamma.length;
  const local = channelSums(dy, x, channels);
  const { sum: sumDy, sumOfProducts: sumDyX, rows } = batchSums(
    local,
    x.length / channels,
    sumOverBatch,
  );
  const a = new Float32Array(channels), b = new Float32Array(channels);
  const offset = new Float32Array(channels), dGamma = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const invStd = 1 / Math.sqrt(variance[c] + epsilon);
    const batchDGamma = (sumDyX[c] - mean[c] * sumDy[c]) * invStd; // sum(dy * xhat)
    dGamma[c] = (local.sumOfProducts[c] - mean[c] * local.sum[c]) * invStd;
    a[c] = gamma[c] * invStd;
    b[c] = -a[c] * invStd * batchDGamma / rows;
    offset[c] = -a[c] * sumDy[c] / rows - b[c] * mean[c];
  }
  affineOfTwo(dy, a, x, b, offset, dx);
  return { dx, dGamma, dBeta: Float32Array.from(local.sum) };
}

/**
 * Registers a wasm kernel computed in JS: `compute` reads its inputs as heap views, writes the
 * full-size output straight into its heap view and returns the two per-channel ones. The
 * full-size output is allocated before any view is taken (allocating may move the heap), so
 * no full-size JS array is made and copied per call. Outputs shaped like input `x` or per
 * channel, as BatchNorm's are.
 */
function registerTypedArrayKernel(
  name: string,
  compute: (
    read: (input: string) => Float32Array,
    epsilon: number,
    full: Float32Array,
  ) => [Float32Array, Float32Array],
): void {
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    kernelFunc: (({ inputs, backend, attrs }: KernelArgs) => {
      const fullInfo = backend.makeOutput(inputs.x.shape, "float32");
      const read = (input: string) => backend.typedArrayFromHeap(inputs[input]) as Float32Array;
      const full = backend.typedArrayFromHeap(fullInfo) as Float32Array;
      const perChannel = compute(read, attrs.epsilon, full);
      return [
        fullInfo,
        ...perChannel.map((values) => {
          const info = backend.makeOutput([inputs.gamma.shape[0]], "float32");
          backend.typedArrayFromHeap(info).set(values);
          return info;
        }),
      ];
    }) as unknown as tf.KernelFunc,
  });
}

function registerKernels(): void {
  if (tf.getKernel(FORWARD, "wasm")) return;
  registerTypedArrayKernel(FORWARD, (read, epsilon, y) => {
    const { mean, variance } = batchNormForward(
      read("x"),
      read("gamma"),
      read("beta"),
      epsilon,
      currentShard()?.sumOverBatch,
      y,
    );
    return [mean, variance];
  });
  registerTypedArrayKernel(BACKWARD, (read, epsilon, dx) => {
    const { dGamma, dBeta } = batchNormBackward(
      read("dy"),
      read("x"),
      read("gamma"),
      read("mean"),
      read("variance"),
      epsilon,
      currentShard()?.sumOverBatch,
      dx,
    );
    return [dGamma, dBeta];
  });
}

/** The private fields of tfjs's BatchNormalization that training needs. */
interface BatchNormFields {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type BatchNormArgs = Parameters<typeof tf.layers.batchNormalization>[0];
type Kwargs = Record<string, unknown>;
// tfjs exports only a factory; its class is the prototype of what the factory makes.
const BatchNormalization = tf.layers.batchNormalization({}).constructor as {
  new (args?: BatchNormArgs): tf.layers.Layer;
};

/** Moves a moving average towards `value` like tfjs: avg -= (avg - value) * (1 - momentum). */
function updateAverage(variable: tf.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const current = variable.read();
    variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - momentum)));
  });
}

class FastBatchNormalization extends BatchNormalization {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BatchNormFields;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const channelsLast = self.axis === -1 || self.axis === x.rank - 1;
    const fast = kwargs["training"] === true && tf.getBackend() === "wasm" && channelsLast &&
      self.center && self.scale && x.dtype === "float32";
    if (!fast) return super.call(inputs, kwargs);
    registerKernels();
    return tf.tidy(() => {
      const epsilon = self.epsilon;
      let mean: tf.Tensor | undefined, variance: tf.Tensor | undefined;
      const normalise = tf.customGrad(
        ((input: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
          const [y, batchMean, batchVariance] = tf.engine().runKernel(
            FORWARD,
            { x: input, gamma, beta },
            { epsilon },
          ) as tf.Tensor[];
          // Kept past customGrad's scope for the moving averages; disposed below.
          mean = tf.keep(batchMean);
          variance = tf.keep(batchVariance);
          save([input, gamma, batchMean, batchVariance]);
          return {
            value: y,
            gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
              const [savedX, savedGamma, savedMean, savedVariance] = saved;
              return tf.engine().runKernel(BACKWARD, {
                dy,
                x: savedX,
                gamma: savedGamma,
                mean: savedMean,
                variance: savedVariance,
              }, { epsilon }) as tf.Tensor[];
            },
          };
        }) as unknown as Parameters<typeof tf.customGrad>[0],
      );
      const y = normalise(x, self.gamma.read(), self.beta.read());
      updateAverage(self.movingMean, mean!, self.momentum);
      updateAverage(self.movingVariance, variance!, self.momentum);
      mean!.dispose();
      variance!.dispose();
      return y;
    });
  }
}

/** A drop-in for `tf.layers.batchNormalization` that trains faster on wasm. */
export function fastBatchNormalization(args?: BatchNormArgs): tf.layers.Layer {
  return new FastBatchNormalization(args);
}
