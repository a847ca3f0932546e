/**
 * Generated bad requests for the Open Inference Protocol's `/v2/models/{name}/infer`: malformed
 * JSON, wrong shapes, datatypes and data, deep nesting, bodies over the limit.
 *
 * @module
 */
import { type BadInput, text } from "./bad_inputs.ts";

/** An OIP v2 infer body with one FP32 input (`extra` overrides its fields). */
function v2Body(shape: unknown, data: unknown, extra: Record<string, unknown> = {}) {
  return text(
    JSON.stringify({ inputs: [{ name: "input", shape, datatype: "FP32", data, ...extra }] }),
  );
}

/**
 * Bad Open Inference Protocol v2 infer requests, for `POST /v2/models/{name}/infer`. Hook for
 * the v2 routes: tests/fuzz_test.ts sends these when `GET /v2/models/{name}` answers 200.
 */
export function v2InferBadInputs(model: string, maxBodyBytes: number): BadInput[] {
  const json = { "Content-Type": "application/json" };
  const path = `/v2/models/${encodeURIComponent(model)}/infer`;
  const pixels = Array(784).fill(0.5);
  const cases: [string, Uint8Array<ArrayBuffer>, string?][] = [
    ["empty body", new Uint8Array(0)],
    ["bad json", text("{")],
    ["json null", text("null")],
    ["no inputs", text("{}")],
    ["inputs not a list", text('{"inputs": {}}')],
    ["empty inputs", text('{"inputs": []}')],
    ["input not an object", text('{"inputs": [1]}')],
    ["wrong datatype INT8", v2Body([1, 784], pixels, { datatype: "INT8" })],
    ["wrong datatype BYTES", v2Body([1, 784], pixels, { datatype: "BYTES" })],
    ["no datatype", v2Body([1, 784], pixels, { datatype: undefined })],
    ["no shape", v2Body(undefined, pixels)],
    ["shape not a list", v2Body("1,784", pixels)],
    ["shape [1,783]", v2Body([1, 783], pixels)],
    ["shape [1,1,28,27]", v2Body([1, 1, 28, 27], pixels)],
    ["shape [784]", v2Body([784], pixels)],
    ["shape [1,1,1,28,28]", v2Body([1, 1, 1, 28, 28], pixels)],
    ["negative shape", v2Body([-1, 784], pixels)],
    ["fractional shape", v2Body([0.5, 784], pixels)],
    ["zero batch", v2Body([0, 784], [])],
    ["huge batch declared", v2Body([1e9, 784], pixels)],
    ["huge shape product", v2Body([2 ** 31, 2 ** 31, 28, 28], pixels)],
    ["data shorter than shape", v2Body([2, 784], pixels)],
    ["data longer than shape", v2Body([1, 784], [...pixels, 0])],
    ["no data", v2Body([1, 784], undefined)],
    ["data a string", v2Body([1, 784], "0.5")],
    ["data with strings", v2Body([1, 784], pixels.map((v, i) => i === 5 ? "x" : v))],
    ["data with null", v2Body([1, 784], pixels.map((v, i) => i === 5 ? null : v))],
    ["data with objects", v2Body([1, 784], pixels.map((v, i) => i === 5 ? {} : v))],
    ["data nested wrongly", v2Body([1, 784], [[pixels], [1]])],
    ["data huge numbers", v2Body([1, 784], pixels.map(() => 1e308)), "4xx-or-prediction"],
    ["wrong input name", v2Body([1, 784], pixels, { name: "images" }), "4xx-or-prediction"],
    [
      "two inputs",
      text(
        JSON.stringify({
          inputs: [0, 1].map(() => ({
            name: "input",
            shape: [1, 784],
            datatype: "FP32",
            data: pixels,
          })),
        }),
      ),
    ],
    ["deep nesting", text('{"inputs":' + "[".repeat(100_000) + "]".repeat(100_000) + "}")],
    [
      "over the limit",
      text(
        JSON.stringify({
          inputs: [{
            name: "input",
            shape: [1, 784],
            datatype: "FP32",
            data: Array(maxBodyBytes / 2).fill(0),
          }],
        }),
      ),
    ],
  ];
  return cases.map(([name, body, expect]) => ({
    name: `v2 ${name}`,
    method: "POST",
    path,
    headers: json,
    body,
    expect: (expect as BadInput["expect"] | undefined) ?? "4xx",
  }));
}
