import assert, { deepStrictEqual } from "node:assert/strict";
import { testMetadata, untrainedOnnx, writeTestModels } from "../tests/helpers/test_models.ts";
import { InferenceEngine } from "./engine.ts";
import { watchModels } from "./hot_reload.ts";
import { loadModels } from "./model_registry.ts";

async function setUp() {
  const dir = await writeTestModels(["mlp"]);
  const url = new URL(`file://${dir}/`);
  const { registry } = await loadModels(url, { preferred: "mlp", required: true });
  const engine = InferenceEngine.inProcess();
  const logs: string[] = [];
  const errors: string[] = [];
  const reloader = watchModels({
    dir: url,
    registry,
    engine,
    log: (m) => logs.push(m),
    error: (m) => errors.push(m),
    watch: false,
  });
  const writeVersion = async (version: string, seed: number) => {
    await Deno.writeFile(`${dir}/mlp.onnx`, untrainedOnnx("mlp", seed));
    await Deno.writeTextFile(
      `${dir}/mlp.json`,
      JSON.stringify({ ...testMetadata("mlp"), version }),
    );
  };
  const probabilities = async () => {
    const result = await engine.submit(registry.get(), {
      kind: "tensor",
      input: new Float32Array(784).fill(1),
      count: 1,
    });
    assert(result.ok, "runs");
    return Array.from(result.output.probabilities);
  };
  const tearDown = async () => {
    reloader.close();
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  };
  return { dir, registry, reloader, logs, errors, writeVersion, probabilities, tearDown };
}

Deno.test("hot reload: a changed model is checked, swapped in and its version shown", async () => {
  const t = await setUp();
  try {
    const before = await t.probabilities();
    deepStrictEqual(await t.reloader.reload("mlp"), "unchanged");
    await t.writeVersion("2.0.0", 99);
    const running = t.probabilities(); // a request in flight during the swap still answers
    deepStrictEqual(await t.reloader.reload("mlp"), "reloaded");
    await running;
    deepStrictEqual(t.registry.get("mlp").metadata.version, "2.0.0");
    deepStrictEqual(t.registry.models().map((m) => m.metadata.version), ["2.0.0"]);
    const after = await t.probabilities();
    assert(before.some((p, i) => p !== after[i]), "the new weights answer");
    assert(t.logs.some((l) => l.includes("0.0.0-test -> 2.0.0")), t.logs.join("\n"));
  } finally {
    await t.tearDown();
  }
});

Deno.test("hot reload: a corrupt file leaves the old model serving and logs an error", async () => {
  const t = await setUp();
  try {
    const before = await t.probabilities();
    await Deno.writeFile(`${t.dir}/mlp.onnx`, new Uint8Array(1000).fill(7));
    deepStrictEqual(await t.reloader.reload("mlp"), "failed");
    deepStrictEqual(t.registry.get("mlp").metadata.version, "0.0.0-test");
    deepStrictEqual(await t.probabilities(), before);
    deepStrictEqual(t.errors.length, 1);
    assert(t.errors[0].includes("still serving version 0.0.0-test"), t.errors[0]);
    // Broken metadata too.
    await Deno.writeTextFile(`${t.dir}/mlp.json`, "{");
    deepStrictEqual((await t.reloader.reloadAll()).mlp, "failed");
  } finally {
    await t.tearDown();
  }
});

Deno.test("hot reload: SIGHUP reloads, and a new file in the folder is added", async () => {
  const t = await setUp();
  try {
    await t.writeVersion("3.0.0", 5);
    await Deno.writeFile(`${t.dir}/extra.onnx`, untrainedOnnx("mlp", 11));
    await Deno.writeTextFile(`${t.dir}/extra.json`, JSON.stringify(testMetadata("extra")));
    Deno.kill(Deno.pid, "SIGHUP");
    for (let i = 0; i < 100 && t.registry.find("extra") === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (let i = 0; i < 100 && t.registry.get("mlp").metadata.version !== "3.0.0"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    deepStrictEqual(t.registry.get("mlp").metadata.version, "3.0.0");
    deepStrictEqual(t.registry.find("extra")?.metadata.name, "extra");
  } finally {
    await t.tearDown();
  }
});

Deno.test("hot reload: writing a file into a watched folder reloads it", async () => {
  const dir = await writeTestModels(["mlp"]);
  const url = new URL(`file://${dir}/`);
  const { registry } = await loadModels(url, { preferred: "mlp", required: true });
  const reloader = watchModels({
    dir: url,
    registry,
    engine: InferenceEngine.inProcess(),
    log: () => {},
    debounceMs: 50,
  });
  try {
    await Deno.writeTextFile(
      `${dir}/mlp.json`,
      JSON.stringify({ ...testMetadata("mlp"), version: "4.0.0" }),
    );
    for (let i = 0; i < 150 && registry.get().metadata.version !== "4.0.0"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    deepStrictEqual(registry.get().metadata.version, "4.0.0");
  } finally {
    reloader.close();
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hot reload: a new int8 twin is served under the model's own name", async () => {
  const t = await setUp();
  try {
    const before = await t.probabilities();
    await Deno.writeFile(`${t.dir}/mlp.int8.onnx`, untrainedOnnx("mlp", 42));
    const int8 = {
      file: "mlp.int8.onnx",
      testAccuracy: 0.5,
      agreementWithFloat: 1,
      quantizedLayers: [],
      calibration: "test",
    };
    await Deno.writeTextFile(`${t.dir}/mlp.json`, JSON.stringify({ ...testMetadata("mlp"), int8 }));
    deepStrictEqual(await t.reloader.reloadAll(), { mlp: "reloaded" });
    deepStrictEqual(t.registry.models().map(({ metadata: m }) => [m.name, m.precision]), [[
      "mlp",
      "int8",
    ]]);
    const after = await t.probabilities();
    assert(before.some((p, i) => p !== after[i]), "the int8 file answers");
  } finally {
    await t.tearDown();
  }
});
