/**
 * Measures lib/digit_shapes.ts's table: the pendigits training writers' digits (never the
 * held-out writers, who judge the result) drawn as the page draws them at the three sizes and
 * places of the tests, through MNIST's recipe, and per digit the range that leaves out the
 * rarest 0.1% at each end.
 *
 * `PENDIGITS_DIR=../shared/data/pendigits deno run --allow-read --allow-env
 * training/digit_shape_ranges.ts` prints the table as TypeScript.
 *
 * @module
 */
import { DIGIT_BOX, mnistField } from "../lib/preprocess.ts";
import { measureInk } from "../lib/ink_shape.ts";
import { fitStrokes, loadPendigits, splitByWriter } from "./pendigits.ts";
import { padPixels, PLACEMENTS } from "./stroke_field.ts";

/** Share of each digit's drawings left outside its range at each end. */
export const TAIL = 0.001;

/** The value at quantile q of sorted values (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

/** Three decimals, rounded outwards so that the measured ends stay inside the range. */
const down = (v: number) => (Math.floor(v * 1000 + 1e-9) / 1000).toFixed(3);
const up = (v: number) => (Math.ceil(v * 1000 - 1e-9) / 1000).toFixed(3);

if (import.meta.main) {
  const dir = Deno.env.get("PENDIGITS_DIR");
  if (!dir) {
    console.error("set PENDIGITS_DIR to the folder of pendigits-orig.tra");
    Deno.exit(2);
  }
  const { train } = splitByWriter((await loadPendigits(dir)).digits);
  const aspects = Array.from({ length: 10 }, () => [] as number[]);
  const holes = Array.from({ length: 10 }, () => [] as number[]);
  for (const digit of train) {
    for (const { box } of PLACEMENTS) {
      const shape = measureInk(mnistField(padPixels(fitStrokes(digit.strokes, box))));
      aspects[digit.label].push(shape.heightOverWidth);
      holes[digit.label].push(shape.faintHoles);
    }
  }
  console.log(`// ${train.length} digits of the training writers x ${PLACEMENTS.length} places`);
  for (let d = 0; d < 10; d++) {
    const a = aspects[d].sort((x, y) => x - y), h = holes[d].sort((x, y) => x - y);
    const low = quantile(a, TAIL);
    // A one may be as thin as the pen: a straight stroke reaches the box's whole height / 1 px.
    const high = d === 1 ? DIGIT_BOX : quantile(a, 1 - TAIL);
    console.log(
      `  { heightOverWidth: [${down(low)}, ${up(high)}], faintHoles: ${
        quantile(h, 1 - TAIL)
      } }, // ${d}: ${a.length} drawings`,
    );
  }
}
