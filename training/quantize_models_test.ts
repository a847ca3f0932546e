import assert, { deepStrictEqual } from "node:assert/strict";
import { main } from "./quantize_models.ts";

/** Runs the CLI in-process, capturing what it prints. */
async function runQuantize(args: string[], outDir: string) {
  const err: string[] = [];
  const { error } = console;
  console.error = (...parts: unknown[]) => err.push(parts.join(" "));
  try {
    // No MNIST anywhere: a name check that needed the data would fail differently.
    const code = await main(args, { MNIST_DIR: "/nonexistent" }, outDir);
    return { code, err };
  } finally {
    console.error = error;
  }
}

Deno.test("quantize names an unknown model in one line, before loading any data", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const file of ["cnn.onnx", "cnn.json", "mlp.onnx", "mlp.json"]) {
      await Deno.writeTextFile(`${dir}/${file}`, "");
    }
    const result = await runQuantize(["cnn-foo"], dir);
    deepStrictEqual(result.code, 2);
    assert(result.err[0].includes(`no model "cnn-foo" in ${dir}`), result.err[0]);
    assert(result.err[0].includes("there: cnn, mlp"), result.err[0]);
    assert(!result.err.join("\n").includes("    at "), "a stack trace");

    const missingFolder = await runQuantize(["cnn"], `${dir}/absent`);
    deepStrictEqual(missingFolder.code, 1);
    assert(!missingFolder.err[0].includes("\n") && missingFolder.err[0].includes("--out"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
