import assert, { deepStrictEqual } from "node:assert/strict";
import { main } from "./eval.ts";
import { brightestPixelModel, litPixelSet, writeTestSet } from "./eval_fixture.ts";

/** Runs the CLI in-process, capturing what it prints. */
async function runEval(args: string[], mnistDir?: string) {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => out.push(parts.join(" "));
  console.error = (...parts: unknown[]) => err.push(parts.join(" "));
  try {
    const code = await main(args, mnistDir);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    Object.assign(console, { log, error });
  }
}

Deno.test("eval prints each model's accuracy on the test set", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Lit pixel i % 10, label i % 10 except every fourth image: 15 of 20 right.
    await writeTestSet(
      dir,
      litPixelSet(20, (i) => i % 10, (i) => i % 4 === 0 ? 9 - i % 10 : i % 10),
    );
    await Deno.writeFile(`${dir}/tiny.onnx`, await brightestPixelModel());
    const result = await runEval([`${dir}/tiny.onnx`, "--confusion"], dir);
    deepStrictEqual(result.code, 0, result.err);
    assert(result.out.includes("accuracy 75.00% (15/20)"), result.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("eval fails with one line for a missing model, missing data or a bad flag", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/tiny.onnx`, await brightestPixelModel());
    const cases = [
      { args: [`${dir}/absent.onnx`], data: dir, code: 1, says: "model not found" },
      { args: [`${dir}/tiny.onnx`], data: undefined, code: 1, says: "MNIST_DIR" },
      { args: [`${dir}/tiny.onnx`], data: dir, code: 1, says: "MNIST test images not found" },
      { args: ["--epochs", "3"], data: dir, code: 2, says: "--epochs" },
    ];
    for (const { args, data, code, says } of cases) {
      const result = await runEval(args, data);
      deepStrictEqual(result.code, code, `${args}: ${result.err}`);
      assert(result.err.includes(says) && !result.err.includes("\n"), result.err);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
