import assert, { deepStrictEqual } from "node:assert/strict";
import { DigitlabError } from "../lib/errors.ts";
import { listingOf, modelNameOf, modelOfOnnxFile } from "../lib/model_metadata.ts";
import { testMetadata, untrainedOnnx, writeTestModels } from "../tests/helpers/test_models.ts";
import { loadModels } from "./model_registry.ts";

const dirUrl = (dir: string) => new URL(`file://${dir}/`);

Deno.test("loadModels loads every model and prefers the named default", async () => {
  const dir = await writeTestModels(["mlp", "cnn-aug", "cnn"]);
  const { registry, problems } = await loadModels(dirUrl(dir), {
    preferred: "cnn-aug",
    required: false,
  });
  try {
    deepStrictEqual(problems, []);
    deepStrictEqual(registry.defaultName, "cnn-aug");
    deepStrictEqual(registry.models().map((m) => m.metadata.name), ["cnn-aug", "cnn", "mlp"]);
    deepStrictEqual(registry.get().metadata.name, "cnn-aug");
    deepStrictEqual(registry.get("mlp").metadata.name, "mlp");
  } finally {
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModels skips broken models, says why, and falls back to the most accurate", async () => {
  const dir = await writeTestModels(["good", "better"], (name) => name === "better" ? 0.9 : 0.8);
  await Deno.writeTextFile(`${dir}/corrupt.onnx`, "not a model");
  await Deno.writeTextFile(`${dir}/corrupt.json`, JSON.stringify(testMetadata("corrupt")));
  await Deno.copyFile(`${dir}/good.onnx`, `${dir}/orphan.onnx`); // no metadata
  await Deno.copyFile(`${dir}/good.onnx`, `${dir}/renamed.onnx`);
  await Deno.writeTextFile(`${dir}/renamed.json`, JSON.stringify(testMetadata("other")));
  await Deno.copyFile(`${dir}/good.onnx`, `${dir}/badjson.onnx`);
  await Deno.writeTextFile(`${dir}/badjson.json`, "{");
  const { registry, problems } = await loadModels(dirUrl(dir), {
    preferred: "cnn-aug",
    required: false,
  });
  try {
    deepStrictEqual(registry.models().map((m) => m.metadata.name), ["better", "good"]);
    deepStrictEqual(registry.defaultName, "better");
    const text = problems.join("\n");
    for (
      const expected of ["corrupt:", "orphan: no metadata file", "renamed:", "badjson:", "cnn-aug"]
    ) {
      assert(text.includes(expected), `problems lack "${expected}":\n${text}`);
    }
  } finally {
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModels: a required model that is absent is an error", async () => {
  const dir = await writeTestModels(["mlp"]);
  try {
    let message = "";
    try {
      await loadModels(dirUrl(dir), { preferred: "cnn", required: true });
    } catch (error) {
      message = (error as Error).message;
    }
    assert(message.includes('model "cnn"') && message.includes("mlp"), message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModels: no folder or an empty one gives an empty registry and advice", async () => {
  const empty = await Deno.makeTempDir();
  try {
    for (const dir of [dirUrl(empty), dirUrl(`${empty}/missing`)]) {
      const { registry, problems } = await loadModels(dir, { preferred: "x", required: false });
      deepStrictEqual(registry.defaultName, null);
      assert(problems.some((p) => p.includes("deno task train")), problems.join("\n"));
      let error: unknown;
      try {
        registry.get();
      } catch (caught) {
        error = caught;
      }
      assert(error instanceof DigitlabError && error.code === "no_models", `${error}`);
    }
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("loadModels runs a model's int8 twin unless told fp32", async () => {
  const dir = await Deno.makeTempDir();
  const float = untrainedOnnx("mlp", 7);
  const twin = untrainedOnnx("mlp", 8); // any other valid model stands in for the int8 file
  await Deno.writeFile(`${dir}/digits.onnx`, float);
  await Deno.writeFile(`${dir}/digits.int8.onnx`, twin);
  const int8 = {
    file: "digits.int8.onnx",
    testAccuracy: 0.75,
    agreementWithFloat: 0.99,
    quantizedLayers: [],
    calibration: "test",
  };
  await Deno.writeTextFile(
    `${dir}/digits.json`,
    JSON.stringify({ ...testMetadata("digits"), int8 }),
  );
  try {
    for (
      const [precision, bytes, accuracy] of [["int8", twin, 0.75], ["fp32", float, 0.5]] as const
    ) {
      const { registry, problems } = await loadModels(
        dirUrl(dir),
        { preferred: "digits", required: true },
        { precision },
      );
      deepStrictEqual(problems, []);
      deepStrictEqual(registry.models().map((m) => m.metadata.name), ["digits"]);
      const model = registry.get("digits");
      assert(
        model.bytes.length === bytes.length && model.bytes.every((b, i) => b === bytes[i]),
        `${precision} did not load its own file`,
      );
      deepStrictEqual(model.metadata.precision, precision);
      deepStrictEqual(listingOf(model.metadata).testAccuracy, accuracy);
      await registry.close();
    }
    await Deno.writeTextFile(`${dir}/digits.int8.onnx`, "corrupt");
    const { registry, problems } = await loadModels(dirUrl(dir), {
      preferred: "x",
      required: false,
    });
    deepStrictEqual(registry.defaultName, null);
    assert(problems.some((p) => p.startsWith("digits:")), problems.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("modelNameOf maps a model's files to its name", () => {
  deepStrictEqual(modelNameOf("cnn-aug.onnx"), "cnn-aug");
  deepStrictEqual(modelNameOf("cnn-aug.int8.onnx"), "cnn-aug");
  deepStrictEqual(modelNameOf("cnn-aug.json"), "cnn-aug");
  deepStrictEqual(modelNameOf("cnn-aug-augmentations.png"), null);
  deepStrictEqual(modelOfOnnxFile("cnn-aug.int8.onnx"), "cnn-aug");
  deepStrictEqual(modelOfOnnxFile("cnn-aug.json"), null);
});
