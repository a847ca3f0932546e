/**
 * Augmentation for drawn digits (the `draw` model): slant (shear), aspect ratio, rotation and
 * pen width, applied to a 28x28 field and then put through MNIST's recipe again (fit into
 * 20x20, centre of mass), because that is what the server does with whatever is drawn: a
 * squashed or slanted digit arrives re-fitted, never cut at an edge or off-centre.
 *
 * @module
 */
import { mnistField } from "../lib/preprocess.ts";
import { varyStrokeWidth } from "./augment.ts";
import type { Random } from "./random.ts";

const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** The warp draws onto a canvas this much larger, so nothing leaves it before the re-fit. */
const CANVAS = 56;

export interface DrawAugmentOptions {
  /** Share of images left as they are. */
  identityProbability: number;
  rotationDegrees: number;
  /** Horizontal shear (x += shear * y), both ways: slanted handwriting. */
  shear: number;
  /** log(width / height) change, both ways. */
  logAspect: number;
  /** Chance of a thicker (dilated) and of a thinner (eroded) stroke after the warp. */
  thickenProbability: number;
  thinProbability: number;
}

export const DEFAULT_DRAW_AUGMENT: DrawAugmentOptions = {
  identityProbability: 0.15,
  rotationDegrees: 12,
  shear: 0.35,
  logAspect: 0.3,
  thickenProbability: 0.15,
  thinProbability: 0.1,
};

/** What the training loop needs of an augmenter. */
export interface ImageAugmenter {
  augment(source: Float32Array, target: Float32Array): void;
}

/** Bilinear sample of a 28x28 field with zero outside. */
function sample(image: Float32Array, x: number, y: number): number {
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  const at = (xx: number, yy: number) =>
    xx >= 0 && xx < SIDE && yy >= 0 && yy < SIDE ? image[yy * SIDE + xx] : 0;
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) +
    (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

export class DrawAugmenter implements ImageAugmenter {
  readonly #canvas = new Uint8Array(CANVAS * CANVAS);
  readonly #work = new Float32Array(PIXELS);

  constructor(readonly random: Random, readonly options = DEFAULT_DRAW_AUGMENT) {}

  augment(source: Float32Array, target: Float32Array): void {
    const { random, options } = this;
    if (random.next() < options.identityProbability) {
      target.set(source);
      return;
    }
    const angle = random.uniform(-1, 1) * options.rotationDegrees * Math.PI / 180;
    const shear = random.uniform(-1, 1) * options.shear;
    const aspect = Math.exp(random.uniform(-1, 1) * options.logAspect);
    // Forward map (about the field's centre): scale x by sqrt(aspect), y by 1/sqrt(aspect),
    // shear, rotate. Invert it for sampling.
    const sx = Math.sqrt(aspect), sy = 1 / sx;
    const cos = Math.cos(angle), sin = Math.sin(angle);
    // M = R * Sh * S = [[a, b], [c, d]]
    const a = cos * sx, b = (cos * shear - sin) * sy;
    const c = sin * sx, d = (sin * shear + cos) * sy;
    const det = a * d - b * c;
    const ia = d / det, ib = -b / det, ic = -c / det, id = a / det;
    const centre = (SIDE - 1) / 2, canvasCentre = (CANVAS - 1) / 2;
    for (let y = 0; y < CANVAS; y++) {
      for (let x = 0; x < CANVAS; x++) {
        const px = x - canvasCentre, py = y - canvasCentre;
        const value = sample(source, ia * px + ib * py + centre, ic * px + id * py + centre);
        this.#canvas[y * CANVAS + x] = Math.round(Math.min(1, value) * 255);
      }
    }
    let field: Float32Array;
    try {
      field = mnistField({ width: CANVAS, height: CANVAS, channels: 1, data: this.#canvas });
    } catch {
      target.set(source); // a warp of a faint digit that left no ink: keep the original
      return;
    }
    field = varyStrokeWidth(field, this.#work, random.next(), options, 0.5);
    target.set(field);
  }
}
