import assert, { deepStrictEqual } from "node:assert/strict";
import { DigitlabError } from "../../lib/errors.ts";
import { MAX_ID_LENGTH, MAX_V2_BATCH, parseInferRequest } from "./v2_tensor.ts";

const values = (n: number) => Array.from({ length: n * 784 }, (_, i) => (i % 97) / 97);

function rejects(body: unknown, fragment: string): void {
  try {
    parseInferRequest(body);
  } catch (error) {
    assert(error instanceof DigitlabError, `a DigitlabError, got ${error}`);
    deepStrictEqual(error.status, 400);
    assert(error.message.includes(fragment), `"${error.message}" mentions "${fragment}"`);
    return;
  }
  throw new Error(`accepted ${JSON.stringify(body).slice(0, 100)}`);
}

Deno.test("parseInferRequest reads [N,784] flat data and keeps id and asked outputs", () => {
  const data = values(2);
  const request = parseInferRequest({
    id: "r1",
    inputs: [{ name: "input", shape: [2, 784], datatype: "FP32", data }],
    outputs: [{ name: "probabilities" }],
  });
  deepStrictEqual(request.id, "r1");
  deepStrictEqual(request.count, 2);
  deepStrictEqual(request.outputs, ["probabilities"]);
  deepStrictEqual(Array.from(request.input), Array.from(new Float32Array(data)));
});

Deno.test("parseInferRequest reads [N,1,28,28] nested data in row-major order", () => {
  const flat = values(1);
  const nested = [[Array.from({ length: 28 }, (_, y) => flat.slice(y * 28, y * 28 + 28))]];
  const request = parseInferRequest({
    inputs: [{ name: "input", shape: [1, 1, 28, 28], datatype: "FP32", data: nested }],
  });
  deepStrictEqual(request.count, 1);
  deepStrictEqual(request.outputs, ["logits", "probabilities"]);
  deepStrictEqual(Array.from(request.input), Array.from(new Float32Array(flat)));
});

Deno.test("parseInferRequest refuses what the model cannot take, saying why", () => {
  const input = (fields: Record<string, unknown>) => ({
    inputs: [{ name: "input", shape: [1, 784], datatype: "FP32", data: values(1), ...fields }],
  });
  rejects(null, "JSON object");
  rejects([], "JSON object");
  rejects({}, '"inputs"');
  rejects({ inputs: [] }, '"inputs"');
  rejects({ inputs: [1] }, "must be an object");
  rejects(input({ name: "x" }), 'unknown input "x"');
  rejects(input({ datatype: "INT8" }), '"datatype"');
  rejects(input({ shape: [1, 28, 28] }), '"shape"');
  rejects(input({ shape: [1, 3, 28, 28] }), '"shape"');
  rejects(input({ shape: [0, 784], data: [] }), "batch size");
  rejects(input({ shape: [MAX_V2_BATCH + 1, 784] }), "batch size");
  rejects(input({ shape: [1.5, 784] }), '"shape"');
  rejects(input({ data: values(1).slice(1) }), "holds 783 values");
  rejects(input({ data: [...values(1), 0] }), "more than");
  rejects({ id: "x".repeat(MAX_ID_LENGTH + 1), ...input({}) }, '"id" must be at most');
  rejects(input({ data: [...values(1).slice(1), "1"] }), "finite numbers");
  rejects(input({ data: [...values(1).slice(1), null] }), "finite numbers");
  rejects(input({ data: "abc" }), "array of numbers");
  rejects(input({ shape: [1, 1, 28, 28], data: [[[1, 2]]] }), "does not match");
  rejects({ ...input({}), id: 5 }, '"id"');
  rejects({ ...input({}), outputs: [{ name: "features" }] }, 'unknown output "features"');
  rejects({ ...input({}), outputs: [] }, '"outputs"');
});
