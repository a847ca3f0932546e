import assert, { deepStrictEqual } from "node:assert/strict";
import { AttributeType, DataType, ModelProto } from "../training/onnx_schema.ts";
import {
  CLASS_COUNT,
  createSession,
  DIGIT_PIXELS,
  ORT_WASM_URL,
  runBatch,
  runLogits,
} from "./onnx_runtime.ts";

/** A linear model built by hand: logits = flatten(input) @ weights + bias. */
function linearModel(weights: Float32Array, bias: Float32Array): Uint8Array {
  const tensor = (name: string, dims: number[], values: Float32Array) => ({
    name,
    dims,
    data_type: DataType.FLOAT,
    raw_data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  });
  const valueInfo = (name: string, dims: (number | string)[]) => ({
    name,
    type: {
      tensor_type: {
        elem_type: DataType.FLOAT,
        shape: {
          dim: dims.map((d) => typeof d === "number" ? { dim_value: d } : { dim_param: d }),
        },
      },
    },
  });
  const model = {
    ir_version: 8,
    opset_import: [{ domain: "", version: 13 }],
    graph: {
      name: "linear",
      node: [
        { op_type: "Flatten", input: ["input"], output: ["flat"] },
        { op_type: "Gemm", input: ["flat", "W", "B"], output: ["logits"] },
        {
          op_type: "Softmax",
          input: ["logits"],
          output: ["probabilities"],
          attribute: [{ name: "axis", type: AttributeType.INT, i: 1 }],
        },
      ],
      initializer: [tensor("W", [DIGIT_PIXELS, CLASS_COUNT], weights), tensor("B", [10], bias)],
      input: [valueInfo("input", ["N", 1, 28, 28])],
      output: [valueInfo("logits", ["N", 10]), valueInfo("probabilities", ["N", 10])],
    },
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

Deno.test("the runtime's wasm file resolves through the package", async () => {
  const info = await Deno.stat(ORT_WASM_URL);
  assert(info.isFile && info.size > 1_000_000, `${ORT_WASM_URL} is not the ort wasm binary`);
});

Deno.test("runLogits and runBatch compute a hand-built linear model", async () => {
  // Class c reads pixel c (weight c + 1), so logit c = (c + 1) * pixel[c] + bias[c].
  const weights = new Float32Array(DIGIT_PIXELS * CLASS_COUNT);
  for (let c = 0; c < CLASS_COUNT; c++) weights[c * CLASS_COUNT + c] = c + 1;
  const bias = Float32Array.from({ length: CLASS_COUNT }, (_, c) => c / 10);
  const session = await createSession(linearModel(weights, bias));
  try {
    const batch = 3;
    const input = new Float32Array(batch * DIGIT_PIXELS);
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < CLASS_COUNT; c++) input[n * DIGIT_PIXELS + c] = (n + 1) * 0.5 - c * 0.1;
    }
    const logits = await runLogits(session, input, batch);
    deepStrictEqual(logits.length, batch * CLASS_COUNT);
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < CLASS_COUNT; c++) {
        const expected = (c + 1) * input[n * DIGIT_PIXELS + c] + bias[c];
        const got = logits[n * CLASS_COUNT + c];
        assert(Math.abs(got - expected) < 1e-5, `logit[${n},${c}] ${got} != ${expected}`);
      }
    }
    const both = await runBatch(session, input, batch);
    deepStrictEqual(Array.from(both.logits), Array.from(logits));
    for (let n = 0; n < batch; n++) {
      const row = both.probabilities.subarray(n * CLASS_COUNT, (n + 1) * CLASS_COUNT);
      const sum = row.reduce((a, b) => a + b, 0);
      assert(Math.abs(sum - 1) < 1e-5, `probabilities of row ${n} sum to ${sum}`);
    }
  } finally {
    await session.release();
  }
});

Deno.test("runLogits rejects an input whose size does not match the batch", async () => {
  const session = await createSession(
    linearModel(new Float32Array(DIGIT_PIXELS * CLASS_COUNT), new Float32Array(CLASS_COUNT)),
  );
  try {
    let error: unknown;
    try {
      await runLogits(session, new Float32Array(DIGIT_PIXELS + 1), 1);
    } catch (caught) {
      error = caught;
    }
    assert(error instanceof RangeError, `expected a RangeError, got ${error}`);
  } finally {
    await session.release();
  }
});
