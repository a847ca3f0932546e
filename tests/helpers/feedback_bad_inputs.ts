/**
 * Generated bad `POST /feedback` requests: labels and predictions that are not digits, unknown
 * models, strokes of every wrong shape and over the caps, no image, text instead of an image,
 * truncated and blank images, broken multipart, JSON and base64, repeated fields and the wrong
 * content type. Seeded: every run sends the same ones. Each must get a 4xx JSON error and store
 * nothing.
 *
 * @module
 */
import {
  MAX_FEEDBACK_SIDE,
  MAX_STROKE_POINTS,
  MAX_STROKES,
} from "../../routes/api/feedback_request.ts";
import { multipartBody, seededRandom, text } from "./bad_inputs.ts";
import { pngClaiming } from "./png_encode.ts";

export interface FeedbackBadInput {
  name: string;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
}

const BOUNDARY = "feedbackFuzz9q2Lw";
const FORM = { "Content-Type": `multipart/form-data; boundary=${BOUNDARY}` };
const JSON_TYPE = { "Content-Type": "application/json" };

/** `count` bad requests built around `drawing` (a valid PNG) and `blank` (a PNG with no ink). */
export function feedbackBadInputs(
  drawing: Uint8Array<ArrayBuffer>,
  blank: Uint8Array<ArrayBuffer>,
  count = 200,
  seed = 15,
): FeedbackBadInput[] {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  const badDigits = [10, -1, 1.5, "a", "77", "٣", true, [7], { v: 7 }, "0x7", "1e0", 99999];
  const point = () => [random(), random()];
  const badStrokes = [
    () => "not strokes",
    () => 7,
    () => [[point(), [random()]]],
    () => [[point(), [random(), random(), random()]]],
    () => [[[random(), "0.5"]]],
    () => [[[1 + random(), 0.5]]],
    () => [[[-random() - 0.01, 0.5]]],
    () => [[]],
    () => [point()],
    () => [{ x: 1, y: 2 }],
    () => Array.from({ length: MAX_STROKES + 1 }, () => [point()]),
    () => [Array.from({ length: MAX_STROKE_POINTS + 1 }, point)],
  ];
  const base64 = (bytes: Uint8Array) => bytes.toBase64();
  const inputs: FeedbackBadInput[] = [];
  const form = (name: string, fields: Record<string, unknown>, image: Uint8Array | null) => {
    const parts = Object.entries(fields).map(([field, value]) => ({
      name: field,
      data: text(typeof value === "string" ? value : JSON.stringify(value)),
    }));
    if (image) {
      parts.unshift({ name: "img", filename: "d.png", type: "image/png", data: image } as never);
    }
    inputs.push({ name, headers: FORM, body: multipartBody(BOUNDARY, parts) });
  };
  const json = (name: string, value: unknown) =>
    inputs.push({ name, headers: JSON_TYPE, body: text(JSON.stringify(value)) });
  const cases: (() => void)[] = [
    () => form("label not a digit (form)", { label: pick(badDigits) }, drawing),
    () => json("label not a digit (json)", { image: base64(drawing), label: pick(badDigits) }),
    () => form("no label", { predicted: int(10) }, drawing),
    () => json("no label (json)", { image: base64(drawing) }),
    () => form("predicted not a digit", { label: int(10), predicted: pick(badDigits) }, drawing),
    () => json("unknown model", { image: base64(drawing), label: int(10), model: `m${int(1e6)}` }),
    () => form("model not a string", { label: int(10), model: "../../etc/passwd" }, drawing),
    () => form("bad strokes (form)", { label: int(10), strokes: pick(badStrokes)() }, drawing),
    () =>
      json("bad strokes (json)", { image: base64(drawing), label: 3, strokes: pick(badStrokes)() }),
    () => form("strokes not JSON", { label: int(10), strokes: "[[0.1, 0.2" }, drawing),
    () => form("no image", { label: int(10) }, null),
    () => json("no image (json)", { label: int(10) }),
    () => form("text, not an image", { label: int(10) }, text(`hello ${int(1000)}`)),
    () => form("empty image", { label: int(10) }, new Uint8Array(0)),
    () =>
      form("truncated image", { label: int(10) }, drawing.slice(0, 8 + int(drawing.length - 80))),
    () => form("blank image", { label: int(10) }, blank),
    () =>
      form(
        "image over the side limit",
        { label: int(10) },
        pngClaiming(drawing, MAX_FEEDBACK_SIDE + 1 + int(3000), 280),
      ),
    () => json("blank image (json)", { image: base64(blank), label: int(10) }),
    () => json("bad base64", { image: "%%%not base64%%%", label: int(10) }),
    () => json("image not a string", { image: [1, 2, 3], label: int(10) }),
    () =>
      inputs.push({ name: "bad JSON", headers: JSON_TYPE, body: text(`{"label": ${int(10)},`) }),
    () => json("JSON not an object", pick([[1, 2], "x", 7, null])),
    () =>
      inputs.push({
        name: "malformed multipart",
        headers: FORM,
        body: text(`--${BOUNDARY}\r\nno headers here`),
      }),
    () =>
      inputs.push({
        name: "multipart without boundary",
        headers: { "Content-Type": "multipart/form-data" },
        body: text("x"),
      }),
    () => {
      const parts = [
        { name: "img", filename: "a.png", type: "image/png", data: drawing },
        { name: "label", data: text("3") },
        { name: "label", data: text("4") },
      ];
      inputs.push({ name: "repeated label", headers: FORM, body: multipartBody(BOUNDARY, parts) });
    },
    () =>
      inputs.push({
        name: "raw PNG body (no label possible)",
        headers: { "Content-Type": "image/png" },
        body: drawing,
      }),
    () =>
      inputs.push({
        name: "text/plain body",
        headers: { "Content-Type": "text/plain" },
        body: text("7"),
      }),
  ];
  for (let i = 0; inputs.length < count; i++) cases[i % cases.length]();
  return inputs.slice(0, count);
}
