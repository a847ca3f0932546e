/**
 * Real people's handwriting through `/predict` with the default `draw` model: the held-out
 * pendigits writers (never trained on) drawn as the page draws them, at three sizes and places
 * of the pad, sent as the page's PNG. Prints accuracy per digit and per size/place, and the
 * calibration error of the probabilities the server answers with. Then ink that is no digit
 * (a dot, lines across the pad, a filled square, 20 random scribbles) must never come back
 * `confident: true`.
 *
 * Needs PENDIGITS_DIR (and the shipped draw model): without them the tests are ignored with a
 * message; under CI=true they fail instead.
 */
import assert from "node:assert/strict";
import { encode } from "fast-png";
import { expectedCalibrationError } from "../lib/calibration.ts";
import type { Prediction } from "../lib/prediction.ts";
import { fitStrokes, loadPendigits, splitByWriter } from "../training/pendigits.ts";
import { padPixels, PLACEMENTS } from "../training/stroke_field.ts";
import type { Stroke } from "../lib/strokes.ts";
import { DOT, filledSquare, LINES, scribbles } from "./helpers/non_digits.ts";
import { SHIPPED_MODELS, shippedModel, startTestServer } from "./helpers/test_server.ts";

const pendigitsDir = Deno.env.get("PENDIGITS_DIR");
const inCi = Deno.env.get("CI") === "true";
const hasModel = await shippedModel("draw");
const missing = !pendigitsDir
  ? "PENDIGITS_DIR is not set"
  : !hasModel
  ? "no models/draw.onnx"
  : null;
if (missing) console.warn(`%chandwriting tests skipped: ${missing}`, "color: yellow");

/** The page's PNG of strokes already on the pad (unit coordinates). */
function pagePng(strokes: Stroke[]): Uint8Array {
  const { width, height, data } = padPixels(strokes);
  return encode({ width, height, data, channels: 4, depth: 8 });
}

async function predict(url: string, png: Uint8Array): Promise<Prediction> {
  const response = await fetch(`${url}/predict`, {
    method: "POST",
    headers: { "Content-Type": "image/png" },
    body: png as Uint8Array<ArrayBuffer>,
  });
  assert.equal(response.status, 200, await response.clone().text());
  return await response.json();
}

const percent = (n: number, of: number) => `${(n / of * 100).toFixed(2)}%`;

Deno.test({
  name: "held-out writers at three sizes and places read >= 98% through /predict, calibrated",
  ignore: missing !== null && !inCi,
  async fn() {
    if (missing) throw new Error(`cannot run under CI: ${missing}`);
    const { heldOut } = splitByWriter((await loadPendigits(pendigitsDir!)).digits);
    const server = await startTestServer({ modelsDir: SHIPPED_MODELS, preferred: "draw" });
    try {
      // Each digit once, at one of the three placements in turn: every writer, digit and
      // placement is covered, in a third of the requests.
      const byPlacement = PLACEMENTS.map(() => ({ right: 0, count: 0 }));
      const byDigit = Array.from({ length: 10 }, () => ({ right: 0, count: 0 }));
      const probabilities = new Float32Array(heldOut.length * 10);
      const labels = new Uint8Array(heldOut.length);
      for (const [i, digit] of heldOut.entries()) {
        const placement = i % PLACEMENTS.length;
        const answer = await predict(
          server.url,
          pagePng(fitStrokes(digit.strokes, PLACEMENTS[placement].box)),
        );
        assert.equal(answer.model, "draw");
        const right = Number(answer.result === digit.label);
        byPlacement[placement].right += right, byPlacement[placement].count++;
        byDigit[digit.label].right += right, byDigit[digit.label].count++;
        probabilities.set(answer.probabilities, i * 10);
        labels[i] = digit.label;
      }
      const right = byDigit.reduce((n, d) => n + d.right, 0);
      const ece = expectedCalibrationError(probabilities, labels);
      console.log(
        `held-out writers through /predict: ${percent(right, heldOut.length)} ` +
          `(${right}/${heldOut.length}), ECE ${ece.toFixed(4)}`,
      );
      console.log(
        "  per size/place: " +
          PLACEMENTS.map((p, i) =>
            `${p.name} ${percent(byPlacement[i].right, byPlacement[i].count)}`
          ).join(", "),
      );
      console.log(
        "  per digit: " + byDigit.map((d, i) => `${i} ${percent(d.right, d.count)}`)
          .join(", "),
      );
      assert.ok(right / heldOut.length >= 0.98, `overall ${percent(right, heldOut.length)}`);
      for (const [i, p] of byPlacement.entries()) {
        assert.ok(p.right / p.count >= 0.98, `${PLACEMENTS[i].name} ${percent(p.right, p.count)}`);
      }
      assert.ok(ece <= 0.02, `expected calibration error ${ece.toFixed(4)} > 0.02`);
    } finally {
      await server.close();
    }
  },
});

/** Sends each case to /predict; returns the names answered `confident: true`. */
async function confidentAmong(cases: [string, Stroke[]][]): Promise<string[]> {
  const server = await startTestServer({ modelsDir: SHIPPED_MODELS, preferred: "draw" });
  try {
    const confident: string[] = [];
    for (const [name, strokes] of cases) {
      const answer = await predict(server.url, pagePng(strokes));
      console.log(
        `  ${name}: ${answer.result} ${(answer.top3[0].probability * 100).toFixed(1)}%` +
          `, ${answer.confident ? "CONFIDENT" : `not confident (${answer.reason})`}`,
      );
      if (answer.confident) confident.push(name);
    }
    return confident;
  } finally {
    await server.close();
  }
}

Deno.test({
  name: "a dot, lines across the pad and a filled square are never confident",
  ignore: !hasModel && !inCi,
  async fn() {
    const confident = await confidentAmong([
      ["dot", DOT],
      ...Object.entries(LINES),
      ["filled square", filledSquare()],
    ]);
    assert.deepEqual(confident, [], `answered confidently: ${confident.join(", ")}`);
  },
});

// Seed 2026 is never fitted on: the scribble score's seeds are 100-199, draw's negatives' from
// 1,000,000 up. Until draw was trained with scribbles as negatives, the 10th (a 7 with a crossbar)
// stayed confident and this test was ignored as a known gap.
Deno.test({
  name: "20 random scribbles are never confident",
  ignore: !hasModel && !inCi,
  async fn() {
    const confident = await confidentAmong(
      scribbles(20, 2026).map((s, i): [string, Stroke[]] => [`scribble ${i + 1}`, s]),
    );
    assert.deepEqual(confident, [], `answered confidently: ${confident.join(", ")}`);
  },
});

Deno.test({
  name: "an empty pad is still 422 no_digit_found",
  ignore: !hasModel && !inCi,
  async fn() {
    const server = await startTestServer({ modelsDir: SHIPPED_MODELS, preferred: "draw" });
    try {
      const response = await fetch(`${server.url}/predict`, {
        method: "POST",
        headers: { "Content-Type": "image/png" },
        body: pagePng([]) as Uint8Array<ArrayBuffer>,
      });
      assert.equal(response.status, 422);
      assert.equal((await response.json()).error, "no_digit_found");
    } finally {
      await server.close();
    }
  },
});
