import assert, { deepStrictEqual, rejects } from "node:assert/strict";
import { FolderError, planRun, prepareFolder, runFolderName } from "./run_folder.ts";
import { parseTrainArgs, UsageError } from "./train_options.ts";

const now = new Date("2026-12-01T21:05:01Z");

async function plan(args: string[], modelsDir: string) {
  return await planRun(parseTrainArgs(args, {}), { modelsDir, runsDir: "/runs", now });
}

Deno.test("only the full recipe goes to models/ by default; any other run to its run folder", async () => {
  const modelsDir = await Deno.makeTempDir();
  try {
    const full = await plan([], modelsDir);
    deepStrictEqual([full.outDir, full.runDir, full.shipped], [
      modelsDir,
      "/runs/20261201-210501-all",
      true,
    ]);
    for (const flags of [["--limit", "5"], ["--epochs", "3"], ["--lr", "0.002"], ["--seed", "7"]]) {
      const quick = await plan(["--model", "cnn", ...flags], modelsDir);
      deepStrictEqual([quick.outDir, quick.runDir, quick.shipped], [
        "/runs/20261201-210501-cnn",
        "/runs/20261201-210501-cnn",
        false,
      ]);
    }
    const elsewhere = await plan(["--limit", "5", "--out", "/tmp/x"], modelsDir);
    deepStrictEqual([elsewhere.outDir, elsewhere.runDir], ["/tmp/x", "/tmp/x"]);
    // The full recipe with --out models/ spelled another way: checkpoints still stay out of it.
    const spelled = await plan(["--model", "mlp", "--out", `${modelsDir}/./`], modelsDir);
    deepStrictEqual([spelled.runDir, spelled.shipped], ["/runs/20261201-210501-mlp", true]);
  } finally {
    await Deno.remove(modelsDir, { recursive: true });
  }
});

Deno.test("a run that is not the full recipe may replace models/ only with --force", async () => {
  const modelsDir = await Deno.makeTempDir();
  try {
    await rejects(plan(["--epochs", "3", "--out", modelsDir], modelsDir), UsageError);
    const forced = await plan(["--epochs", "3", "--out", modelsDir, "--force"], modelsDir);
    deepStrictEqual(forced.outDir, modelsDir);
  } finally {
    await Deno.remove(modelsDir, { recursive: true });
  }
});

Deno.test("runFolderName sorts by time and names the models", () => {
  deepStrictEqual(runFolderName(now, ["cnn", "mlp"]), "20261201-210501-cnn+mlp");
  deepStrictEqual(runFolderName(now, ["mlp", "cnn", "cnn-aug"]), "20261201-210501-mlp+cnn+cnn-aug");
  deepStrictEqual(runFolderName(now, ["mlp", "cnn", "cnn-aug", "draw"]), "20261201-210501-all");
});

Deno.test("prepareFolder creates missing folders and reports what it made", async () => {
  const root = await Deno.makeTempDir();
  try {
    deepStrictEqual(await prepareFolder(`${root}/a/b`, "--out"), [`${root}/a`, `${root}/a/b`]);
    deepStrictEqual(await prepareFolder(`${root}/a/b`, "--out"), []);
    assert((await Deno.stat(`${root}/a/b`)).isDirectory);
    deepStrictEqual([...Deno.readDirSync(`${root}/a/b`)], [], "the write probe stays behind");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

const project = new URL("../", import.meta.url);
const projectPath = (relative: string) => decodeURIComponent(new URL(relative, project).pathname);
const inGitCheckout = (() => {
  try {
    Deno.statSync(projectPath(".git"));
    return true;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "the README's quick run writes into a git-ignored run folder, not models/",
  ignore: !inGitCheckout,
  fn: async () => {
    const readme = await Deno.readTextFile(projectPath("README.md"));
    const line = /^deno task train (.+?)\s+# a quick run/m.exec(readme);
    assert(line, "no quick-run example in the README");
    const quick = await planRun(parseTrainArgs(line[1].split(/\s+/), {}), {
      modelsDir: projectPath("models"),
      runsDir: projectPath("build/runs"),
      now,
    });
    assert(!quick.shipped && quick.outDir.startsWith(projectPath("build/runs/")), quick.outDir);
    for (const file of ["cnn.onnx", "cnn.json", "run.json", "checkpoints/cnn/state.json"]) {
      const { code } = await new Deno.Command("git", {
        args: ["check-ignore", "-q", `${quick.outDir}/${file}`],
        cwd: projectPath(""),
      }).output();
      deepStrictEqual(code, 0, `git would show ${quick.outDir}/${file}`);
    }
  },
});

Deno.test("a new run never takes over an unfinished run's folder; same-second runs get two", async () => {
  const root = await Deno.makeTempDir();
  try {
    const run = { models: ["cnn-aug"], recipe: {}, outDir: root, exported: [], started: "" };
    await Deno.writeTextFile(`${root}/run.json`, JSON.stringify(run));
    await rejects(plan(["--limit", "5", "--out", root], "/models"), FolderError);
    await Deno.writeTextFile(`${root}/run.json`, JSON.stringify({ ...run, exported: ["cnn-aug"] }));
    deepStrictEqual((await plan(["--limit", "5", "--out", root], "/models")).runDir, root);

    const context = { modelsDir: "/models", runsDir: root, now };
    const args = parseTrainArgs(["--model", "mlp", "--limit", "5"], {});
    await Deno.mkdir(`${root}/20261201-210501-mlp`);
    deepStrictEqual((await planRun(args, context)).runDir, `${root}/20261201-210501-mlp-2`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
