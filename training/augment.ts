/**
 * Data augmentation for 28x28 digits on typed arrays (0..1 floats, ink = 1).
 *
 * The tutorial's torchvision recipe, plus stroke-thickness variation because
 * people's canvas strokes vary more than MNIST's pen. One geometric resampling
 * pass applies rotation, shift and elastic deformation together, so an image is
 * interpolated only once.
 *
 * @module
 */
import type { Random } from "./random.ts";

const SIDE = 28;
const PIXELS = SIDE * SIDE;

export interface AugmentOptions {
  rotationDegrees: number;
  shiftFraction: number;
  elasticAlpha: number;
  elasticSigma: number;
  /** Share of images that get the (costlier) elastic deformation. */
  elasticProbability: number;
  saltPepper: number;
  brightness: number;
  contrast: number;
  eraseProbability: number;
  eraseArea: [number, number];
  /** Chance of a thicker (dilated) and of a thinner (eroded) stroke. */
  thickenProbability: number;
  thinProbability: number;
}

/** The recipe: rotation 15, shift 10%, elastic (15, 3), s&p 1%, jitter 0.2, erase. */
export const DEFAULT_AUGMENT: AugmentOptions = {
  rotationDegrees: 15,
  shiftFraction: 0.1,
  elasticAlpha: 15,
  elasticSigma: 3,
  elasticProbability: 0.5,
  saltPepper: 0.01,
  brightness: 0.2,
  contrast: 0.2,
  eraseProbability: 0.2,
  eraseArea: [0.02, 0.1],
  thickenProbability: 0.25,
  thinProbability: 0.15,
};

/** A 1-D Gaussian kernel truncated at 3 sigma, summing to 1. */
export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.ceil(3 * sigma);
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  }
  return kernel.map((v) => v / sum);
}

/** Separable Gaussian blur of a 28x28 field with zero padding, like scipy's constant mode. */
function blur(field: Float32Array, kernel: Float32Array, scratch: Float32Array): void {
  const radius = (kernel.length - 1) / 2;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) {
        const xx = x + k;
        if (xx >= 0 && xx < SIDE) sum += field[y * SIDE + xx] * kernel[k + radius];
      }
      scratch[y * SIDE + x] = sum;
    }
  }
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) {
        const yy = y + k;
        if (yy >= 0 && yy < SIDE) sum += scratch[yy * SIDE + x] * kernel[k + radius];
      }
      field[y * SIDE + x] = sum;
    }
  }
}

/** Bilinear sample with zero outside the image. */
function sample(image: Float32Array, x: number, y: number): number {
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  const at = (xx: number, yy: number) =>
    xx >= 0 && xx < SIDE && yy >= 0 && yy < SIDE ? image[yy * SIDE + xx] : 0;
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) +
    (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

/** Grey-level dilation (thicker stroke) or erosion (thinner) with a plus-shaped element. */
export function morph(source: Float32Array, target: Float32Array, dilate: boolean): void {
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const i = y * SIDE + x;
      let value = source[i];
      const neighbours = [
        x > 0 ? source[i - 1] : 0,
        x < SIDE - 1 ? source[i + 1] : 0,
        y > 0 ? source[i - SIDE] : 0,
        y < SIDE - 1 ? source[i + SIDE] : 0,
      ];
      for (const n of neighbours) value = dilate ? Math.max(value, n) : Math.min(value, n);
      target[i] = value;
    }
  }
}

/**
 * The stroke-width step both augmenters share: with `thickenProbability` a thicker stroke,
 * with `thinProbability` a thinner one, kept only if it keeps more than `keepFraction` of the
 * ink (thinning a stroke away entirely would teach the model blank images). Returns `image` or
 * `work`, whichever holds the result.
 */
export function varyStrokeWidth(
  image: Float32Array,
  work: Float32Array,
  draw: number,
  odds: { thickenProbability: number; thinProbability: number },
  keepFraction: number,
): Float32Array {
  if (draw < odds.thickenProbability) {
    morph(image, work, true);
    return work;
  }
  if (draw < odds.thickenProbability + odds.thinProbability) {
    morph(image, work, false);
    const ink = (field: Float32Array) => field.reduce((sum, value) => sum + value, 0);
    if (ink(work) > keepFraction * ink(image)) return work;
  }
  return image;
}

/** Reusable buffers so a batch allocates nothing per image. */
export class Augmenter {
  readonly #kernel: Float32Array;
  readonly #dx = new Float32Array(PIXELS);
  readonly #dy = new Float32Array(PIXELS);
  readonly #scratch = new Float32Array(PIXELS);
  readonly #work = new Float32Array(PIXELS);
  readonly #work2 = new Float32Array(PIXELS);

  constructor(readonly random: Random, readonly options: AugmentOptions = DEFAULT_AUGMENT) {
    this.#kernel = gaussianKernel(options.elasticSigma);
  }

  /** Augments one image (`source`, 784 values in 0..1) into `target`. */
  augment(source: Float32Array, target: Float32Array): void {
    const { random, options } = this;
    const image = varyStrokeWidth(source, this.#work2, random.next(), options, 0.4);
    this.#resample(image, this.#work);
    this.#jitter(this.#work);
    this.#saltAndPepper(this.#work);
    this.#erase(this.#work);
    target.set(this.#work);
  }

  /** Rotation + shift + optional elastic field in one inverse-mapped bilinear pass. */
  #resample(source: Float32Array, target: Float32Array): void {
    const { random, options } = this;
    const angle = random.uniform(-1, 1) * options.rotationDegrees * Math.PI / 180;
    const shiftX = random.uniform(-1, 1) * options.shiftFraction * SIDE;
    const shiftY = random.uniform(-1, 1) * options.shiftFraction * SIDE;
    const elastic = random.next() < options.elasticProbability;
    if (elastic) {
      for (let i = 0; i < PIXELS; i++) {
        this.#dx[i] = random.uniform(-1, 1);
        this.#dy[i] = random.uniform(-1, 1);
      }
      blur(this.#dx, this.#kernel, this.#scratch);
      blur(this.#dy, this.#kernel, this.#scratch);
    }
    const cos = Math.cos(angle), sin = Math.sin(angle);
    const centre = (SIDE - 1) / 2;
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const i = y * SIDE + x;
        let px = x - centre - shiftX, py = y - centre - shiftY;
        if (elastic) {
          px += this.#dx[i] * options.elasticAlpha;
          py += this.#dy[i] * options.elasticAlpha;
        }
        // Inverse rotation: where in the source does this target pixel come from?
        const sx = cos * px + sin * py + centre;
        const sy = -sin * px + cos * py + centre;
        target[i] = sample(source, sx, sy);
      }
    }
  }

  /** Brightness and contrast, torchvision style: scale, then blend with the mean. */
  #jitter(image: Float32Array): void {
    const { random, options } = this;
    const brightness = 1 + random.uniform(-1, 1) * options.brightness;
    const contrast = 1 + random.uniform(-1, 1) * options.contrast;
    let mean = 0;
    for (let i = 0; i < PIXELS; i++) mean += image[i];
    mean = (mean / PIXELS) * brightness;
    for (let i = 0; i < PIXELS; i++) {
      const value = (image[i] * brightness - mean) * contrast + mean;
      image[i] = value < 0 ? 0 : value > 1 ? 1 : value;
    }
  }

  #saltAndPepper(image: Float32Array): void {
    const { random, options } = this;
    const flips = Math.round(PIXELS * options.saltPepper * random.uniform(0, 2));
    for (let n = 0; n < flips; n++) {
      image[Math.floor(random.next() * PIXELS)] = random.next() < 0.5 ? 0 : 1;
    }
  }

  /** Random erasing: a rectangle of 2-10% of the area, aspect 0.3-3.3, set to background. */
  #erase(image: Float32Array): void {
    const { random, options } = this;
    if (random.next() >= options.eraseProbability) return;
    const area = random.uniform(options.eraseArea[0], options.eraseArea[1]) * PIXELS;
    const aspect = Math.exp(random.uniform(Math.log(0.3), Math.log(3.3)));
    const h = Math.min(SIDE, Math.max(1, Math.round(Math.sqrt(area * aspect))));
    const w = Math.min(SIDE, Math.max(1, Math.round(Math.sqrt(area / aspect))));
    const top = Math.floor(random.next() * (SIDE - h + 1));
    const left = Math.floor(random.next() * (SIDE - w + 1));
    for (let y = top; y < top + h; y++) image.fill(0, y * SIDE + left, y * SIDE + left + w);
  }
}
