import assert, { deepStrictEqual } from "node:assert/strict";
import { jsonRefusal, MAX_JSON_DEPTH, parseGuardedJson, parseJsonField } from "./json_guard.ts";
import { DigitlabError } from "../../lib/errors.ts";
import { UPLOAD_JSON_LIMITS } from "./request_image.ts";
import { MAX_STROKE_POINTS, MAX_STROKES, STROKES_JSON_LIMITS } from "./strokes_field.ts";

const many = { maxValues: 1_000_000 };

Deno.test("jsonRefusal: counts arrays and objects inside one another, not brackets in strings", () => {
  const deep = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
  deepStrictEqual(jsonRefusal(deep, many), null);
  deepStrictEqual(
    jsonRefusal("[".repeat(MAX_JSON_DEPTH + 1), many),
    "the JSON nests deeper than 64 levels",
  );
  assert(jsonRefusal('{"image":'.repeat(100_000) + "1" + "}".repeat(100_000), many));
  // Siblings do not add up; strings (escaped quotes included) hold no levels.
  deepStrictEqual(
    jsonRefusal(JSON.stringify(Array.from({ length: 1000 }, () => [[1]])), many),
    null,
  );
  deepStrictEqual(jsonRefusal(JSON.stringify({ s: "[".repeat(1000), t: '\\"[[[[' }), many), null);
  deepStrictEqual(jsonRefusal(JSON.stringify({ s: '"' + "{".repeat(1000) }), many), null);
  // The bodies the API takes.
  const rows = Array.from({ length: 28 }, () => Array(28).fill(0));
  deepStrictEqual(jsonRefusal(JSON.stringify({ inputs: [{ data: [rows] }] }), many), null);
});

Deno.test("jsonRefusal: counts values by their commas at every level, not commas in strings", () => {
  const values = (n: number) => JSON.stringify(Array(n).fill(0));
  deepStrictEqual(jsonRefusal(values(10), { maxValues: 10 }), null);
  deepStrictEqual(jsonRefusal(values(11), { maxValues: 10 }), "the JSON holds over 10 values");
  deepStrictEqual(
    jsonRefusal(JSON.stringify({ a: [1, 2], b: { c: 3, d: 4 } }), { maxValues: 4 }),
    null,
  );
  deepStrictEqual(
    jsonRefusal(JSON.stringify({ a: [1, 2], b: { c: 3, d: 4 } }), { maxValues: 3 }),
    "the JSON holds over 3 values",
  );
  deepStrictEqual(
    jsonRefusal(JSON.stringify({ image: ",".repeat(10_000) }), { maxValues: 1 }),
    null,
  );
});

Deno.test("the routes' limits take their largest real bodies and refuse the fuzz test's huge ones", () => {
  const image = "iVBORw0KGgo".repeat(1000);
  deepStrictEqual(
    jsonRefusal(JSON.stringify({ image, model: "draw", id: "x" }), UPLOAD_JSON_LIMITS),
    null,
  );
  // The most strokes and points /predict/number takes, with the image beside them.
  const perStroke = MAX_STROKE_POINTS / MAX_STROKES;
  const strokes = Array.from({ length: MAX_STROKES }, () => Array(perStroke).fill([0.5, 0.25]));
  deepStrictEqual(jsonRefusal(JSON.stringify({ image, strokes }), STROKES_JSON_LIMITS), null);
  const room = 2 * 1024 * 1024;
  for (const limits of [UPLOAD_JSON_LIMITS, STROKES_JSON_LIMITS]) {
    assert(jsonRefusal(`{"image": [${"0,".repeat(room / 2 - 10)}0]}`, limits));
    assert(
      jsonRefusal(
        `{${Array.from({ length: room / 16 }, (_, i) => `"k${i}":1`).join(",")}}`,
        limits,
      ),
    );
  }
});

Deno.test("parseGuardedJson: bad_json for a refused body and for one that does not parse", () => {
  deepStrictEqual(parseGuardedJson('{"a": [1, 2]}', { maxValues: 2 }, "no"), { a: [1, 2] });
  for (const text of ["[1, 2, 3]", "[1,"]) {
    assert.throws(
      () => parseGuardedJson(text, { maxValues: 2 }, "does not parse"),
      (error) => error instanceof DigitlabError && error.code === "bad_json",
    );
  }
});

Deno.test("parseJsonField: the field's own error says why, refused bodies unparsed", () => {
  const refuse = (why: string) => new Error(`field ${why}`);
  deepStrictEqual(parseJsonField("[[0, 1]]", { maxValues: 4 }, refuse), [[0, 1]]);
  assert.throws(() => parseJsonField("[0, 1, 2]", { maxValues: 2 }, refuse), {
    message: "field holds over 2 values",
  });
  assert.throws(() => parseJsonField("[[", { maxValues: 2, maxDepth: 1 }, refuse), {
    message: "field nests deeper than 1 levels",
  });
  assert.throws(() => parseJsonField("[0,", { maxValues: 4 }, refuse), {
    message: "field is not JSON",
  });
});
