import { deepStrictEqual, rejects, strictEqual, throws } from "node:assert/strict";
import {
  fitStrokes,
  HELD_OUT_WRITERS,
  loadPendigits,
  parsePendigits,
  PendigitsError,
  splitByWriter,
  strokeBounds,
} from "./pendigits.ts";

const SAMPLE = `.INCLUDE        dene.doc

.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"
.SEGMENT DIGIT    0 ? "7"
.COMMENT 7 5  12
.PEN_DOWN
 100  400
 300  400
 200  100
.PEN_UP
.PEN_DOWN
 150  250
 250  250
.PEN_UP

.SEGMENT DIGIT    1 ? "1"
.COMMENT 1 3  13
.PEN_DOWN
 250  450
 250  50
.PEN_UP
`;

Deno.test("parsePendigits reads label, writer, sample and strokes with y flipped", () => {
  const digits = parsePendigits(SAMPLE);
  strictEqual(digits.length, 2);
  deepStrictEqual(digits[0], {
    label: 7,
    writer: 5,
    sample: 12,
    strokes: [
      [{ x: 100, y: 100 }, { x: 300, y: 100 }, { x: 200, y: 400 }],
      [{ x: 150, y: 250 }, { x: 250, y: 250 }],
    ],
  });
  deepStrictEqual(digits[1].strokes, [[{ x: 250, y: 50 }, { x: 250, y: 450 }]]);
});

Deno.test("parsePendigits names the line of a malformed point", () => {
  throws(
    () => parsePendigits('.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n 1 two\n.PEN_UP\n'),
    (error: Error) => error instanceof PendigitsError && /line 3/.test(error.message),
  );
});

Deno.test("splitByWriter holds out exactly the named writers", () => {
  const { train, heldOut } = splitByWriter(parsePendigits(SAMPLE));
  deepStrictEqual(heldOut.map((d) => d.writer), [5]);
  deepStrictEqual(train.map((d) => d.writer), [3]);
});

Deno.test("fitStrokes fills the box keeping the aspect ratio, centred", () => {
  const [seven] = parsePendigits(SAMPLE);
  const box = { x: 0.1, y: 0.2, width: 0.6, height: 0.6 };
  const fitted = strokeBounds(fitStrokes(seven.strokes, box));
  // 200 wide x 300 tall: the height fills 0.6, the width is 0.4, centred in x.
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  strictEqual(near(fitted.height, 0.6), true);
  strictEqual(near(fitted.width, 0.4), true);
  strictEqual(near(fitted.x, 0.2), true);
  strictEqual(near(fitted.y, 0.2), true);
});

const dir = Deno.env.get("PENDIGITS_DIR");
if (!dir) console.warn("pendigits_test: PENDIGITS_DIR is not set; the real file is NOT checked");

Deno.test({
  name: "the real pendigits file: 7,494 digits by 30 writers, checksum verified",
  ignore: !dir,
  async fn() {
    const { digits } = await loadPendigits(dir!);
    strictEqual(digits.length, 7494);
    strictEqual(new Set(digits.map((d) => d.writer)).size, 30);
    const { heldOut } = splitByWriter(digits);
    strictEqual(new Set(heldOut.map((d) => d.writer)).size, HELD_OUT_WRITERS.length);
    for (const digit of digits.slice(0, 200)) {
      for (const stroke of digit.strokes) {
        for (const p of stroke) strictEqual(p.x >= 0 && p.x <= 500 && p.y >= 0 && p.y <= 500, true);
      }
    }
  },
});

Deno.test("loadPendigits refuses a file whose checksum differs", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${tmp}/pendigits-orig.tra`, SAMPLE);
    await rejects(
      loadPendigits(tmp),
      (e: Error) => e instanceof PendigitsError && /SHA-256/.test(e.message),
    );
    await rejects(loadPendigits(`${tmp}/missing`), PendigitsError);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
