import assert, { deepStrictEqual, rejects } from "node:assert/strict";
import { ModelSetWriter, recoverModelSets } from "./model_set.ts";

const read = (path: string) => Deno.readTextFile(path);
const listing = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("a staged set appears only on commit, metadata last", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const set = new ModelSetWriter(dir, "cnn");
    await set.stage("cnn.json", "{}");
    await set.stage("cnn.onnx", "model");
    await set.stage("cnn.int8.onnx", "int8");
    deepStrictEqual(listing(dir).filter((f) => !f.endsWith(".tmp")), []);
    deepStrictEqual(set.files.map((f) => f.slice(dir.length + 1)), [
      "cnn.onnx",
      "cnn.int8.onnx",
      "cnn.json",
    ]);
    const seen: string[] = [];
    await set.commit(() => seen.push(listing(dir).filter((f) => !f.endsWith(".tmp")).join()));
    // While the model files were renamed the metadata was not there yet.
    assert(!seen[0].includes("cnn.json") && !seen[1].includes("cnn.json"), seen.join(" | "));
    deepStrictEqual(listing(dir), ["cnn.int8.onnx", "cnn.json", "cnn.onnx"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("abort leaves the old set and no temp files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/mlp.onnx`, "old");
    const set = new ModelSetWriter(dir, "mlp");
    await set.stage("mlp.onnx", "new");
    await set.abort();
    deepStrictEqual(listing(dir), ["mlp.onnx"]);
    deepStrictEqual(await read(`${dir}/mlp.onnx`), "old");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a commit killed between renames is finished by recoverModelSets", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const f of ["cnn.onnx", "cnn.json"]) await Deno.writeTextFile(`${dir}/${f}`, "old");
    const set = new ModelSetWriter(dir, "cnn");
    await set.stage("cnn.onnx", "new");
    await set.stage("cnn.json", "new");
    await rejects(
      set.commit(() => {
        throw new Error("killed");
      }),
      /killed/,
    );
    await set.abort(); // what a caller's finally does: must not delete what the journal needs
    deepStrictEqual(await read(`${dir}/cnn.json`), "old");
    deepStrictEqual(await recoverModelSets(dir), ["cnn"]);
    deepStrictEqual([await read(`${dir}/cnn.onnx`), await read(`${dir}/cnn.json`)], ["new", "new"]);
    deepStrictEqual(listing(dir), ["cnn.json", "cnn.onnx"]);
    deepStrictEqual(await recoverModelSets(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a signal handled after the commit says the set was written, and leaves no temp files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const f of ["cnn.onnx", "cnn.json"]) await Deno.writeTextFile(`${dir}/${f}`, "old");
    // Deno hands a signal to its listeners some turns after it came: this one comes during the
    // renames and is handled once the commit is done, as a Ctrl-C a moment late would be.
    const probe = `
      import { exitCleanlyOnSignal, ModelSetWriter } from ${
      JSON.stringify(new URL("./model_set.ts", import.meta.url).href)
    };
      const set = new ModelSetWriter(${JSON.stringify(dir)}, "cnn");
      await set.stage("cnn.onnx", "new");
      await set.stage("cnn.json", "new");
      const handled = new Promise((resolve) => Deno.addSignalListener("SIGINT", resolve));
      await exitCleanlyOnSignal(set, (signal, written) => console.log(signal, written), async () => {
        await set.commit(() => Deno.kill(Deno.pid, "SIGINT"));
        await handled;
      });
      console.log("not stopped");
    `;
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", probe],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    deepStrictEqual([code, new TextDecoder().decode(stdout)], [130, "SIGINT true\n"]);
    deepStrictEqual([await read(`${dir}/cnn.onnx`), await read(`${dir}/cnn.json`)], ["new", "new"]);
    deepStrictEqual(listing(dir), ["cnn.json", "cnn.onnx"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a signal during the renames is held until the set is in place, then reported", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const probe = `
      import { InterruptedError, ModelSetWriter } from ${
      JSON.stringify(new URL("./model_set.ts", import.meta.url).href)
    };
      const set = new ModelSetWriter(${JSON.stringify(dir)}, "cnn");
      await set.stage("cnn.onnx", "new");
      await set.stage("cnn.json", "new");
      try {
        await set.commit(() => Deno.kill(Deno.pid, "SIGINT"));
        console.log("the signal was lost");
      } catch (error) {
        console.log(error instanceof InterruptedError ? error.signal : String(error));
      }
    `;
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", probe],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    deepStrictEqual([code, new TextDecoder().decode(stdout)], [0, "SIGINT\n"]);
    deepStrictEqual(listing(dir), ["cnn.json", "cnn.onnx"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
