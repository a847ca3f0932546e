/**
 * Probabilities that mean what they say: temperature scaling (Guo et al., 2017) and the
 * expected calibration error that measures it. Training fits the temperature on the held-out
 * writers and stores it in the model's metadata; the server applies it to every answer.
 *
 * Pure TypeScript on typed arrays.
 *
 * @module
 */

const CLASSES = 10;

/**
 * softmax(logits / T) computed from the model's probabilities: log p differs from the logits
 * by a constant per row, so p^(1/T) renormalised is the same thing, and the server needs no
 * second output from the model.
 *
 * @example
 * ```ts
 * import { temperatureScale } from "./calibration.ts";
 * const p = temperatureScale([0.9, 0.1], 2); // [0.75, 0.25]
 * ```
 */
export function temperatureScale(probabilities: ArrayLike<number>, temperature: number): number[] {
  const out = new Array<number>(probabilities.length);
  if (temperature === 1) {
    for (let i = 0; i < out.length; i++) out[i] = probabilities[i];
    return out;
  }
  const top = Math.max(...Array.from(probabilities));
  let sum = 0;
  for (let i = 0; i < out.length; i++) {
    // Divided by the top first, so a small temperature cannot overflow.
    sum += out[i] = Math.pow(probabilities[i] / top, 1 / temperature);
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** softmax(logits / T) for every row of `logits` ([rows, 10], row-major). */
export function softmaxRows(
  logits: Float32Array,
  temperature = 1,
  classes = CLASSES,
): Float32Array {
  const out = new Float32Array(logits.length);
  for (let row = 0; row < logits.length / classes; row++) {
    let top = -Infinity;
    for (let c = 0; c < classes; c++) top = Math.max(top, logits[row * classes + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      sum += out[row * classes + c] = Math.exp((logits[row * classes + c] - top) / temperature);
    }
    for (let c = 0; c < classes; c++) out[row * classes + c] /= sum;
  }
  return out;
}

/**
 * Expected calibration error: answers binned by their top probability (equal-width bins);
 * the mean gap between confidence and accuracy per bin, weighted by the bin's share.
 */
export function expectedCalibrationError(
  probabilities: Float32Array,
  labels: ArrayLike<number>,
  bins = 15,
  classes = CLASSES,
): number {
  const count = new Float64Array(bins), confidence = new Float64Array(bins);
  const correct = new Float64Array(bins);
  const rows = probabilities.length / classes;
  for (let row = 0; row < rows; row++) {
    let top = 0;
    for (let c = 1; c < classes; c++) {
      if (probabilities[row * classes + c] > probabilities[row * classes + top]) top = c;
    }
    const p = probabilities[row * classes + top];
    const bin = Math.min(bins - 1, Math.floor(p * bins));
    count[bin]++;
    confidence[bin] += p;
    correct[bin] += Number(top === labels[row]);
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b] > 0) ece += Math.abs(confidence[b] - correct[b]) / rows;
  }
  return ece;
}

/** Mean negative log-likelihood of the labels under softmax(logits / T). */
export function negativeLogLikelihood(
  logits: Float32Array,
  labels: ArrayLike<number>,
  temperature: number,
  classes = CLASSES,
): number {
  const p = softmaxRows(logits, temperature, classes);
  let nll = 0;
  for (let row = 0; row < labels.length; row++) {
    nll -= Math.log(Math.max(1e-12, p[row * classes + labels[row]]));
  }
  return nll / labels.length;
}

/** The temperature with the least negative log-likelihood, by golden-section search on log T. */
export function fitTemperature(
  logits: Float32Array,
  labels: ArrayLike<number>,
  range: [number, number] = [0.05, 20],
): number {
  const phi = (Math.sqrt(5) - 1) / 2;
  let low = Math.log(range[0]), high = Math.log(range[1]);
  const loss = (logT: number) => negativeLogLikelihood(logits, labels, Math.exp(logT));
  let a = high - phi * (high - low), b = low + phi * (high - low);
  let la = loss(a), lb = loss(b);
  for (let step = 0; step < 60; step++) {
    if (la < lb) {
      high = b, b = a, lb = la;
      a = high - phi * (high - low);
      la = loss(a);
    } else {
      low = a, a = b, la = lb;
      b = low + phi * (high - low);
      lb = loss(b);
    }
  }
  return Math.exp((low + high) / 2);
}
