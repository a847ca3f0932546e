import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { groupDigits } from "./digit_groups.ts";
import { DigitlabError } from "./errors.ts";
import { inkComponents } from "./ink_components.ts";
import { numberCandidates, readNumber } from "./number_segmentation.ts";
import { strokeLabels } from "./stroke_labels.ts";

const W = 200, H = 100;

/** A grey image (white ink on black, one channel) with `rects` [x, y, w, h] filled. */
function picture(rects: [number, number, number, number][], width = W, height = H) {
  const data = new Uint8Array(width * height);
  for (const [x0, y0, w, h] of rects) {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) data[y * width + x] = 255;
  }
  return { width, height, channels: 1 as const, data };
}

const plane = (image: ReturnType<typeof picture>) => ({
  width: image.width,
  height: image.height,
  ink: image.data,
});

/** Probabilities that read every candidate as `digit` with `confidence`. */
function reading(count: number, pick: (candidate: number) => [number, number]): Float32Array {
  const out = new Float32Array(count * 10);
  for (let c = 0; c < count; c++) {
    const [digit, confidence] = pick(c);
    out.fill((1 - confidence) / 9, c * 10, c * 10 + 10);
    out[c * 10 + digit] = confidence;
  }
  return out;
}

Deno.test("inkComponents labels 8-connected runs, diagonals included, and measures them", () => {
  const image = picture([[10, 10, 5, 5], [15, 15, 5, 5], [40, 10, 3, 30]]);
  const { parts, labels } = inkComponents(plane(image));
  equal(parts.length, 2); // the two squares touch at a corner
  deepStrictEqual(parts.map(({ x0, y0, x1, y1, area }) => [x0, y0, x1, y1, area]), [
    [10, 10, 20, 20, 50],
    [40, 10, 43, 40, 90],
  ]);
  equal(labels[12 * W + 12], labels[17 * W + 17]);
  equal(labels[0], 0);
});

Deno.test("inkComponents: a U joins at its bottom, 10,000 specks are 10,000 parts", () => {
  const u = inkComponents(plane(picture([[10, 10, 3, 40], [30, 10, 3, 40], [10, 47, 23, 3]])));
  equal(u.parts.length, 1);
  const data = new Uint8Array(1000 * 280);
  for (let k = 0; k < 10_000; k++) data[(k % 125) * 8 + Math.floor(k / 125) * 3 * 1000] = 255;
  equal(inkComponents({ width: 1000, height: 280, ink: data }).parts.length, 10_000);
});

Deno.test("groupDigits merges parts above each other, attaches a flag, drops specks", () => {
  const parts = inkComponents(plane(picture([
    // A 5: the bar apart from the body, over it.
    [10, 10, 30, 4],
    [10, 18, 30, 62],
    // A 1 with its flag detached, just left of the stem.
    [70, 10, 6, 70],
    [59, 14, 10, 10],
    // A speck far from both.
    [150, 90, 1, 1],
    // A 0-like block.
    [110, 10, 35, 70],
  ]))).parts;
  const { groups, digitHeight } = groupDigits(parts);
  equal(groups.length, 3);
  ok(digitHeight >= 62 && digitHeight <= 70, `${digitHeight}`);
  deepStrictEqual(groups.map((g) => [g.x0, g.x1]), [[10, 40], [59, 76], [110, 145]]);
});

Deno.test("groupDigits refuses a picture of noise: more pieces than a number has", () => {
  const rects: [number, number, number, number][] = [];
  for (let k = 0; k < 300; k++) rects.push([(k % 50) * 20, Math.floor(k / 50) * 40, 4, 4]);
  throws(
    () => groupDigits(inkComponents(plane(picture(rects, 1000, 280))).parts),
    (error: DigitlabError) => error.code === "too_many_digits",
  );
});

Deno.test("numberCandidates: no ink is no_digit_found; separate digits are one candidate each", () => {
  throws(() => numberCandidates(picture([])), (e: DigitlabError) => e.code === "no_digit_found");
  const plan = numberCandidates(picture([[10, 10, 20, 70], [60, 10, 20, 70], [110, 10, 6, 70]]));
  equal(plan.candidates.length, 3);
  deepStrictEqual(plan.candidates.map((c) => c.box), [
    { x: 10, y: 10, width: 20, height: 70 },
    { x: 60, y: 10, width: 20, height: 70 },
    { x: 110, y: 10, width: 6, height: 70 },
  ]);
  for (const { field } of plan.candidates) equal(field.length, 784);
  const digits = readNumber(plan, reading(3, (c) => [c + 1, 0.99]));
  deepStrictEqual(digits.map((d) => d.result), [1, 2, 3]);
});

Deno.test("numberCandidates splits touching digits where the model reads the parts best", () => {
  // Two 40-wide blocks joined by a thin bridge, beside two lone digits that set the width.
  const image = picture([
    [5, 10, 30, 70],
    [45, 10, 30, 70],
    [90, 10, 40, 70],
    [130, 60, 10, 4],
    [140, 10, 40, 70],
  ]);
  const plan = numberCandidates(image);
  ok(plan.candidates.length > 4, `${plan.candidates.length} candidates`);
  // The model reads the halves (boxes centred near 110 or 160, 40-50 wide) as 7s with
  // confidence, anything else as a 5 with little.
  const half = (c: number) => {
    const { x, width } = plan.candidates[c].box;
    const centre = x + width / 2;
    return (Math.abs(centre - 110) <= 6 || Math.abs(centre - 160) <= 6) && width >= 38 &&
      width <= 52;
  };
  const digits = readNumber(
    plan,
    reading(plan.candidates.length, (c) => half(c) ? [7, 0.98] : [5, 0.4]),
  );
  deepStrictEqual(digits.map((d) => d.result), [5, 5, 7, 7]);
  // A model that reads the whole pair confidently as one digit keeps it whole.
  const whole = (c: number) => plan.candidates[c].box.width > 80;
  const kept = readNumber(
    plan,
    reading(plan.candidates.length, (c) => whole(c) ? [0, 0.99] : [1, 0.5]),
  );
  equal(kept.length, 3);
});

Deno.test("strokeLabels gives each ink pixel its nearest stroke, and declines strokes that miss the ink", () => {
  // Two vertical bars touching through a bridge: one component, two strokes.
  const image = picture([[40, 10, 6, 70], [46, 40, 8, 4], [54, 10, 6, 70]]);
  const strokes: [number, number][][] = [
    [[43 / H, 12 / H], [43 / H, 78 / H]],
    [[57 / H, 12 / H], [57 / H, 78 / H]],
  ];
  const byStroke = strokeLabels(plane(image), strokes);
  ok(byStroke);
  equal(byStroke.parts.length, 2);
  equal(byStroke.labels[20 * W + 41], 1);
  equal(byStroke.labels[20 * W + 58], 2);
  equal(strokeLabels(plane(image), [[[0.9, 0.9], [0.95, 0.95]]]), null);
  // Absurd strokes cost at most a bounded amount of work, then are declined.
  const huge = Array.from({ length: 500 }, () => [[-1e6, -1e6], [1e6, 1e6]] as [number, number][]);
  equal(strokeLabels(plane(image), huge), null);
});

Deno.test("inkComponents refuses ink broken into more runs than writing has (a checkerboard)", () => {
  const width = 1200, height = 900;
  const ink = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = y % 2; x < width; x += 2) ink[y * width + x] = 255;
  throws(
    () => inkComponents({ width, height, ink }),
    (error: DigitlabError) => error.code === "too_many_digits",
  );
});

Deno.test("numberCandidates: touching digits whose strokes only touch split by the strokes", () => {
  // Two 20-wide digits touching side by side (one component), beside two lone ones.
  const image = picture([[5, 10, 20, 70], [40, 10, 20, 70], [60, 10, 20, 70], [110, 10, 20, 70]]);
  const strokes: [number, number][][] = [15, 50, 70, 120].map((x) => [[x / H, 11 / H], [
    x / H,
    79 / H,
  ]]);
  // The model reads the pair as one confident digit, each half a little less surely.
  const read = (plan: ReturnType<typeof numberCandidates>) =>
    readNumber(
      plan,
      reading(plan.candidates.length, (c) => {
        const { x, width } = plan.candidates[c].box;
        if (width >= 38) return [0, 0.999];
        return x === 40 || x === 60 ? [7, 0.9] : x < 30 || x > 100 ? [1, 0.99] : [5, 0.3];
      }),
    ).map((d) => d.result);
  deepStrictEqual(read(numberCandidates(image)), [1, 0, 1]);
  deepStrictEqual(read(numberCandidates(image, strokes)), [1, 7, 7, 1]);
});
