import assert, { deepStrictEqual } from "node:assert/strict";
import { encodePng } from "../tests/helpers/png_encode.ts";
import { DIGIT_STROKES, drawStrokes, toRgba } from "../tests/helpers/canvas.ts";
import { writeTestModels } from "../tests/helpers/test_models.ts";
import { DEFAULT_ENGINE, InferenceEngine } from "./engine.ts";
import { loadModels } from "./model_registry.ts";
import { predictDigit } from "./predict.ts";

const seven = await (async () => {
  const { data } = toRgba(
    drawStrokes(DIGIT_STROKES["7"], { size: 120, penWidth: 9, box: [20, 20, 80] }),
    "transparent",
  );
  return await encodePng(data as Uint8Array, 120, 120, "rgba");
})();

Deno.test("InferenceEngine: a worker gives the main thread's answers, errors included", async () => {
  const dir = await writeTestModels(["mlp"]);
  const url = new URL(`file://${dir}/`);
  const choice = { preferred: "mlp", required: true };
  const local = await loadModels(url, choice);
  const engine = await InferenceEngine.start({ ...DEFAULT_ENGINE, workers: 1, maxBatch: 8 });
  try {
    // With workers no main-thread session is opened: the worker checks the model instead.
    const remote = await loadModels(url, choice, {
      mainSession: false,
      prepare: (model) => engine.prepare(model),
    });
    const model = remote.registry.get();
    deepStrictEqual(model.session, null);
    const inProcess = InferenceEngine.inProcess();
    const jobs = [
      { kind: "image" as const, bytes: seven },
      { kind: "image" as const, bytes: seven.slice(0, 40) }, // truncated
      { kind: "tensor" as const, input: new Float32Array(784 * 2).fill(0.5), count: 2 },
    ];
    const [fromWorker, fromMain] = await Promise.all([
      Promise.all(jobs.map((job) => engine.submit(model, job))),
      Promise.all(jobs.map((job) => inProcess.submit(local.registry.get(), job))),
    ]);
    for (const [i, result] of fromWorker.entries()) {
      const expected = fromMain[i];
      deepStrictEqual(result.ok, expected.ok, `job ${i}`);
      if (result.ok && expected.ok) {
        deepStrictEqual(
          Array.from(result.output.probabilities),
          Array.from(expected.output.probabilities),
        );
        deepStrictEqual(result.output.field?.length, expected.output.field?.length);
      }
      if (!result.ok && !expected.ok) deepStrictEqual(result.code, expected.code);
    }
    assert(!fromWorker[1].ok && fromWorker[1].code === "undecodable_image", "truncated PNG");
    await engine.retire(model);
    await remote.registry.close();
  } finally {
    engine.close();
    await local.registry.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("InferenceEngine: a model the worker cannot open is refused by prepare", async () => {
  const dir = await writeTestModels(["mlp"]);
  await Deno.writeTextFile(`${dir}/mlp.onnx`, "not a model");
  const engine = await InferenceEngine.start({ ...DEFAULT_ENGINE, workers: 1, maxBatch: 8 });
  try {
    const { registry, problems } = await loadModels(
      new URL(`file://${dir}/`),
      { preferred: "mlp", required: false },
      { mainSession: false, prepare: (model) => engine.prepare(model) },
    );
    deepStrictEqual(registry.defaultName, null);
    assert(problems.some((p) => p.startsWith("mlp: ") && p.endsWith("skipped")), `${problems}`);
  } finally {
    engine.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predictDigit: preprocessing on the HTTP thread or in the worker, same answer", async () => {
  const dir = await writeTestModels(["mlp"]);
  const url = new URL(`file://${dir}/`);
  const engines = await Promise.all(
    (["workers", "main"] as const).map((preprocessIn) =>
      InferenceEngine.start({ ...DEFAULT_ENGINE, workers: 1, preprocessIn })
    ),
  );
  try {
    const answers = [];
    for (const engine of engines) {
      const { registry } = await loadModels(url, { preferred: "mlp", required: true }, {
        mainSession: false,
        prepare: (model) => engine.prepare(model),
      });
      const { result, probabilities, input } = await predictDigit(engine, registry, seven);
      answers.push({ result, probabilities, input });
    }
    deepStrictEqual(answers[0], answers[1]);
    deepStrictEqual(answers[0].input.length, 784);
  } finally {
    for (const engine of engines) engine.close();
    await Deno.remove(dir, { recursive: true });
  }
});
