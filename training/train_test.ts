/**
 * `deno task train` end to end on tiny subsets (a few hundred images, 1-2 epochs), in temp
 * folders: where runs write, all-or-nothing model sets, checks before work, resuming, progress.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import type { ModelMetadata } from "../lib/model_metadata.ts";
import { recoverModelSets } from "./model_set.ts";
import type { Step } from "./train.ts";
import { projectTest, runTrain, snapshot } from "./train_fixture.ts";

const QUICK = ["--epochs", "1", "--limit", "200", "--eval-limit", "200"];
const decoder = new TextDecoder();

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A stand-in "shipped" set for `name` whose bytes a test can recognise afterwards. */
async function writeOldSet(dir: string, name: string, files: string[]): Promise<void> {
  for (const file of files) {
    const content = file.endsWith(".json")
      ? JSON.stringify({ name, testAccuracy: 0.9932, int8: { file: `${name}.int8.onnx` } })
      : `old ${file}`;
    await Deno.writeTextFile(`${dir}/${file}`, content);
  }
}

function oneLine(text: string): void {
  assert(text.length > 0 && !text.includes("\n"), `expected one line, got: ${text}`);
  assert(!/\n\s+at /.test(text), "a stack trace");
}

projectTest(
  "a quick run writes to build/runs/<time>-<model>/, prints progress, leaves models/ alone",
  async (project) => {
    await writeOldSet(project.modelsDir, "mlp", ["mlp.onnx", "mlp.json"]);
    const before = await snapshot(project.modelsDir);
    const result = await runTrain(["--model", "mlp", ...QUICK], project);
    deepStrictEqual(result.code, 0, result.err);
    deepStrictEqual(await snapshot(project.modelsDir), before);
    const runDir = `${project.runsDir}/20260102-030400-mlp`;
    const files = [...(await snapshot(runDir)).keys()].sort();
    deepStrictEqual(files, [
      "checkpoints/mlp/epoch-1.bin",
      "checkpoints/mlp/state.json",
      "mlp.json",
      "mlp.onnx",
      "run.json",
    ]);
    for (
      const expected of [
        "training on 200 of 60,000 images, testing on 200 of 10,000",
        "mlp (model 1/1): training 1 epoch on 200 of 60,000 images",
        "mlp: exporting to ONNX",
        "mlp: test pass on 200 images",
        "mlp: int8: no convolution to quantize",
        "not the full recipe: --epochs 1 --limit 200 --eval-limit 200",
      ]
    ) assert(result.out.includes(expected), `no "${expected}" in:\n${result.out}`);
    assert(/mlp \(model 1\/1\) epoch 1\/1: .* [\d,]+ img\/s/.test(result.out), result.out);
    const metadata = JSON.parse(await Deno.readTextFile(`${runDir}/mlp.json`)) as ModelMetadata;
    deepStrictEqual([metadata.hyperParameters.limit, metadata.data.trainCount], [200, 200]);
    deepStrictEqual([metadata.hyperParameters.epochs, metadata.data.testCount], [1, 200]);
  },
);

projectTest(
  "a quick run into models/ is refused before any work unless --force, which shows " +
    "old and new accuracy",
  async (project) => {
    await writeOldSet(project.modelsDir, "mlp", ["mlp.onnx", "mlp.json"]);
    const before = await snapshot(project.modelsDir);
    // A data folder that does not exist: the refusal must come before the data loads.
    const refused = await runTrain(
      ["--model", "mlp", ...QUICK, "--out", `${project.modelsDir}/`, "--data", "/nonexistent"],
      project,
    );
    deepStrictEqual(refused.code, 2, refused.err);
    oneLine(refused.err);
    assert(refused.err.includes("not the full recipe") && refused.err.includes("--force"));
    deepStrictEqual(await snapshot(project.modelsDir), before);

    const forced = await runTrain(
      ["--model", "mlp", ...QUICK, "--out", project.modelsDir, "--force"],
      project,
    );
    deepStrictEqual(forced.code, 0, forced.err);
    assert(/test accuracy 99\.32% before, \d+\.\d\d% now/.test(forced.out), forced.out);
    // The run's checkpoints stay out of the served folder.
    deepStrictEqual([...(await snapshot(project.modelsDir)).keys()].sort(), [
      "mlp.json",
      "mlp.onnx",
    ]);
  },
);

projectTest(
  "an interrupted export leaves the old set; a finished one the whole new set",
  async (project) => {
    const out = `${project.root}/out`;
    await Deno.mkdir(out);
    const setFiles = ["cnn.onnx", "cnn.int8.onnx", "cnn.json"];
    await writeOldSet(out, "cnn", setFiles);
    const oldSet = await snapshot(out);
    const args = ["--model", "cnn", ...QUICK, "--out", out];
    const runDir = `${project.runsDir}/interrupted`;
    const fail = (at: Step) => ({
      step: (_: string, step: Step) => {
        if (step === at) throw new Error(`injected failure at ${step}`);
      },
    });
    // Before, during and after the int8 step (and the steps around it).
    const steps: Step[] = ["export", "test pass", "int8", "int8 scoring", "commit"];
    for (const [index, step] of steps.entries()) {
      const runArgs = index === 0 ? [...args.slice(0, -2), "--out", runDir] : ["--resume", runDir];
      // The first run trains into its own run folder; the others resume it and export to `out`.
      const result = await runTrain(
        index === 0 ? runArgs : [...runArgs, "--out", out],
        { ...project, hooks: fail(step) },
      ).catch((error) => ({ code: -1, out: "", err: String(error) }));
      assert(result.err.includes(`injected failure at ${step}`), result.err);
      deepStrictEqual(await snapshot(out), oldSet, `after a failure at ${step}`);
    }

    // Killed between two renames: the journal lets the next run finish the set.
    const killed = await runTrain(["--resume", runDir, "--out", out], {
      ...project,
      hooks: {
        afterRename: () => {
          throw new Error("killed mid-commit");
        },
      },
    }).catch((error) => ({ code: -1, out: "", err: String(error) }));
    assert(killed.err.includes("killed mid-commit"), killed.err);
    deepStrictEqual(await recoverModelSets(out), ["cnn"]);
    const newSet = await snapshot(out);
    deepStrictEqual([...newSet.keys()].sort(), [...oldSet.keys()].sort());
    for (const file of setFiles) {
      assert(decoder.decode(newSet.get(file)).slice(0, 4) !== "old ", `${file} is still old`);
    }
    const metadata = JSON.parse(decoder.decode(newSet.get("cnn.json"))) as ModelMetadata;
    deepStrictEqual(metadata.int8?.file, "cnn.int8.onnx");
    deepStrictEqual(metadata.data.trainCount, 200);
  },
);

projectTest(
  "--out is checked before the data loads; a failed load leaves no empty folder",
  async (project) => {
    const file = `${project.root}/a-file`;
    await Deno.writeTextFile(file, "");
    const cases = [
      { out: file, says: "is a file, not a folder" },
      { out: `${file}/below`, says: "is a file, not a folder" },
      { out: "/proc/digitlab-nope", says: "--out /proc/digitlab-nope" },
    ];
    for (const { out, says } of cases) {
      // Missing data too: an --out error proves the folder was checked first.
      const result = await runTrain(
        ["--model", "mlp", ...QUICK, "--out", out, "--data", "/nonexistent"],
        project,
      );
      deepStrictEqual(result.code, 1, `${out}: ${result.err}`);
      oneLine(result.err);
      assert(result.err.includes(says), result.err);
    }
    const fresh = `${project.root}/new/deeper`;
    const result = await runTrain(
      ["--model", "mlp", ...QUICK, "--out", fresh, "--data", "/nonexistent"],
      project,
    );
    deepStrictEqual(result.code, 1);
    oneLine(result.err);
    assert(result.err.includes("MNIST file missing"), result.err);
    assert(!await exists(`${project.root}/new`), "left an empty folder");
  },
);

projectTest(
  "a file-system error while writing is one line naming the checkpoint and the command",
  async (project) => {
    const out = `${project.root}/out`;
    const result = await runTrain(["--model", "mlp", ...QUICK, "--out", out], {
      ...project,
      hooks: {
        // The folder turns into a file just before the renames: a real ENOTDIR.
        step: (_, step) => {
          if (step !== "commit") return;
          Deno.removeSync(out, { recursive: true });
          Deno.writeTextFileSync(out, "");
        },
      },
    });
    deepStrictEqual(result.code, 1, result.err);
    oneLine(result.err);
    assert(result.err.includes(`${out}/checkpoints/mlp`), result.err);
    assert(result.err.includes(`deno task train --resume ${out}`), result.err);
    assert(result.err.includes("epoch 1/1"), result.err);
  },
);

projectTest(
  "--resume after an interruption gives the same weights as an uninterrupted run",
  async (project) => {
    // cnn-aug covers the augmenter's random state and BatchNorm's moving statistics.
    const args = [
      "--model",
      "mlp,cnn-aug",
      "--epochs",
      "2",
      "--limit",
      "256",
      "--eval-limit",
      "100",
    ];
    const whole = `${project.root}/whole`, resumed = `${project.root}/resumed`;
    const straight = await runTrain([...args, "--out", whole], project);
    deepStrictEqual(straight.code, 0, straight.err);

    const interrupted = await runTrain([...args, "--out", resumed], {
      ...project,
      hooks: {
        step: (name, step) => {
          if (name === "cnn-aug" && step === "checkpoint saved") throw new Error("Ctrl-C");
        },
      },
    }).catch((error) => ({ code: -1, out: "", err: String(error) }));
    assert(interrupted.err.includes("Ctrl-C"), interrupted.err);
    assert(!await exists(`${resumed}/cnn-aug.onnx`));

    const finished = await runTrain(["--resume", resumed], project);
    deepStrictEqual(finished.code, 0, finished.err);
    assert(finished.out.includes("mlp: already written"), finished.out);
    assert(finished.out.includes("resuming after epoch 1 of 2 epochs"), finished.out);
    // The last checkpoint holds the final weights, Adam's state and the shuffle order. (The
    // ONNX files differ in-process only by tfjs's layer-name counter.)
    for (const name of ["mlp", "cnn-aug"]) {
      const bin = (dir: string) => Deno.readFile(`${dir}/checkpoints/${name}/epoch-2.bin`);
      assert((await bin(resumed)).length > 1000);
      deepStrictEqual(await bin(resumed), await bin(whole), `${name}'s final weights differ`);
    }
    const history = async (dir: string) =>
      (JSON.parse(await Deno.readTextFile(`${dir}/cnn-aug.json`)) as ModelMetadata).history
        .map(({ loss, accuracy }) => ({ loss, accuracy }));
    deepStrictEqual(await history(resumed), await history(whole));
  },
);

projectTest("--eval-every skips the test pass of some epochs, never the last", async (project) => {
  const out = `${project.root}/out`;
  const result = await runTrain(
    [
      "--model",
      "mlp",
      "--epochs",
      "3",
      "--eval-every",
      "2",
      "--limit",
      "128",
      "--eval-limit",
      "500",
      "--out",
      out,
    ],
    project,
  );
  deepStrictEqual(result.code, 0, result.err);
  const metadata = JSON.parse(await Deno.readTextFile(`${out}/mlp.json`)) as ModelMetadata;
  deepStrictEqual(metadata.history.map((r) => r.accuracy !== undefined), [false, true, true]);
  deepStrictEqual(metadata.hyperParameters.evalEvery, 2);
  assert(result.out.includes("test accuracy not scored (--eval-every)"), result.out);
});

/**
 * Runs the real CLI into `out` (holding a stand-in old cnn set) and sends it SIGINT once it
 * says the int8 step has begun.
 */
async function interruptAtInt8(out: string) {
  await Deno.remove(out, { recursive: true }).catch(() => {});
  await Deno.mkdir(out);
  await writeOldSet(out, "cnn", ["cnn.onnx", "cnn.int8.onnx", "cnn.json"]);
  const oldSet = await snapshot(out);
  const script = new URL("./train.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      script,
      "--model",
      "cnn",
      "--epochs",
      "1",
      "--limit",
      "200",
      // A longer int8 test pass than QUICK's, so the signal likely lands inside it.
      "--eval-limit",
      "2000",
      "--out",
      out,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Read meanwhile: a full stderr pipe would stall the child.
  const stderr = new Response(child.stderr).text();
  let printed = "", sent = false;
  // Read to the end: a closed pipe would fail the child's next line before the signal lands.
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    printed += chunk;
    if (!sent && printed.includes("cnn: int8: quantizing")) {
      child.kill("SIGINT");
      sent = true;
    }
  }
  const { code } = await child.status;
  return { code, printed, stderr: await stderr, oldSet, after: await snapshot(out) };
}

/** Tries before the Ctrl-C test gives up on its signal being handled before the commit. */
const INT8_SIGNAL_TRIES = 3;

projectTest(
  "Ctrl-C during the int8 step of the real CLI leaves the old set and no temp files",
  async (project) => {
    const out = `${project.root}/out`;
    const late: string[] = [];
    for (let attempt = 1; attempt <= INT8_SIGNAL_TRIES; attempt++) {
      const { code, printed, stderr, oldSet, after } = await interruptAtInt8(out);
      const stray = [...after.keys()].filter((f) =>
        !oldSet.has(f) && !/^(run\.json|checkpoints\/)/.test(f)
      );
      // Wherever the signal landed, no temp file is left behind.
      deepStrictEqual(stray, [], `${printed}\n${stderr}`);
      // Deno hands a signal to the program some turns of the event loop after it came, and the
      // machine may be busy: handled once the commit had begun, the new set is in place (the CLI
      // says so), and the run tells nothing about Ctrl-C before it. Try again.
      if (
        stderr.includes("SIGINT: stopped after writing cnn") ||
        (code === 0 && printed.includes("cnn: wrote"))
      ) {
        late.push(`try ${attempt}: exit ${code}, ${stderr.trim().split("\n").at(-1)}`);
        continue;
      }
      deepStrictEqual(code, 130, `${printed}\n${stderr}`);
      assert(stderr.includes(`SIGINT: stopped while exporting cnn; nothing of it was written`));
      assert(stderr.includes(`deno task train --resume ${out}`), stderr);
      for (const [file, bytes] of oldSet) {
        deepStrictEqual(after.get(file), bytes, `${file} changed`);
      }
      return;
    }
    assert.fail(`the signal was never handled before the commit: ${late.join("; ")}`);
  },
);
