import assert from "node:assert/strict";
import { Augmenter, DEFAULT_AUGMENT, gaussianKernel, morph } from "./augment.ts";
import { Random } from "./random.ts";

/** A vertical bar: a "1". */
function bar(): Float32Array {
  const image = new Float32Array(784);
  for (let y = 6; y < 22; y++) image[y * 28 + 13] = image[y * 28 + 14] = 1;
  return image;
}

const sum = (image: Float32Array) => image.reduce((a, b) => a + b, 0);

Deno.test("gaussianKernel sums to one and is symmetric", () => {
  const kernel = gaussianKernel(3);
  assert(Math.abs(sum(kernel) - 1) < 1e-5);
  assert(kernel.length === 19 && kernel[0] === kernel[18]);
});

Deno.test("morph thickens and thins a stroke", () => {
  const thick = new Float32Array(784), thin = new Float32Array(784);
  morph(bar(), thick, true);
  morph(bar(), thin, false);
  assert(sum(thick) > sum(bar()) * 1.5, "dilation should add ink");
  assert(sum(thin) < sum(bar()), "erosion should remove ink");
});

Deno.test("augment keeps values in range, keeps most ink, and varies", () => {
  const augmenter = new Augmenter(new Random(1));
  const outputs: Float32Array[] = [];
  for (let n = 0; n < 200; n++) {
    const out = new Float32Array(784);
    augmenter.augment(bar(), out);
    assert(out.every((v) => v >= 0 && v <= 1), "values outside 0..1");
    outputs.push(out);
  }
  const inkRatios = outputs.map((o) => sum(o) / sum(bar())).sort((a, b) => a - b);
  const median = inkRatios[100];
  assert(median > 0.6 && median < 2, `median ink ratio ${median}`);
  const distinct = new Set(outputs.map((o) => o.join(","))).size;
  assert(distinct === outputs.length, "augmentations repeat");
});

Deno.test("augment with everything off returns the image unchanged", () => {
  const off = {
    ...DEFAULT_AUGMENT,
    rotationDegrees: 0,
    shiftFraction: 0,
    elasticProbability: 0,
    saltPepper: 0,
    brightness: 0,
    contrast: 0,
    eraseProbability: 0,
    thickenProbability: 0,
    thinProbability: 0,
  };
  const out = new Float32Array(784);
  new Augmenter(new Random(2), off).augment(bar(), out);
  const diff = out.reduce((m, v, i) => Math.max(m, Math.abs(v - bar()[i])), 0);
  assert(diff < 1e-6, `changed by ${diff}`);
});
